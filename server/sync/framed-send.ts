import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import * as wsModule from 'ws';
import type { SharedMessage } from '../rooms/room-socket.ts';

/** The parts of a `ws` 8 socket the framed path reads (not its public API; checked at every send). */
export interface WsInternals {
  _socket?: Duplex | null;
  _sender?: { _state?: number; _queue?: unknown[]; _firstFragment?: boolean } | null;
}

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

/** ws exports its Sender (public, `ws.Sender`); @types/ws does not declare it. */
export const Sender = (
  wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } }
).Sender;

/** ws's Sender state when it is not compressing or reading a Blob (lib/sender.js DEFAULT). */
const SENDER_IDLE = 0;

/**
 * Sends one message of a broadcast (PERF-21): the server's frame of it (unmasked binary, FIN) is the same
 * bytes for every socket, so it is built once and kept on the message, and each socket costs one write of
 * those bytes. `ws.send` builds a header per socket and writes header and payload as two buffers (cork,
 * uncork, a writev). The shortcut is taken only when `ws` would write the same bytes at once itself: the
 * socket is open, its Sender has nothing queued or compressing and is not inside a fragmented message, and
 * the message is below `plainBelow` (the permessage-deflate threshold, so nothing it would compress goes
 * plain). Anything else goes through `ws.send` as before.
 */
export function sendShared(ws: WebSocket, message: SharedMessage, plainBelow: number): void {
  const raw = idleRawSocket(ws);
  if (!raw || message.data.byteLength >= plainBelow) {
    ws.send(message.data);
    return;
  }
  if (message.framed === null) {
    const data = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
    const parts = Sender.frame(data, { fin: true, opcode: 2, mask: false, readOnly: false, rsv1: false });
    message.framed = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
  raw.write(message.framed);
}

/**
 * The TCP socket under `ws` when a frame written to it now lands where `ws.send` would put it: the socket is
 * open and its Sender has nothing queued or compressing and is not inside a fragmented message. Null otherwise.
 */
export function idleRawSocket(ws: WebSocket): Duplex | null {
  const internals = ws as unknown as WsInternals;
  const raw = internals._socket;
  const sender = internals._sender;
  if (
    ws.readyState !== ws.OPEN ||
    !raw ||
    !sender ||
    sender._state !== SENDER_IDLE ||
    sender._queue?.length !== 0 ||
    sender._firstFragment !== true
  )
    return null;
  return raw;
}
