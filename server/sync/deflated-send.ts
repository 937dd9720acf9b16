import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { WebSocket } from 'ws';
import type { Logger } from '../log.ts';
import type { SharedMessage } from '../rooms/room-socket.ts';
import { idleRawSocket, Sender } from './framed-send.ts';

/** The zlib settings our sockets deflate with (start-server.ts gives them to ws; the base uses the same). */
export const DEFLATE_OPTIONS = { level: 1, memLevel: 7 } as const;

/** ws deflates with this window unless the socket negotiated server_max_window_bits (zlib's default). */
const WINDOW_BITS = 15;

/** RFC 7692 7.2.1: a message's deflate data ends with this empty stored block, which is left off the wire. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

const deflateRaw = promisify(zlib.deflateRaw) as (buf: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

/** How many whole messages were deflated for sockets (PERF-150: once per base); read by tests. */
export const wholeDeflates = { count: 0 };

/** A message's deflated frame: the bytes to write (null while it deflates, or if that failed). */
interface DeflatedFrame {
  frame: Buffer | null;
  /** settles when the deflate ends (either way); null after */
  ready: Promise<void> | null;
}

/**
 * PERF-150: deflates `message` once, on libuv's thread pool (never on the event loop), into the frame ws
 * would write for it on a socket that negotiated permessage-deflate without server context takeover and with
 * the default window: each message such a socket sends is compressed on its own, so these bytes are valid on
 * every such socket. Kept on the message, which goes with its base (JoinBase).
 */
export function prepareDeflated(message: SharedMessage, log: Logger, doc: string): void {
  if (message.prepared !== null) return;
  const data = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  const prepared: DeflatedFrame = { frame: null, ready: null };
  prepared.ready = deflateRaw(data, {
    ...DEFLATE_OPTIONS,
    windowBits: WINDOW_BITS,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  }).then(
    (out) => {
      wholeDeflates.count++;
      prepared.ready = null;
      if (!out.subarray(out.length - TRAILER.length).equals(TRAILER)) {
        log.warn({ doc }, "the base's deflate did not end in an empty stored block; sending it as before");
        return;
      }
      const payload = out.subarray(0, out.length - TRAILER.length);
      const parts = Sender.frame(payload, { fin: true, opcode: 2, mask: false, readOnly: false, rsv1: true });
      prepared.frame = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
    (err: unknown) => {
      prepared.ready = null;
      log.warn({ err, doc }, "deflating the joiners' base failed; each socket deflates it as before");
    },
  );
  message.prepared = prepared;
}

/** The deflated frame's state on `message`, if it was prepared and `ws` can take that frame. */
export function deflatedFor(ws: WebSocket, message: SharedMessage): DeflatedFrame | null {
  const prepared = message.prepared as DeflatedFrame | null;
  if (prepared === null) return null;
  const ext = (ws as unknown as { _extensions?: Record<string, { params?: Record<string, unknown> }> })
    ._extensions?.['permessage-deflate'];
  const params = ext?.params;
  if (params?.server_no_context_takeover !== true) return null;
  const bits = params.server_max_window_bits;
  return bits === undefined || bits === WINDOW_BITS ? prepared : null;
}

/**
 * Writes `prepared`'s frame when the socket's Sender is idle, so it lands where ws.send would have put it;
 * otherwise (something queued or compressing, or no frame) ws.send compresses it for this socket as before.
 */
export function writeDeflated(ws: WebSocket, message: SharedMessage, prepared: DeflatedFrame): void {
  const raw = prepared.frame ? idleRawSocket(ws) : null;
  if (raw && prepared.frame) raw.write(prepared.frame);
  else ws.send(message.data);
}
