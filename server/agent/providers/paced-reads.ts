import type { Readable } from 'node:stream';
import type { ReadPacer } from '../model-provider.ts';

/**
 * The parts of a socket's stream handle this reads (not public API): Node's TCPWrap for a plain socket, or
 * its TLSWrap for a TLS one, whose readStart and readStop start and stop the TCP handle under it.
 */
interface StreamHandle {
  /** Node's own flag: it starts reading again itself only while this is false */
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

interface SocketLike {
  _handle?: unknown;
  destroyed?: boolean;
}

/**
 * The handles paced: a plain TCP socket's, and a TLS socket's (a hosted model API is https). A TLSWrap holds
 * no decrypted text across a stop: each read of the TCP handle under it decrypts every whole record it
 * completed and emits all of it before returning, so what waits in it is at most the start of a record,
 * which the next read completes. Anything else (a pipe, a handle of a later Node that looks otherwise) reads
 * as Node does.
 */
const PACED_HANDLES = new Set(['TCP', 'TLSWrap']);

function streamHandleOf(socket: SocketLike | null): StreamHandle | null {
  const handle = socket?._handle as Partial<StreamHandle> | null | undefined;
  if (!PACED_HANDLES.has(handle?.constructor?.name ?? '')) return null;
  if (typeof handle?.readStart !== 'function' || typeof handle.readStop !== 'function') return null;
  return handle as StreamHandle;
}

/**
 * PERF-77: a model's response read once per review-doc frame. A fast model sends a packet every few
 * tokens (~700 a second from the bench's fake at 5,000 tokens/s, one per token from a server that flushes
 * every event), and each network read cost the server a wake-up, a `read`, Node's stream machinery and a
 * pass through the SSE reader, the provider, the run and the edit parser, while what it read could not be
 * seen before the next frame anyway. After each read the socket stops reading (the kernel holds what comes
 * next) until the frame clock's next tick, which starts it again before it writes the frame: the data
 * read in that turn is in that frame (FrameClock), so a token is seen when it was before, in ~60 reads a
 * second. A plain TCP socket (a local model server) and a TLS one (a hosted API, PERF-106) are paced, and
 * only while Node itself reads them: its own stop for backpressure is left to it. The end of the response,
 * its close or the end of the reader start the socket reading again, so a kept-alive socket goes back to the
 * pool as it came.
 */
export class PacedReads {
  private readonly stream: Readable;
  private readonly pacer: ReadPacer;
  /** the response's socket, kept: a response may let go of it once it ended */
  private readonly socket: SocketLike | null;
  private readonly handle: StreamHandle | null;
  private stopped = false;
  private done = false;
  private cancel: (() => void) | null = null;
  /** started again by a tick whose reads are not all in yet (PERF-106) */
  private settling = false;
  /** the reader waiting for them */
  private wake: (() => void) | null = null;

  constructor(stream: Readable, pacer: ReadPacer) {
    this.stream = stream;
    this.pacer = pacer;
    this.socket = (stream as { socket?: SocketLike | null }).socket ?? null;
    this.handle = streamHandleOf(this.socket);
    if (this.handle) {
      stream.once('end', this.release);
      stream.once('close', this.release);
    }
  }

  /**
   * PERF-106: when the socket was started again by a tick, resolves once everything that tick's turn read
   * is in the stream (a TLS socket pushes each record of one network read on its own, and the reader would
   * wake for each); null otherwise, and the reader takes what it has now.
   */
  settled(): Promise<void> | null {
    if (!this.settling) return null;
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** A read was taken: stop reading until the next frame. */
  afterRead(): void {
    const h = this.handle;
    if (!h || this.done || this.stopped || !h.reading) return;
    if (h.readStop() !== 0) return;
    this.stopped = true;
    this.cancel = this.pacer.nextFrame(this.resume, this.onSettled);
  }

  /** Reads as Node does from now on (the response ended, closed, or is no longer read). */
  readonly release = (): void => {
    if (this.done) return;
    this.done = true;
    this.cancel?.();
    this.cancel = null;
    this.resume();
    this.onSettled();
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
    if (h?.reading && socket && !socket.destroyed && socket._handle === h) {
      h.readStart();
      if (!this.done) this.settling = true;
    }
  };

  private readonly onSettled = (): void => {
    this.settling = false;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  };
}
