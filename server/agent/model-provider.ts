/**
 * The model provider port: one streaming turn is an event stream (docs/design.md section 3, after vercel/ai
 * stream parts). Errors and the finish are events rather than exceptions, so the run loop has one place
 * to decide what a turn's end means, and cancellation always goes through an AbortSignal.
 */

/** One message of the conversation sent to the model. */
export interface ModelMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One turn asked of the model. */
export interface ModelRequest {
  model: string;
  /** system / developer instructions */
  instructions: string;
  /** conversation so far (user prompts, earlier assistant output) */
  messages: ModelMessage[];
  maxOutputTokens: number;
  /** e.g. room id: lets the WebSocket provider keep one warm connection per room */
  sessionKey?: string;
}

/** What a turn reports, in order: `start`, any `text-delta`s, then `usage` + `finish`, or a final `error`. */
export type AgentEvent =
  /** upstream accepted the request (headers / response.created) */
  | { type: 'start' }
  /**
   * `tokens`: how many of the model's deltas `text` joins, 1 when absent. The deltas of one network read are
   * handed over as one event (PERF-50): they arrived together, and each event costs the run a pass.
   */
  | { type: 'text-delta'; text: string; tokens?: number }
  | { type: 'usage'; inputTokens: number | null; outputTokens: number }
  | { type: 'finish'; reason: 'stop' | 'length' | 'other' }
  | { type: 'error'; message: string; code?: string; status?: number };

/**
 * PERF-77: lets a stream read the model's socket once per review-doc frame instead of once per network
 * packet. `nextFrame(resume, settled)` calls `resume` at the next frame tick, before that frame is written,
 * so what is read then is in that frame, and then `settled` once that turn's reads are in (its I/O phase is
 * over), still before the frame is written and with the promises it resolves run first (PERF-106: a TLS
 * socket hands over each record of one network read on its own; the stream takes them together then). It
 * returns a function that cancels the calls.
 */
export interface ReadPacer {
  nextFrame(resume: () => void, settled?: () => void): () => void;
}

/** A streaming model backend (OpenAI Responses over SSE or WebSocket, or Chat Completions). */
export interface ModelProvider {
  readonly api: 'responses' | 'responses-ws' | 'chat';
  readonly model: string;
  /** Streams one turn. Never throws: failures are a final {type:'error'} event. Aborting `signal` stops
   *  the upstream request at once (closes the HTTP stream / cancels the WS response) and ends the iterable.
   *  `pacer`: reads may wait for the next frame (PERF-77); a transport that cannot pace ignores it. */
  stream(request: ModelRequest, signal: AbortSignal, pacer?: ReadPacer): AsyncIterable<AgentEvent>;
  close(): Promise<void>;
}
