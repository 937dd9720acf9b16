CREATE TABLE `client_bindings` (
	`doc_name` text NOT NULL,
	`client_id` integer NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`doc_name`, `client_id`)
);
--> statement-breakpoint
CREATE TABLE `doc_snapshots` (
	`doc_name` text PRIMARY KEY NOT NULL,
	`data` blob NOT NULL,
	`through_seq` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `doc_updates` (
	`doc_name` text NOT NULL,
	`seq` integer NOT NULL,
	`data` blob NOT NULL,
	PRIMARY KEY(`doc_name`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `invites` (
	`token` text PRIMARY KEY NOT NULL,
	`room_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`room_id`) REFERENCES `rooms`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invites_live_role` ON `invites` (`room_id`,`role`) WHERE "invites"."revoked_at" IS NULL;--> statement-breakpoint
CREATE INDEX `invites_room` ON `invites` (`room_id`);--> statement-breakpoint
CREATE TABLE `members` (
	`room_id` text NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`joined_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	PRIMARY KEY(`room_id`, `user_id`),
	FOREIGN KEY (`room_id`) REFERENCES `rooms`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `rooms` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`policy_json` text NOT NULL
);
