import type { ErrorBody, ErrorCode } from '../../schema/protocol.ts';

/** Codes the client adds for failures that never reached the server or came back unreadable. */
export type ClientErrorCode = ErrorCode | 'network' | 'bad_response';

/**
 * A failed Sparkroom call: the server's stable `{error: {code, message}}` body, or `network` when the
 * server could not be reached (status 0). The message is written for people and can be shown as is.
 */
export class SparkroomError extends Error {
  readonly code: ClientErrorCode;
  readonly status: number;

  constructor(code: ClientErrorCode, message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SparkroomError';
    this.code = code;
    this.status = status;
  }

  /** Builds the error from a non-2xx response, whatever its body turns out to be. */
  static async fromResponse(res: Response): Promise<SparkroomError> {
    const text = await res.text().catch(() => '');
    try {
      const body = JSON.parse(text) as Partial<ErrorBody>;
      if (body.error && typeof body.error.code === 'string' && typeof body.error.message === 'string') {
        return new SparkroomError(body.error.code, body.error.message, res.status);
      }
    } catch {
      // Not JSON (a proxy's error page, say): fall through to a generic message with the status.
    }
    return new SparkroomError(
      'bad_response',
      `the server answered ${res.status} ${res.statusText}`,
      res.status,
    );
  }
}

export function isSparkroomError(err: unknown): err is SparkroomError {
  return err instanceof SparkroomError;
}
