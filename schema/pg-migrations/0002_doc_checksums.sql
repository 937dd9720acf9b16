ALTER TABLE "doc_snapshots" ADD COLUMN "crc32" bigint;--> statement-breakpoint
ALTER TABLE "doc_updates" ADD COLUMN "crc32" bigint;