import { z } from 'zod';
import { isValidFilePath, MAX_COMMENT_CHARS, verdicts } from './protocol.ts';

/*
 * REST bodies of code review (CR): threads on code. The zod schemas are the only definition; the server
 * validates with them at the edge, the SDK and the web client take the inferred types.
 */

const commentText = z
  .string()
  .refine((t) => t.trim().length > 0, 'a comment needs some text')
  .refine((t) => t.length <= MAX_COMMENT_CHARS, `a comment holds at most ${MAX_COMMENT_CHARS} characters`);

const offset = z.number().int('offsets are whole UTF-16 positions').nonnegative();

/** `POST /api/rooms/:id/threads`: a thread on `from..to` (UTF-16 offsets into the file's current text). */
export const createThreadBody = z
  .object({
    file: z.string().refine(isValidFilePath, 'file must be a valid relative path'),
    from: offset,
    to: offset,
    text: commentText,
    /** 'base': the offsets are into the base version of the file (a thread on removed lines, CR-14) */
    side: z.enum(['head', 'base']).optional(),
  })
  .strict()
  .refine((b) => b.from <= b.to, { message: 'from must not be after to', path: ['to'] });
export type CreateThreadRequest = z.infer<typeof createThreadBody>;

/** `POST /api/rooms/:id/threads/:tid/comments` and `PATCH .../comments/:cid` */
export const commentBody = z.object({ text: commentText }).strict();
export type CommentRequest = z.infer<typeof commentBody>;

/** `PATCH /api/rooms/:id/threads/:tid`: resolve or reopen */
export const patchThreadBody = z.object({ resolved: z.boolean() }).strict();
export type PatchThreadRequest = z.infer<typeof patchThreadBody>;

/** `PUT /api/rooms/:id/verdicts`: one's own verdict on the review, with an optional note */
export const verdictBody = z
  .object({
    verdict: z.enum(verdicts),
    note: z.string().max(2_000, 'a verdict note holds at most 2000 characters').optional(),
  })
  .strict();
export type VerdictRequest = z.infer<typeof verdictBody>;

/** Query of `PUT /api/rooms/:id/base`: the git ref the archive was taken from, for people to read. */
export const baseQuery = z.object({ ref: z.string().trim().min(1).max(200).optional() }).strict();
