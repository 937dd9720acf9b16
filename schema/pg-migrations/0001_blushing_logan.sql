CREATE TABLE "base_files" (
	"room_id" text NOT NULL,
	"path" text NOT NULL,
	"text" text NOT NULL,
	CONSTRAINT "base_files_room_id_path_pk" PRIMARY KEY("room_id","path")
);
--> statement-breakpoint
CREATE TABLE "room_bases" (
	"room_id" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"ref" text,
	"set_by" text NOT NULL,
	"set_by_name" text NOT NULL,
	"set_at" bigint NOT NULL,
	"files" integer NOT NULL,
	"bytes" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "threads" ADD COLUMN "side" text DEFAULT 'head' NOT NULL;