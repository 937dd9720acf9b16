import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, toAppError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The one place errors become HTTP responses: `{error: {code, message}}` with the code's status. */
export function errorHandler(log: Logger) {
  return function handleError(err: Error, c: Context): Response {
    const isHttpException = err instanceof HTTPException && !(err instanceof AppError);
    const appErr = isHttpException
      ? new AppError(err.status === 413 ? 'too_large' : 'bad_request', err.message)
      : toAppError(err);
    if (appErr.code === 'internal') log.error({ err, path: c.req.path }, 'request failed');
    // A body refused part-way is never read to its end, so Node drops the connection after answering; saying
    // so keeps a keep-alive client from sending its next request down a socket that is about to close.
    if (appErr.code === 'too_large') c.header('connection', 'close');
    // A refused WebSocket upgrade is answered with status and headers only (no body), so the code travels
    // in a header as well; clients can tell "expired" from "revoked" from "forbidden".
    c.header('x-sparkroom-error', appErr.code);
    if (appErr.retryAfterSeconds !== undefined) c.header('retry-after', String(appErr.retryAfterSeconds));
    const status = isHttpException ? (err as HTTPException).status : appErr.status;
    return c.json(appErr.toBody(), status as ContentfulStatusCode);
  };
}
