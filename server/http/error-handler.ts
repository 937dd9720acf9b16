import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, toAppError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The one place errors become HTTP responses: `{error: {code, message}}` with the code's status. */
export function errorHandler(log: Logger) {
  return function handleError(err: Error, c: Context): Response {
    if (err instanceof HTTPException && !(err instanceof AppError)) {
      const appErr = new AppError(err.status === 413 ? 'too_large' : 'bad_request', err.message);
      return c.json(appErr.toBody(), err.status as ContentfulStatusCode);
    }
    const appErr = toAppError(err);
    if (appErr.code === 'internal') log.error({ err, path: c.req.path }, 'request failed');
    return c.json(appErr.toBody(), appErr.status as ContentfulStatusCode);
  };
}
