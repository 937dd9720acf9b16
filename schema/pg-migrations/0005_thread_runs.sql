ALTER TABLE "runs" ADD COLUMN "thread_id" text;--> statement-breakpoint
ALTER TABLE "suggestions" ADD COLUMN "thread_id" text;