CREATE TABLE "assignment_copies" (
	"room_id" text PRIMARY KEY NOT NULL,
	"assignment_id" text NOT NULL,
	"student_id" text NOT NULL,
	"student_name" text NOT NULL,
	"created_at" bigint NOT NULL,
	"last_edit_at" bigint
);
--> statement-breakpoint
CREATE TABLE "assignments" (
	"id" text PRIMARY KEY NOT NULL,
	"template_room_id" text NOT NULL,
	"name" text NOT NULL,
	"code" text NOT NULL,
	"created_by" text NOT NULL,
	"created_by_name" text NOT NULL,
	"created_at" bigint NOT NULL,
	"files_json" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "room_modes" (
	"room_id" text PRIMARY KEY NOT NULL,
	"modes_json" jsonb NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "assignment_copies_assignment" ON "assignment_copies" USING btree ("assignment_id","created_at");--> statement-breakpoint
CREATE INDEX "assignments_template" ON "assignments" USING btree ("template_room_id","created_at");