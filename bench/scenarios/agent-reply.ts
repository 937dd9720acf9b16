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
