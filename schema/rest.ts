import { z } from 'zod';
import { isValidFilePath } from './protocol.ts';
import { MAX_QUERY_CHARS, MAX_REPLACE_FILES, MAX_REPLACEMENT_CHARS } from './search-query.ts';

/*
 * REST bodies: the zod schemas are the only definition. The server validates every body with them once, at
 * the edge (server/http/parse-body.ts); the SDK and the web client take the inferred types (type-only
 * imports, so no validator reaches the browser bundle).
 */

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
