CREATE TABLE `doc_log` (
	`doc_name` text NOT NULL,
	`seq` integer NOT NULL,
	`data` blob NOT NULL,
	`crc32` integer
);
