CREATE TABLE `attribution` (
	`doc_name` text NOT NULL,
	`client` integer NOT NULL,
	`clock` integer NOT NULL,
	`length` integer NOT NULL,
	`suggestion_id` text NOT NULL,
	`run_id` text NOT NULL,
	`requested_by` text NOT NULL,
	`accepted_by` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`doc_name`, `client`, `clock`)
);
--> statement-breakpoint
CREATE TABLE `run_events` (
	`seq` integer PRIMARY KEY NOT NULL,
	`room_id` text NOT NULL,
	`run_id` text NOT NULL,
	`suggestion_id` text,
	`kind` text NOT NULL,
	`user_id` text,
	`at` integer NOT NULL,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `run_events_run` ON `run_events` (`room_id`,`run_id`);--> statement-breakpoint
CREATE TABLE `run_messages` (
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`role` text NOT NULL,
	`content` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`room_id` text NOT NULL,
	`id` text NOT NULL,
	`prompt` text NOT NULL,
	`file` text,
	`requested_by` text NOT NULL,
	`requested_by_name` text NOT NULL,
	`model` text NOT NULL,
	`status` text NOT NULL,
	`steers_json` text NOT NULL,
	`interrupted_by` text,
	`error` text,
	`unanchored_json` text NOT NULL,
	`message` text NOT NULL,
	`metrics_json` text NOT NULL,
	`created_at` integer NOT NULL,
	`ended_at` integer,
	PRIMARY KEY(`room_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `runs_status` ON `runs` (`status`);--> statement-breakpoint
CREATE TABLE `suggestions` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`room_id` text NOT NULL,
	`run_id` text NOT NULL,
	`file` text NOT NULL,
	`start` text,
	`end` text,
	`base_text` text NOT NULL,
	`proposed` text NOT NULL,
	`state` text NOT NULL,
	`proposed_by_agent` text NOT NULL,
	`proposed_by_model` text NOT NULL,
	`requested_by` text NOT NULL,
	`decided_by` text,
	`decided_at` integer,
	`interrupted_by` text,
	`new_file` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `suggestions_id` ON `suggestions` (`id`);--> statement-breakpoint
CREATE INDEX `suggestions_run` ON `suggestions` (`room_id`,`run_id`);