/**
 * Every Yjs transaction the server makes or applies carries one of these as its origin. Persistence,
 * broadcast and attribution all decide from it: `load` is never re-persisted or re-broadcast;
 * `connection` is not echoed back to the socket it came from; `accept` writes AI attribution rows.
 */
export type TransactionOrigin =
  | { source: 'load' }
  | { source: 'connection'; connId: number; userId: string }
  | { source: 'agent'; runId: string }
  | { source: 'accept'; suggestionId: string; runId: string; userId: string }
  | { source: 'revert'; suggestionId: string; runId: string; userId: string }
  | { source: 'server'; reason: string }
  /** a change the server makes for a person over many files (replace across files, reverting an entry) */
  | { source: 'change'; userId: string; what: 'replace' | 'revert' }
  /** text brought in by an archive import (IO-7), inserted under the import's own clientID */
  | { source: 'import'; importId: string; userId: string };

export function isOrigin(value: unknown): value is TransactionOrigin {
  return typeof value === 'object' && value !== null && 'source' in value;
}
