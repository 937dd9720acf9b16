import * as Y from 'yjs';
import type { Connection } from './connection.ts';
import { docSend, docSendWhole, type SendHost } from './doc-send.ts';
import type { JoinAnswer } from './join-base.ts';
import { syncAnswer } from './sync-answer.ts';
import { syncStep2Frame } from './y-websocket-frames.ts';

/** What answering a joiner's sync step 1 needs of its document (RoomDoc implements it). */
export interface JoinerHost extends SendHost {
  readonly doc: Y.Doc;
  /** how to answer a client that knows `known` (ROOM-35: inline, the base, or a base to build first) */
  joinPlan(known: ReadonlyMap<number, number>): JoinAnswer;
  /** builds the joiners' base again (it was too far behind) */
  rebuildBase(): Promise<void>;
  /** runs `fn` once everything applied so far is durable (ROOM-3) */
  whenIdle(fn: () => void): void;
}

/**
 * Answers a client's sync step 1 once everything applied so far is durable (ROOM-3): a sync step 2 with
 * what it lacks, or for a joiner lacking much of a big document its base and the diff from it (ROOM-35).
 * The state vector is validated now, before the wait.
 */
export function answerJoiner(host: JoinerHost, conn: Connection, stateVector: Uint8Array): void {
  const known = Y.decodeStateVector(stateVector);
  const answer = (rebuilt: boolean) => {
    if (conn.closed) return;
    // A base too far behind is built again first (once: a second miss is answered inline).
    const plan = host.joinPlan(known);
    if (plan.kind === 'build' && !rebuilt) {
      conn.awaitingAnswer = true;
      void host.rebuildBase().then(() => host.whenIdle(() => answer(true)));
      return;
    }
    conn.awaitingAnswer = false;
    if (plan.kind !== 'base') {
      docSend(host, conn, syncStep2Frame(syncAnswer(host.doc, stateVector)));
      return;
    }
    // The base is one update the client applies whole, the diff the sync step 2 that completes it (the
    // stock client is synced with it). Together they are the one answer: past the send-buffer check
    // (ROOM-9) as one frame of their size would have passed it.
    // PERF-150: the base's frame prepared once (deflated) for every joiner; the transport keeps the diff
    // behind it however long the preparation still takes.
    docSendWhole(host, conn, plan.message);
    if (!conn.closed) conn.socket.send(syncStep2Frame(syncAnswer(host.doc, plan.stateVector)));
  };
  host.whenIdle(() => answer(false));
}
