import { z } from 'zod';
import { isValidFilePath } from './protocol.ts';

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
