import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors.ts';

/** Reads and validates a JSON body once, at the edge. Bad JSON or fields are a 400 naming the problem. */
export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let raw: unknown;
  try {
    const text = await c.req.text();
    raw = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new AppError('bad_request', 'request body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new AppError('bad_request', `invalid request: ${where}${issue?.message ?? 'invalid body'}`);
  }
  return parsed.data;
}
