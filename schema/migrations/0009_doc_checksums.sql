ALTER TABLE `doc_snapshots` ADD `crc32` integer;--> statement-breakpoint
ALTER TABLE `doc_updates` ADD `crc32` integer;