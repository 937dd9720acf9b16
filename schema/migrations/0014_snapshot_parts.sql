CREATE TABLE `doc_snapshot_parts` (
	`doc_name` text NOT NULL,
	`gen` integer NOT NULL,
	`part` integer NOT NULL,
	`data` blob NOT NULL,
	`crc32` integer NOT NULL,
	PRIMARY KEY(`doc_name`, `gen`, `part`)
);
--> statement-breakpoint
ALTER TABLE `doc_snapshots` ADD `gen` integer;--> statement-breakpoint
ALTER TABLE `doc_snapshots` ADD `parts` integer DEFAULT 0 NOT NULL;