import type { Connection } from './connection.ts';
import { SharedMessage } from './room-socket.ts';
import { mergeForBroadcast } from './update-concat.ts';
import { updateFrame } from './y-websocket-frames.ts';

/** A committed update and the connection that sent it (-1: the server or a load). */
export interface CommittedUpdate {
  update: Uint8Array;
  sender: number;
}

/** A commit batch larger than this is broadcast update by update, not merged. */
export const MERGE_MAX_BYTES = 64 * 1024;

/**
 * PERF-21: what each socket receives of one durable batch, as one message encoded once. The batch's updates
 * are merged into one (concatenated when they come from different clients, PERF-72, else Yjs merges them
 * without a document) for every socket that sent none of them; a
 * socket that sent some gets the merge of the others' (the few senders of a turn cost one more merge each),
 * and nothing when it sent them all. A batch past MERGE_MAX_BYTES (an import) goes as it was written, one
 * message per update, so a merge never holds the loop for long. Calls `send` per socket and message; a
 * SharedMessage lets the transport frame it once for all of them.
 */
export function broadcastBatch(
  batch: readonly CommittedUpdate[],
  connections: Iterable<Connection>,
  send: (conn: Connection, message: SharedMessage) => void,
  merge: (updates: Uint8Array[]) => Uint8Array = mergeForBroadcast,
): void {
  if (batch.length === 0) return;
  let bytes = 0;
  for (const u of batch) bytes += u.update.byteLength;
  if (batch.length > 1 && bytes > MERGE_MAX_BYTES) {
    for (const u of batch) {
      const message = new SharedMessage(updateFrame(u.update));
      for (const conn of connections) if (conn.id !== u.sender) send(conn, message);
    }
    return;
  }
  const senders = new Set<number>();
  for (const u of batch) senders.add(u.sender);
  const messageOf = (updates: Uint8Array[]) =>
    new SharedMessage(updateFrame(updates.length === 1 ? updates[0]! : merge(updates)));
  // PERF-63: built when a socket that sent nothing is found: in a room where everyone typed in this turn
  // (three people, each a sender), nobody receives the merge of all of them.
  let all: SharedMessage | null = null;
  const others = new Map<number, SharedMessage | null>();
  for (const conn of connections) {
    let message: SharedMessage | null;
    if (!senders.has(conn.id)) {
      if (all === null) all = messageOf(batch.map((u) => u.update));
      message = all;
    } else {
      const known = others.get(conn.id);
      if (known !== undefined) message = known;
      else {
        const rest: Uint8Array[] = [];
        for (const u of batch) if (u.sender !== conn.id) rest.push(u.update);
        message = rest.length === 0 ? null : messageOf(rest);
        others.set(conn.id, message);
      }
    }
    if (message) send(conn, message);
  }
}
