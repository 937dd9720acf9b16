ALTER TABLE `suggestions` ADD `applied` text;--> statement-breakpoint
ALTER TABLE `suggestions` ADD `reverted_by` text;--> statement-breakpoint
ALTER TABLE `suggestions` ADD `reverted_at` integer;