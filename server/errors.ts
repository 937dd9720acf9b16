import { type ErrorBody, type ErrorCode, errorCodes } from '../schema/protocol.ts';

/**
 * An expected failure with a stable code. The code maps once to an HTTP status (before a WebSocket upgrade
 * or on a REST call) and to a close code (after the upgrade); the message is shown to the user as is.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** for rate limits: when to try again (sent as Retry-After) */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }

  get closeCode(): number {
    return errorCodes[this.code].close;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Turns anything thrown into an AppError, keeping the cause for the log. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('internal', 'internal server error', { cause: err });
}
