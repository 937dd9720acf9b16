CREATE TABLE "doc_snapshot_parts" (
	"doc_name" text NOT NULL,
	"gen" bigint NOT NULL,
	"part" integer NOT NULL,
	"data" "bytea" NOT NULL,
	"crc32" bigint NOT NULL,
	CONSTRAINT "doc_snapshot_parts_doc_name_gen_part_pk" PRIMARY KEY("doc_name","gen","part")
);
--> statement-breakpoint
ALTER TABLE "doc_snapshots" ADD COLUMN "gen" bigint;--> statement-breakpoint
ALTER TABLE "doc_snapshots" ADD COLUMN "parts" integer DEFAULT 0 NOT NULL;