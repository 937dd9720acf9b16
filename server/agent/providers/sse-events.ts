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

const LF = 10;
const COLON = 58;
const SPACE = 32;
/** `event` and its colon: the longest field read */
const FIELD_COLON_WITHIN = 6;

/**
 * Splits a text/event-stream into events in one pass over each chunk (AGENT-25). The OpenAI SDK's reader
 * copies its whole buffer for every event it takes out of a network read, so a read holding hundreds of
 * events (a server that fell behind a fast model) cost time quadratic in the read, and it buffers an event
 * without limit. Here a line that spans reads is kept in pieces and joined once, when its end comes.
 *
 * PERF-123: a line within one chunk is read where it lies (the chunk and the line's bounds), so the only
 * string made of an event is its data's value: a model sends an event of three lines per token, and a
 * slice per line, field and value, an array of data lines and their join were most of the splitter's time.
 * Line ends are found with `indexOf` (a CR is looked for only while the chunk has one).
 */
export class SseSplitter {
  private readonly maxEventChars: number;
  /** the current line's text from earlier chunks */
  private pieces: string[] = [];
  private pieceChars = 0;
  /** the last chunk ended in CR: a LF starting the next one belongs to that line end */
  private afterCr = false;
  private event: string | null = null;
  /** the event's data lines so far, joined by LF; null while it has none */
  private data: string | null = null;
  private eventChars = 0;

  constructor(maxEventChars = MAX_SSE_EVENT_CHARS) {
    this.maxEventChars = maxEventChars;
  }

  /** Takes the next chunk of text; returns the events it completed, in order. */
  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    if (chunk === '') return out;
    let start = 0;
    if (this.afterCr && chunk.charCodeAt(0) === LF) start = 1;
    this.afterCr = false;
    // The next LF and CR at or after `start` (-1: none left in the chunk), each searched again only once passed.
    let lf = chunk.indexOf('\n', start);
    let cr = chunk.indexOf('\r', start);
    while (lf !== -1 || cr !== -1) {
      const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
      if (this.pieces.length > 0) {
        this.pieces.push(chunk.slice(start, end));
        const line = this.pieces.join('');
        this.pieces = [];
        this.pieceChars = 0;
        this.line(line, 0, line.length, out);
      } else this.line(chunk, start, end, out);
      start = end + 1;
      if (end === cr) {
        if (end + 1 === chunk.length) this.afterCr = true;
        else if (chunk.charCodeAt(end + 1) === LF) start = end + 2;
      }
      if (lf !== -1 && lf < start) lf = chunk.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = chunk.indexOf('\r', start);
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

  /** The line `text[from, to)`. */
  private line(text: string, from: number, to: number, out: SseEvent[]): void {
    if (from === to) {
      if (this.data !== null) out.push({ event: this.event, data: this.data });
      this.event = null;
      this.data = null;
      this.eventChars = 0;
      return;
    }
    this.eventChars += to - from;
    if (this.eventChars > this.maxEventChars) throw new SseEventTooLarge(this.maxEventChars);
    // A line starting with a colon is a comment (keepalives); a line without one is a field with no value.
    if (text.charCodeAt(from) === COLON) return;
    // Only `data` and `event` are read: a colon further in ends a field of another name, so the search stops
    // there (a search to the line's end could cross the chunk's other lines, for each line without a colon).
    const limit = Math.min(to, from + FIELD_COLON_WITHIN);
    let fieldEnd = to;
    for (let i = from; i < limit; i++) {
      if (text.charCodeAt(i) === COLON) {
        fieldEnd = i;
        break;
      }
    }
    let valueFrom = fieldEnd === to ? to : fieldEnd + 1;
    if (valueFrom < to && text.charCodeAt(valueFrom) === SPACE) valueFrom++;
    if (isField(text, from, fieldEnd, 'data')) {
      const value = text.slice(valueFrom, to);
      this.data = this.data === null ? value : `${this.data}\n${value}`;
    } else if (isField(text, from, fieldEnd, 'event')) this.event = text.slice(valueFrom, to);
  }
}

/** Whether `text[from, to)` is `name`. */
function isField(text: string, from: number, to: number, name: string): boolean {
  return to - from === name.length && text.startsWith(name, from);
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
