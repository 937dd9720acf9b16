import type { AwarenessUser } from '../../../../schema/protocol.ts';

/** The fields a person publishes in the code doc's awareness (plus `user`, which the server stamps). */
export interface LocalPresence {
  /** the file open in their editor */
  file: string | null;
  /** y-codemirror.next's shape: Y.RelativePosition JSON of the selection's ends */
  cursor: { anchor: unknown; head: unknown } | null;
}

/** One participant as seen in an awareness state. */
export interface Participant {
  clientId: number;
  user: AwarenessUser;
  /** the file they are in, when known */
  file: string | null;
  /** for people: relative-position JSON of their selection; for the agent: an index into `file` */
  cursor: { anchor: unknown; head: unknown } | null;
  /** for the agent: an offset in the text it is typing (of `agentSuggestionId` when given) */
  agentIndex: number | null;
  /** for the agent: the suggestion (hunk) it is writing */
  agentSuggestionId: string | null;
  /** for the agent: the run it is writing and who asked (from `user` or the state itself) */
  runId: string | null;
  askedBy: string | null;
}

function isUser(v: unknown): v is AwarenessUser {
  if (typeof v !== 'object' || v === null) return false;
  const u = v as Record<string, unknown>;
  return typeof u.id === 'string' && typeof u.name === 'string' && typeof u.role === 'string';
}

/** Reads one awareness state defensively (states come from the network). Null when it names no one. */
export function readParticipant(clientId: number, state: Record<string, unknown> | null): Participant | null {
  if (!state || !isUser(state.user)) return null;
  const user = { ...state.user, color: typeof state.user.color === 'string' ? state.user.color : '#64748b' };
  const raw = state.cursor as Record<string, unknown> | null | undefined;
  const isAgent = user.role === 'agent';
  const agentFile = isAgent && raw && typeof raw.file === 'string' ? raw.file : null;
  const agentIndex = isAgent && raw && typeof raw.index === 'number' ? raw.index : null;
  const agentSuggestionId = isAgent && raw && typeof raw.suggestionId === 'string' ? raw.suggestionId : null;
  const personCursor =
    !isAgent && raw && typeof raw === 'object' && raw.anchor && raw.head
      ? { anchor: raw.anchor, head: raw.head }
      : null;
  const pick = (key: 'runId' | 'askedBy'): string | null => {
    const v = user[key] ?? state[key];
    return typeof v === 'string' ? v : null;
  };
  return {
    clientId,
    user,
    file: agentFile ?? (typeof state.file === 'string' ? state.file : null),
    cursor: personCursor,
    agentIndex,
    agentSuggestionId,
    runId: pick('runId'),
    askedBy: pick('askedBy'),
  };
}

/** Everyone in an awareness state map except `selfId`, one entry per clientID. */
export function participantsOf(
  states: Map<number, Record<string, unknown>>,
  selfId: number | null,
): Participant[] {
  const out: Participant[] = [];
  for (const [id, state] of states) {
    if (id === selfId) continue;
    const p = readParticipant(id, state);
    if (p) out.push(p);
  }
  return out;
}
