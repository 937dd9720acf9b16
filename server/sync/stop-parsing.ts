import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** The parts of a ws 8 WebSocket (package.json pins the version) that stopping its parser needs. */
interface WsInternals {
  _socket?: Duplex & { writableLength?: number };
  _receiver?: { _loop?: boolean };
  _sender?: { _state?: number; _queue?: unknown[] };
}

/** ws's Sender state when it is not compressing (lib/sender.js DEFAULT): a close frame is written at once. */
const SENDER_IDLE = 0;

/**
 * SAFE-136: a socket refused for a frame reads nothing more. A hostile client has usually sent thousands of
 * frames behind the one refused (12,000 orphans at once cost ws 88-162 ms of parsing, 100,000 seconds),
 * and ws parses every buffered frame before it would see the client's close reply. This does what ws does
 * itself after a protocol error (receiverOnError): the socket's bytes no longer reach the parser and are
 * discarded as they arrive, so the kernel buffer drains and the close ends with a FIN, not a reset that
 * could cost the client our close frame; the parser's loop stops after the frame being handled, leaving
 * the rest of its buffer unread. When ws's sender is idle the close frame (sent just before) is already in
 * the socket's buffer, so the socket is ended behind it: the client reads the close code and reason, and
 * nobody waits for its reply. Otherwise (a compressed message still being written) the caller's close grace
 * ends it.
 *
 * Pausing the TCP socket instead made later upgrades hang (SAFE-28): a paused socket never saw the
 * client's close and lingered until the grace timer. With ws internals other than expected, this does
 * nothing and the caller's own flag drops the frames unhandled (parsed, but not decoded).
 */
export function stopParsing(ws: WebSocket): void {
  const { _socket: socket, _receiver: receiver, _sender: sender } = ws as unknown as WsInternals;
  if (!socket || !receiver || typeof receiver._loop !== 'boolean') return;
  receiver._loop = false;
  socket.removeAllListeners('data');
  socket.on('data', discard);
  socket.resume();
  if (ws.readyState === ws.CLOSING && sender?._state === SENDER_IDLE && sender._queue?.length === 0) {
    socket.end();
  }
}

function discard(): void {}

/**
 * SAFE-174: for a refused socket whose close grace ran out: when everything the server wrote, the close
 * frame last, has left for the kernel, the socket is ended (if the sender was busy at the refusal it was
 * not) and true is returned: only the client's reading is missing, and cutting the socket now would cost
 * it the close frame. A client held busy past the grace (a loaded machine, a long synchronous send loop)
 * that writes again before it reads meets the reset with its write, and ws destroys the socket with our
 * close frame unread in its kernel buffer: it read 1006. False while our bytes wait in this process (a
 * slow reader: the grace cuts it as before) or with ws internals other than expected.
 */
export function closeFrameFlushed(ws: WebSocket): boolean {
  const { _socket: socket, _sender: sender } = ws as unknown as WsInternals;
  if (!socket || !sender || ws.readyState !== ws.CLOSING) return false;
  if (sender._state !== SENDER_IDLE || sender._queue?.length !== 0 || socket.writableLength !== 0)
    return false;
  if (!socket.writableEnded) socket.end();
  return true;
}
