ALTER TABLE "suggestions" ADD COLUMN "applied" text;--> statement-breakpoint
ALTER TABLE "suggestions" ADD COLUMN "reverted_by" text;--> statement-breakpoint
ALTER TABLE "suggestions" ADD COLUMN "reverted_at" bigint;