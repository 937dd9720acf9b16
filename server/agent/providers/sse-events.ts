import type { Readable } from 'node:stream';
import type { ReadPacer } from '../model-provider.ts';
import { PacedReads } from './paced-reads.ts';

/** One server-sent event: its `event:` name (null without one) and its `data:` lines joined by newlines. */
export interface SseEvent {
  event: string | null;
  data: string;
}

/**
 * AGENT-25: the largest event a model stream may send, in UTF-16 code units of its lines. The biggest
 * legitimate one is `response.completed`, which repeats the whole reply (the run's output cap, 512 KB by
 * default) and the instructions; anything past this is refused instead of buffered without end.
 */
export const MAX_SSE_EVENT_CHARS = 8 * 1024 * 1024;

/** An event (or an unterminated line) passed MAX_SSE_EVENT_CHARS; the stream is refused. */
export class SseEventTooLarge extends Error {
  constructor(limit: number) {
    super(`the model sent a stream event over ${limit} characters; stopped reading it`);
    this.name = 'SseEventTooLarge';
  }
}

const LINE_END = /[\r\n]/g;

/**
 * Splits a text/event-stream into events in one pass over each chunk (AGENT-25). The OpenAI SDK's reader
 * copies its whole buffer for every event it takes out of a network read, so a read holding hundreds of
 * events (a server that fell behind a fast model) cost time quadratic in the read, and it buffers an event
 * without limit. Here a line that spans reads is kept in pieces and joined once, when its end comes.
 */
export class SseSplitter {
  private readonly maxEventChars: number;
  /** the current line's text from earlier chunks */
  private pieces: string[] = [];
  private pieceChars = 0;
  /** the last chunk ended in CR: a LF starting the next one belongs to that line end */
  private afterCr = false;
  private event: string | null = null;
  private data: string[] | null = null;
  private eventChars = 0;

  constructor(maxEventChars = MAX_SSE_EVENT_CHARS) {
    this.maxEventChars = maxEventChars;
  }

  /** Takes the next chunk of text; returns the events it completed, in order. */
  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    if (chunk === '') return out;
    let start = 0;
    if (this.afterCr && chunk.charCodeAt(0) === 10) start = 1;
    this.afterCr = false;
    LINE_END.lastIndex = start;
    for (let m = LINE_END.exec(chunk); m !== null; m = LINE_END.exec(chunk)) {
      const end = m.index;
      let line = chunk.slice(start, end);
      if (this.pieces.length > 0) {
        this.pieces.push(line);
        line = this.pieces.join('');
        this.pieces = [];
        this.pieceChars = 0;
      }
      this.line(line, out);
      start = end + 1;
      if (chunk.charCodeAt(end) === 13) {
        if (end + 1 === chunk.length) this.afterCr = true;
        else if (chunk.charCodeAt(end + 1) === 10) start = end + 2;
      }
      LINE_END.lastIndex = start;
    }
    if (start < chunk.length) {
      const rest = chunk.slice(start);
      this.pieceChars += rest.length;
      if (this.eventChars + this.pieceChars > this.maxEventChars)
        throw new SseEventTooLarge(this.maxEventChars);
      this.pieces.push(rest);
    }
    return out;
  }

  /** The stream ended: an event not closed by a blank line is dropped, as the SSE standard says. */
  end(): void {
    this.pieces = [];
    this.pieceChars = 0;
    this.event = null;
    this.data = null;
    this.eventChars = 0;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data !== null) out.push({ event: this.event, data: this.data.join('\n') });
      this.event = null;
      this.data = null;
      this.eventChars = 0;
      return;
    }
    this.eventChars += line.length;
    if (this.eventChars > this.maxEventChars) throw new SseEventTooLarge(this.maxEventChars);
    const colon = line.indexOf(':');
    // A line starting with a colon is a comment (keepalives); a line without one is a field with no value.
    if (colon === 0) return;
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      if (this.data === null) this.data = [value];
      else this.data.push(value);
    } else if (field === 'event') this.event = value;
  }
}

/**
 * Reads an SSE body and yields, per network read, the events it completed: consumers handle a read's events
 * in one synchronous loop instead of one await per event. Ends when the body does; an abort of the request
 * rejects the pending read, as with any fetch body.
 */
export async function* sseEventBatches(
  body: ReadableStream<Uint8Array>,
  maxEventChars = MAX_SSE_EVENT_CHARS,
): AsyncGenerator<SseEvent[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const splitter = new SseSplitter(maxEventChars);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const events = splitter.push(decoder.decode(value, { stream: true }));
      if (events.length > 0) yield events;
    }
    const events = splitter.push(decoder.decode());
    splitter.end();
    if (events.length > 0) yield events;
  } finally {
    // Leaving early (an abort, the consumer gone, a refused event) must not leave the body being read.
    reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * PERF-76: as sseEventBatches, from the Node stream of a response of `nodeHttpFetch`: each read takes all
 * that arrived since the last one (`readable.read()` through the stream's async iterator), decoded by the
 * stream, without a WHATWG stream between the socket and the splitter. Leaving early destroys the stream
 * (the connection is closed, as cancelling the fetch body does).
 */
export async function* sseEventBatchesFromNode(
  stream: Readable,
  maxEventChars = MAX_SSE_EVENT_CHARS,
  pacer?: ReadPacer,
): AsyncGenerator<SseEvent[]> {
  stream.setEncoding('utf8');
  const splitter = new SseSplitter(maxEventChars);
  // PERF-77: with a pacer, the socket is read once per frame.
  const paced = pacer ? new PacedReads(stream, pacer) : null;
  try {
    for await (const first of stream) {
      let chunk = first as string;
      // PERF-106: what else the tick's turn read (a TLS socket's other records) is taken with it.
      const settled = paced?.settled();
      if (settled) {
        await settled;
        const rest = stream.read() as string | null;
        if (rest !== null) chunk += rest;
      }
      paced?.afterRead();
      const events = splitter.push(chunk);
      if (events.length > 0) yield events;
    }
    splitter.end();
  } finally {
    paced?.release();
    stream.destroy();
  }
}
