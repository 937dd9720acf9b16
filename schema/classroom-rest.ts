import { z } from 'zod';
import { MAX_ASSIGNMENT_NAME, MAX_PEN_SECONDS, TUTOR_MAX_LINES, TUTOR_MIN_LINES } from './protocol.ts';

/*
 * REST bodies of the classroom (CLASS). The zod schemas are the only definition; the server validates with
 * them at the edge, the SDK and the web client take the inferred types.
 */

/** `PUT /api/rooms/:id/modes/tutor`: a field left out keeps its value (CLASS-2). */
export const tutorBody = z
  .object({
    enabled: z.boolean().optional(),
    maxChangedLines: z
      .number()
      .int('maxChangedLines is a whole number of lines')
      .min(TUTOR_MIN_LINES, `maxChangedLines is at least ${TUTOR_MIN_LINES}`)
      .max(TUTOR_MAX_LINES, `maxChangedLines is at most ${TUTOR_MAX_LINES}`)
      .optional(),
  })
  .strict();
export type TutorRequest = z.infer<typeof tutorBody>;

/** `PUT /api/rooms/:id/modes/lecture`: a field left out keeps its value (CLASS-10). */
export const lectureBody = z
  .object({ follow: z.boolean().optional(), frozen: z.boolean().optional() })
  .strict();
export type LectureRequest = z.infer<typeof lectureBody>;

/** `PUT /api/rooms/:id/modes/lecture/pen`: hands the pen to a member for `seconds` (CLASS-12). */
export const penBody = z
  .object({
    userId: z.string().min(1).max(100),
    seconds: z
      .number()
      .int('seconds is a whole number')
      .min(5, 'the pen is handed for at least 5 seconds')
      .max(MAX_PEN_SECONDS, `the pen is handed for at most ${MAX_PEN_SECONDS} seconds`),
  })
  .strict();
export type PenRequest = z.infer<typeof penBody>;

/** `POST /api/rooms/:id/assignments`: an assignment made from this (template) room (CLASS-20). */
export const createAssignmentBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'an assignment needs a name')
      .max(MAX_ASSIGNMENT_NAME, `an assignment name holds at most ${MAX_ASSIGNMENT_NAME} characters`),
  })
  .strict();
export type CreateAssignmentRequest = z.infer<typeof createAssignmentBody>;

/**
 * `POST /api/assignments/:id/join`: the join link's code and the student's name; `token`, a token this
 * browser got for a copy of the same assignment before, answers that copy instead of a new one (CLASS-21).
 */
export const assignmentJoinBody = z
  .object({
    code: z.string().min(1).max(200),
    name: z.string().trim().min(1, 'a display name is required').max(60),
    token: z.string().min(1).max(4_000).optional(),
  })
  .strict();
export type AssignmentJoinRequest = z.infer<typeof assignmentJoinBody>;
