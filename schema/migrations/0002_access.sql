ALTER TABLE `members` ADD `removed_at` integer;--> statement-breakpoint
ALTER TABLE `rooms` ADD `deleted_at` integer;