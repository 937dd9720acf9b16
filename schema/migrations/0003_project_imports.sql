CREATE TABLE `imports` (
	`doc_name` text NOT NULL,
	`client` integer NOT NULL,
	`id` text NOT NULL,
	`user_id` text NOT NULL,
	`source` text NOT NULL,
	`files` integer NOT NULL,
	`bytes` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`doc_name`, `client`)
);
