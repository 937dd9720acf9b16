import { isSparkroomError } from '../../../sdk/sparkroom-error.ts';

export type ErrorContext = 'create' | 'join' | 'room' | 'agent' | 'import' | 'download';

/** A sentence for people from any failure, worded for what they were doing. */
export function describeError(err: unknown, context: ErrorContext): string {
  if (!isSparkroomError(err)) return err instanceof Error ? err.message : String(err);
  switch (err.code) {
    case 'network':
      return 'Cannot reach the Sparkroom server. Check your connection and try again.';
    case 'server_busy':
      return 'The server is busy right now (too many rooms or runs at once). Try again in a moment.';
    case 'not_found':
      return context === 'agent'
        ? err.message
        : 'This room does not exist. The link may be incomplete, or the room was deleted.';
    case 'forbidden':
      if (context === 'join') {
        return 'This invite link is no longer valid: it was revoked or replaced. Ask the room owner for a new link.';
      }
      return `Not allowed: ${err.message}.`;
    case 'unauthorized':
      if (context === 'create') return 'This server only lets its admin create rooms. Enter the admin token.';
      return 'Your access to this room has expired or was revoked. Open your invite link again.';
    case 'removed':
      return 'An owner removed you from this room. If that was a mistake, ask them for a new invite link.';
    case 'room_deleted':
      return 'This room was deleted by its owner: its files and history are gone.';
    case 'agent_not_configured':
      return 'Spark is not configured on this server: set SPARK_BASE_URL / SPARK_API_KEY and restart it.';
    case 'rate_limited':
      return `Slow down: ${err.message}.`;
    case 'too_large':
      return context === 'import' ? `Too big to import: ${err.message}.` : err.message;
    case 'archive_refused':
      return `The archive was refused and nothing was imported: ${err.message}.`;
    case 'stale':
      return 'The code under this suggestion changed since Spark wrote it, so it can no longer be applied.';
    default:
      return err.message;
  }
}
