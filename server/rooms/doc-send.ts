import type { Limits } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Connection } from './connection.ts';
import type { SharedMessage } from './room-socket.ts';

/*
 * Sending to one socket of a document, the slow reader's check first (ROOM-9). Split from RoomDoc, which
 * decides what every socket gets.
 */

/** What sending to a document's sockets needs of it (RoomDoc implements it). */
export interface SendHost {
  readonly env: { readonly limits: Limits; readonly now: () => number };
  /** takes a socket out of the document: its presence and its place in the broadcast */
  removeConnection(conn: Connection): void;
}

/** Sends to one connection, disconnecting a reader whose send buffer is over the limit (ROOM-9). */
export function docSend(host: SendHost, conn: Connection, message: Uint8Array): void {
  if (!mayReceive(host, conn)) return;
  conn.socket.send(message);
  conn.lastSentAt = host.env.now();
}

/** The same for a big message many sockets receive whole, which the transport may have prepared once. */
export function docSendWhole(host: SendHost, conn: Connection, message: SharedMessage): void {
  if (!mayReceive(host, conn)) return;
  if (conn.socket.sendWhole) conn.socket.sendWhole(message);
  else conn.socket.send(message.data);
  conn.lastSentAt = host.env.now();
}

/** The same for one message of a broadcast, which the transport may frame once for every socket. */
export function docSendShared(host: SendHost, conn: Connection, message: SharedMessage, now: number): void {
  if (!mayReceive(host, conn)) return;
  if (conn.socket.sendShared) conn.socket.sendShared(message);
  else conn.socket.send(message.data);
  conn.lastSentAt = now;
}

/** False for a closed socket, and for a slow reader, which is closed here (ROOM-9). */
function mayReceive(host: SendHost, conn: Connection): boolean {
  if (conn.closed) return false;
  if (conn.socket.bufferedAmount <= host.env.limits.maxSendBufferBytes) return true;
  const err = new AppError('slow_reader', 'send buffer over the limit: the client is not reading');
  conn.close(err.closeCode, err.message);
  // A reader that is not reading cannot finish the close handshake either, so its socket only goes
  // after the transport's grace period; its presence and its place in the broadcast go now.
  host.removeConnection(conn);
  return false;
}
