import { isSparkroomError } from '../sdk/sparkroom-error.ts';

/** Exit codes, stable for scripts: 0 done, 1 failed, 2 usage, 3 unreachable, 4 refused access, 5 over a limit. */
export const exitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  access: 4,
  limit: 5,
  conflicts: 6,
} as const;

/** A failure the CLI explains in one sentence and ends with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Turns what a command threw into the sentence and exit code a person gets. */
export function explain(err: unknown, server: string | null): CliError {
  if (err instanceof CliError) return err;
  if (isSparkroomError(err)) {
    if (err.code === 'network') {
      return new CliError(
        `cannot reach the Sparkroom server${server ? ` at ${server}` : ''}`,
        exitCodes.unreachable,
      );
    }
    if (err.status === 401 || err.status === 403) {
      return new CliError(
        `access refused: ${err.message} (is the invite link valid and not revoked?)`,
        exitCodes.access,
      );
    }
    if (err.status === 404) return new CliError(`not found: ${err.message}`, exitCodes.access);
    if (err.status === 413) return new CliError(`over a limit: ${err.message}`, exitCodes.limit);
    return new CliError(`the server refused: ${err.message}`, exitCodes.failed);
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'ENOTDIR') {
    return new CliError(`${e.message}`, exitCodes.failed);
  }
  return new CliError(`unexpected error: ${(err as Error)?.stack ?? String(err)}`, exitCodes.failed);
}
