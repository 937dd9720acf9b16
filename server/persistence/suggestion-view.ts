import type { SuggestionView } from '../../schema/protocol.ts';
import type { suggestions } from '../../schema/tables/agent.ts';
import { decodeFileOp, decodeRevertFields } from '../suggestions/suggestion-store.ts';

/** A stored suggestion row as both dialects read it (the PostgreSQL table has the same columns). */
export type SuggestionRow = typeof suggestions.$inferSelect;

/** A suggestion row as the rest of the server sees it: one mapping for the SQLite and PostgreSQL stores. */
export function suggestionView(r: SuggestionRow): SuggestionView {
  return {
    id: r.id,
    runId: r.runId,
    file: r.file,
    start: r.start,
    end: r.end,
    baseText: r.baseText,
    proposed: r.proposed,
    state: r.state,
    proposedBy: { agent: r.proposedByAgent, model: r.proposedByModel },
    requestedBy: r.requestedBy,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    interruptedBy: r.interruptedBy,
    newFile: r.newFile,
    ...decodeFileOp(r.fileOp),
    ...(r.threadId === null ? {} : { threadId: r.threadId }),
    ...decodeRevertFields(r),
  };
}
