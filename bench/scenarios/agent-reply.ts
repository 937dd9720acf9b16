import { tokenize } from '../../test/helpers/fake-model-server.ts';
import { ORDINAL_PATTERN, ordinalText } from '../driver/suggestion-watch.ts';
import { EDIT_FILE, EDIT_FILE_TEXT } from '../lib/seed-content.ts';

/** Fake-model tokens per added line (`+  const s0000123 = 123;` tokenizes to about a dozen). */
const TOKENS_PER_LINE_ESTIMATE = 12;

export interface ScriptedReply {
  text: string;
  tokens: number;
  /** ordinal -> index of the token that completes its marker (when it can first be fully visible) */
  tokenOf: Map<number, number>;
}

/**
 * An apply_patch reply (the edit format of the default Codex-family model) that replaces the first
 * function's body in EDIT_FILE with numbered lines, long enough to stream for `seconds` at `tps`. Every
 * added line carries an ordinal marker, so watchers can time each token from the fake's schedule.
 */
export function scriptedReply(firstOrdinal: number, tps: number, seconds: number): ScriptedReply {
  const [head, body, close] = EDIT_FILE_TEXT.split('\n');
  if (!head || !body || !close) throw new Error('the edit file must start with a three-line function');
  const lines = Math.ceil((tps * seconds) / TOKENS_PER_LINE_ESTIMATE);
  let text = `Rewriting the first function.\n*** Begin Patch\n*** Update File: ${EDIT_FILE}\n@@\n ${head}\n-${body}\n`;
  for (let i = 0; i < lines; i++) {
    const n = firstOrdinal + i;
    text += `+  const ${ordinalText(n)} = ${n % 1000};\n`;
  }
  text += ` ${close}\n*** End Patch\n`;
  const tokens = tokenize(text);
  // Token i covers characters [ends[i-1], ends[i]) of the text.
  const ends: number[] = [];
  let at = 0;
  for (const t of tokens) {
    at += t.length;
    ends.push(at);
  }
  const tokenOf = new Map<number, number>();
  let ti = 0;
  for (const m of text.matchAll(ORDINAL_PATTERN)) {
    const last = (m.index ?? 0) + m[0].length - 1;
    while ((ends[ti] ?? Number.POSITIVE_INFINITY) <= last) ti++;
    tokenOf.set(Number(m[1]), ti);
  }
  return { text, tokens: tokens.length, tokenOf };
}

/**
 * The server environment of every Spark scenario: Spark pointed at the fake model, and the limits that are
 * made for people (prompts per minute, tokens per run) raised so a benchmark's runs are not cut short.
 */
export function sparkBenchEnv(fakeUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SPARK_API: 'responses',
    SPARK_BASE_URL: fakeUrl,
    SPARK_API_KEY: 'bench',
    // Long enough for the longest scripted stream (5,000 tokens/s for the phase plus slack), short
    // enough that the context budget (128k window minus this) still holds the room's files.
    SPARK_MAX_OUTPUT_TOKENS: '60000',
    // One person prompts 100+ times a minute here; the default limit is for people, not benchmarks.
    SPARKROOM_PROMPTS_PER_MINUTE: '100000',
    SPARKROOM_ROOM_PROMPTS_PER_MINUTE: '100000',
    // A 5,000 tokens/s phase sends 25,000+ tokens; the default per-run cap (16,384) would end it early.
    SPARK_MAX_RUN_TOKENS: '1000000',
    SPARK_MAX_RUN_OUTPUT_BYTES: String(64 * 1024 * 1024),
    // BENCH_SPARK_FRAME_MS tries another review-doc frame interval (SPARK_FRAME_MS) against the default.
    ...(process.env.BENCH_SPARK_FRAME_MS ? { SPARK_FRAME_MS: process.env.BENCH_SPARK_FRAME_MS } : {}),
    // BENCH_SPARK_TEXT_FRAME_TICKS=2 writes streamed text every other frame (PERF-45; the default is every frame).
    ...(process.env.BENCH_SPARK_TEXT_FRAME_TICKS
      ? { SPARK_TEXT_FRAME_TICKS: process.env.BENCH_SPARK_TEXT_FRAME_TICKS }
      : {}),
    ...extra,
  };
}
