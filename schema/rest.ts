import { z } from 'zod';
import { isValidFilePath, roles, runModes } from './protocol.ts';
import { MAX_QUERY_CHARS, MAX_REPLACE_FILES, MAX_REPLACEMENT_CHARS } from './search-query.ts';

/*
 * REST bodies: the zod schemas are the only definition. The server validates every body with them once, at
 * the edge (server/http/parse-body.ts); the SDK and the web client take the inferred types (type-only
 * imports, so no validator reaches the browser bundle).
 */

/** `POST /api/rooms` */
export const createRoomBody = z.object({ name: z.string().trim().max(120).optional() }).strict();
export type CreateRoomRequest = z.infer<typeof createRoomBody>;

/** `POST /api/rooms/:id/join` */
export const joinBody = z
  .object({
    invite: z.string().min(1).max(200),
    name: z.string().trim().min(1, 'a display name is required').max(60),
  })
  .strict();
export type JoinRequest = z.infer<typeof joinBody>;

/** PERF-129: the invite page asks the server to load the room before the person has typed a name. */
export const warmBody = z.object({ invite: z.string().min(1).max(200) }).strict();
export type WarmRequest = z.infer<typeof warmBody>;

/** `PUT /api/rooms/:id/policy` (owners): who besides owners may accept, redirect, stop and comment */
export const policyBody = z
  .object({
    accept: z.array(z.enum(roles)).max(3),
    interrupt: z.array(z.enum(roles)).max(3),
    stop: z.array(z.enum(roles)).max(3).optional(),
    comment: z.array(z.enum(roles)).max(3).optional(),
  })
  .strict();
export type PolicyRequest = z.infer<typeof policyBody>;

/** `PATCH /api/rooms/:id/people/:userId` (owners only) */
export const changeRoleBody = z.object({ role: z.enum(roles) }).strict();
export type ChangeRoleRequest = z.infer<typeof changeRoleBody>;

const runFilePath = z.string().refine(isValidFilePath, 'not a valid relative file path');
/** `POST /api/rooms/:id/runs`: ask Spark */
export const createRunBody = z
  .object({
    prompt: z.string().trim().min(1, 'a prompt is required').max(20_000),
    file: runFilePath.optional(),
    selection: z
      .object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() })
      .strict()
      .refine((s) => s.from <= s.to, 'selection.from must not be after selection.to')
      .optional(),
    /** a finished run of this room to continue: its conversation goes to the model first (NAV-20) */
    followUp: z
      .string()
      .regex(/^run_[A-Za-z0-9_-]{1,40}$/, 'followUp is a run id')
      .optional(),
    /** default `edit` */
    mode: z.enum(runModes).optional(),
  })
  .strict();
export type CreateRunRequest = z.infer<typeof createRunBody>;

/** The longest redirect accepted, characters (SAFE-56). */
export const MAX_STEER_CHARS = 4000;
/** `POST /api/rooms/:id/runs/:runId/steer` */
export const steerBody = z
  .object({
    // SAFE-56: a redirect is an instruction, not a document; every one is stored and sent to all watchers.
    text: z.string().trim().min(1, 'steer text is required').max(MAX_STEER_CHARS),
    mode: z.enum(['now', 'queue']),
  })
  .strict();
export type SteerRequest = z.infer<typeof steerBody>;

/**
 * `POST /api/rooms/:id/spark-check` (owners, OPS-12): an empty JSON object, declared JSON, so a page of
 * another site cannot make an owner's browser send it.
 */
export const sparkCheckBody = z.object({}).strict();

/** `POST /api/rooms/:id/suggestions/:sid/accept` */
export const acceptSuggestionBody = z
  .object({
    /**
     * Accept an interrupted (partial) hunk: Spark was stopped while writing it, so it may end mid-statement.
     * Without it such an accept answers 409 `needs_confirmation` (REVIEW-2).
     */
    confirmPartial: z.boolean().optional(),
  })
  .strict();
export type AcceptSuggestionRequest = z.infer<typeof acceptSuggestionBody>;

/** `POST /api/rooms/:id/suggestions/:sid/revert` */
export const revertSuggestionBody = z
  .object({
    /**
     * Revert even though someone edited inside the accepted text since (their edit goes too). Without it
     * such a revert answers 409 `needs_confirmation`, naming who edited (REVIEW-5).
     */
    confirm: z.boolean().optional(),
  })
  .strict();
export type RevertSuggestionRequest = z.infer<typeof revertSuggestionBody>;

/** `POST /api/rooms/:id/history/:cid/restore` */
export const restoreCheckpointBody = z
  .object({
    /** restore this one file; without it, every file the checkpoint knows (the whole room) */
    file: z.string().refine(isValidFilePath, 'file must be a valid relative path').optional(),
  })
  .strict();
export type RestoreCheckpointRequest = z.infer<typeof restoreCheckpointBody>;

/** `POST /api/rooms/:id/history/:cid/revert` */
export const revertCheckpointBody = z.object({}).strict();
export type RevertCheckpointRequest = z.infer<typeof revertCheckpointBody>;

/** `POST /api/rooms/:id/replace`: replace across files (NAV-24, NAV-25) */
export const replaceBody = z
  .object({
    /** the search, as the search panel ran it */
    query: z
      .object({
        text: z.string().min(1).max(MAX_QUERY_CHARS),
        caseSensitive: z.boolean(),
        wholeWord: z.boolean(),
        regex: z.boolean(),
      })
      .strict(),
    /** what each match becomes (with a regular expression: `$1`, `$<name>`, `$&`, `$$`) */
    replacement: z.string().max(MAX_REPLACEMENT_CHARS),
    /** the files to change, each with what the search found there */
    files: z
      .array(
        z
          .object({
            path: z.string().refine(isValidFilePath, 'path must be a valid relative path'),
            /** matches the search found in the file: another count now means it changed, so it is skipped */
            expect: z.number().int().min(1).optional(),
            /** only the matches on these lines (1-based); without it every match in the file */
            lines: z.array(z.number().int().min(1)).min(1).max(100_000).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_REPLACE_FILES),
  })
  .strict();
export type ReplaceRequest = z.infer<typeof replaceBody>;
