import type { Readable } from 'node:stream';
import type { ReadPacer } from '../model-provider.ts';

/** The parts of a plain TCP socket's libuv handle (Node's TCPWrap, not public API) this reads. */
interface TcpHandle {
  /** Node's own flag: it starts reading again itself only while this is false */
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

interface SocketLike {
  _handle?: unknown;
  destroyed?: boolean;
}

function tcpHandleOf(socket: SocketLike | null): TcpHandle | null {
  const handle = socket?._handle as Partial<TcpHandle> | null | undefined;
  // TLS is left alone: its handle holds decrypted data of its own across a stop, which this does not check.
  if (handle?.constructor?.name !== 'TCP') return null;
  if (typeof handle.readStart !== 'function' || typeof handle.readStop !== 'function') return null;
  return handle as TcpHandle;
}

/**
 * PERF-77: a model's response read once per review-doc frame. A fast model sends a packet every few
 * tokens (~700 a second from the bench's fake at 5,000 tokens/s, one per token from a server that flushes
 * every event), and each network read cost the server a wake-up, a `read`, Node's stream machinery and a
 * pass through the SSE reader, the provider, the run and the edit parser, while what it read could not be
 * seen before the next frame anyway. After each read the socket stops reading (the kernel holds what comes
 * next) until the frame clock's next tick, which starts it again before it writes the frame: the data
 * read in that turn is in that frame (FrameClock), so a token is seen when it was before, in ~60 reads a
 * second. Only a plain TCP socket is paced (a local model server; not TLS), and only while Node itself
 * reads it: its own stop for backpressure is left to it. The end of the response, its close or the end of
 * the reader start the socket reading again, so a kept-alive socket goes back to the pool as it came.
 */
export class PacedReads {
  private readonly stream: Readable;
  private readonly pacer: ReadPacer;
  /** the response's socket, kept: a response may let go of it once it ended */
  private readonly socket: SocketLike | null;
  private readonly handle: TcpHandle | null;
  private stopped = false;
  private done = false;
  private cancel: (() => void) | null = null;

  constructor(stream: Readable, pacer: ReadPacer) {
    this.stream = stream;
    this.pacer = pacer;
    this.socket = (stream as { socket?: SocketLike | null }).socket ?? null;
    this.handle = tcpHandleOf(this.socket);
    if (this.handle) {
      stream.once('end', this.release);
      stream.once('close', this.release);
    }
  }

  /** A read was taken: stop reading until the next frame. */
  afterRead(): void {
    const h = this.handle;
    if (!h || this.done || this.stopped || !h.reading) return;
    if (h.readStop() !== 0) return;
    this.stopped = true;
    this.cancel = this.pacer.nextFrame(this.resume);
  }

  /** Reads as Node does from now on (the response ended, closed, or is no longer read). */
  readonly release = (): void => {
    if (this.done) return;
    this.done = true;
    this.cancel?.();
    this.cancel = null;
    this.resume();
    this.stream.off('end', this.release);
    this.stream.off('close', this.release);
  };

  private readonly resume = (): void => {
    this.cancel = null;
    if (!this.stopped) return;
    this.stopped = false;
    const h = this.handle;
    const socket = this.socket;
    // Node's flag still says reading (it stopped nothing itself): start what this stopped.
    if (h?.reading && socket && !socket.destroyed && socket._handle === h) h.readStart();
  };
}
