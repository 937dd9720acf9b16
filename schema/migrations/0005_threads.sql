CREATE TABLE `threads` (
	`room_id` text NOT NULL,
	`id` text NOT NULL,
	`file` text NOT NULL,
	`start` text NOT NULL,
	`end` text NOT NULL,
	`quote` text NOT NULL,
	`length` integer NOT NULL,
	`line` integer NOT NULL,
	`created_by` text NOT NULL,
	`created_by_name` text NOT NULL,
	`created_at` integer NOT NULL,
	`resolved` integer NOT NULL,
	`resolved_by` text,
	`resolved_at` integer,
	`comments_json` text NOT NULL,
	PRIMARY KEY(`room_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `threads_room_created` ON `threads` (`room_id`,`created_at`);