CREATE TABLE "attribution" (
	"doc_name" text NOT NULL,
	"client" bigint NOT NULL,
	"clock" bigint NOT NULL,
	"length" bigint NOT NULL,
	"suggestion_id" text NOT NULL,
	"run_id" text NOT NULL,
	"requested_by" text NOT NULL,
	"accepted_by" text NOT NULL,
	"at" bigint NOT NULL,
	"kind" text DEFAULT 'ai' NOT NULL,
	CONSTRAINT "attribution_doc_name_client_clock_pk" PRIMARY KEY("doc_name","client","clock")
);
--> statement-breakpoint
CREATE TABLE "run_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"run_id" text NOT NULL,
	"suggestion_id" text,
	"kind" text NOT NULL,
	"user_id" text,
	"at" bigint NOT NULL,
	"detail" text
);
--> statement-breakpoint
CREATE TABLE "run_messages" (
	"run_id" text NOT NULL,
	"seq" integer NOT NULL,
	"role" text NOT NULL,
	"content" text NOT NULL,
	"at" bigint NOT NULL,
	CONSTRAINT "run_messages_run_id_seq_pk" PRIMARY KEY("run_id","seq")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"room_id" text NOT NULL,
	"id" text NOT NULL,
	"prompt" text NOT NULL,
	"file" text,
	"requested_by" text NOT NULL,
	"requested_by_name" text NOT NULL,
	"model" text NOT NULL,
	"status" text NOT NULL,
	"steers_json" jsonb NOT NULL,
	"interrupted_by" text,
	"error" text,
	"unanchored_json" jsonb NOT NULL,
	"message" text NOT NULL,
	"metrics_json" jsonb NOT NULL,
	"created_at" bigint NOT NULL,
	"ended_at" bigint,
	CONSTRAINT "runs_room_id_id_pk" PRIMARY KEY("room_id","id")
);
--> statement-breakpoint
CREATE TABLE "suggestions" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"room_id" text NOT NULL,
	"run_id" text NOT NULL,
	"file" text NOT NULL,
	"start" text,
	"end" text,
	"base_text" text NOT NULL,
	"proposed" text NOT NULL,
	"state" text NOT NULL,
	"proposed_by_agent" text NOT NULL,
	"proposed_by_model" text NOT NULL,
	"requested_by" text NOT NULL,
	"decided_by" text,
	"decided_at" bigint,
	"interrupted_by" text,
	"new_file" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "client_bindings" (
	"doc_name" text NOT NULL,
	"client_id" bigint NOT NULL,
	"user_id" text NOT NULL,
	CONSTRAINT "client_bindings_doc_name_client_id_pk" PRIMARY KEY("doc_name","client_id")
);
--> statement-breakpoint
CREATE TABLE "doc_snapshots" (
	"doc_name" text PRIMARY KEY NOT NULL,
	"data" "bytea" NOT NULL,
	"through_seq" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "doc_updates" (
	"doc_name" text NOT NULL,
	"seq" bigint NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "doc_updates_doc_name_seq_pk" PRIMARY KEY("doc_name","seq")
);
--> statement-breakpoint
CREATE TABLE "room_fences" (
	"room_id" text PRIMARY KEY NOT NULL,
	"fence" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "history_entries" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"room_id" text NOT NULL,
	"kind" text NOT NULL,
	"at" bigint NOT NULL,
	"by_json" jsonb,
	"editors_json" jsonb NOT NULL,
	"suggestion_ids_json" jsonb NOT NULL,
	"run_ids_json" jsonb NOT NULL,
	"restored_from" text,
	"summary" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "history_files" (
	"room_id" text NOT NULL,
	"entry_seq" bigint NOT NULL,
	"path" text NOT NULL,
	"before_hash" text,
	"after_hash" text,
	CONSTRAINT "history_files_entry_seq_path_pk" PRIMARY KEY("entry_seq","path")
);
--> statement-breakpoint
CREATE TABLE "history_texts" (
	"room_id" text NOT NULL,
	"hash" text NOT NULL,
	"text" text NOT NULL,
	CONSTRAINT "history_texts_room_id_hash_pk" PRIMARY KEY("room_id","hash")
);
--> statement-breakpoint
CREATE TABLE "imports" (
	"doc_name" text NOT NULL,
	"client" bigint NOT NULL,
	"id" text NOT NULL,
	"user_id" text NOT NULL,
	"source" text NOT NULL,
	"files" integer NOT NULL,
	"bytes" bigint NOT NULL,
	"at" bigint NOT NULL,
	CONSTRAINT "imports_doc_name_client_pk" PRIMARY KEY("doc_name","client")
);
--> statement-breakpoint
CREATE TABLE "threads" (
	"room_id" text NOT NULL,
	"id" text NOT NULL,
	"file" text NOT NULL,
	"start" text NOT NULL,
	"end" text NOT NULL,
	"quote" text NOT NULL,
	"length" integer NOT NULL,
	"line" integer NOT NULL,
	"created_by" text NOT NULL,
	"created_by_name" text NOT NULL,
	"created_at" bigint NOT NULL,
	"resolved" boolean NOT NULL,
	"resolved_by" text,
	"resolved_at" bigint,
	"comments_json" jsonb NOT NULL,
	CONSTRAINT "threads_room_id_id_pk" PRIMARY KEY("room_id","id")
);
--> statement-breakpoint
CREATE TABLE "verdicts" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"verdict" text NOT NULL,
	"note" text NOT NULL,
	"at" bigint NOT NULL,
	CONSTRAINT "verdicts_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "invites" (
	"token" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"role" text NOT NULL,
	"created_at" bigint NOT NULL,
	"revoked_at" bigint
);
--> statement-breakpoint
CREATE TABLE "members" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"joined_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"removed_at" bigint,
	CONSTRAINT "members_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "rooms" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL,
	"policy_json" jsonb NOT NULL,
	"deleted_at" bigint
);
--> statement-breakpoint
ALTER TABLE "invites" ADD CONSTRAINT "invites_room_id_rooms_id_fk" FOREIGN KEY ("room_id") REFERENCES "public"."rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_room_id_rooms_id_fk" FOREIGN KEY ("room_id") REFERENCES "public"."rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "run_events_run" ON "run_events" USING btree ("room_id","run_id","seq");--> statement-breakpoint
CREATE INDEX "runs_status" ON "runs" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "suggestions_id" ON "suggestions" USING btree ("id");--> statement-breakpoint
CREATE INDEX "suggestions_run" ON "suggestions" USING btree ("room_id","run_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "history_entries_id" ON "history_entries" USING btree ("room_id","id");--> statement-breakpoint
CREATE INDEX "history_entries_room" ON "history_entries" USING btree ("room_id","seq");--> statement-breakpoint
CREATE INDEX "history_files_room_path" ON "history_files" USING btree ("room_id","path","entry_seq");--> statement-breakpoint
CREATE INDEX "threads_room_created" ON "threads" USING btree ("room_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "invites_live_role" ON "invites" USING btree ("room_id","role") WHERE "invites"."revoked_at" IS NULL;--> statement-breakpoint
CREATE INDEX "invites_room" ON "invites" USING btree ("room_id");