CREATE TABLE `history_entries` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`room_id` text NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL,
	`by_json` text,
	`editors_json` text NOT NULL,
	`suggestion_ids_json` text NOT NULL,
	`run_ids_json` text NOT NULL,
	`restored_from` text,
	`summary` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `history_entries_id` ON `history_entries` (`room_id`,`id`);--> statement-breakpoint
CREATE INDEX `history_entries_room` ON `history_entries` (`room_id`);--> statement-breakpoint
CREATE TABLE `history_files` (
	`room_id` text NOT NULL,
	`entry_seq` integer NOT NULL,
	`path` text NOT NULL,
	`before_hash` text,
	`after_hash` text,
	PRIMARY KEY(`entry_seq`, `path`)
);
--> statement-breakpoint
CREATE INDEX `history_files_room_path` ON `history_files` (`room_id`,`path`,`entry_seq`);--> statement-breakpoint
CREATE TABLE `history_texts` (
	`room_id` text NOT NULL,
	`hash` text NOT NULL,
	`text` text NOT NULL,
	PRIMARY KEY(`room_id`, `hash`)
);
