ALTER TABLE `runs` ADD `thread_id` text;--> statement-breakpoint
ALTER TABLE `suggestions` ADD `thread_id` text;