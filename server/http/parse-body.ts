import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors.ts';

/** `application/json`, or a `+json` type, with or without parameters (charset). */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads and validates a JSON body once, at the edge. Bad JSON or fields are a 400 naming the problem.
 * The body must be declared JSON, even when empty (WEB-23): a page of another site can send text/plain or
 * a form without asking (no CORS preflight), but not application/json, so this keeps cross-site pages
 * from creating rooms or joining in a visitor's name.
 */
export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const type = c.req.header('content-type') ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new AppError(
      'unsupported_media_type',
      `this endpoint takes a JSON body with Content-Type: application/json, not ${type ? `"${type.slice(0, 80)}"` : 'none'}`,
    );
  }
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
