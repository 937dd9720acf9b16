/**
 * Token pacing for the fake model server: how a reply's text is cut into tokens and when each token is
 * due, so a scripted reply streams at a chosen time-to-first-token and tokens-per-second rate.
 */

/** Splits text into small model-like tokens; joining them gives the text back exactly. */
export function tokenize(text: string): string[] {
  return text.match(/[\p{L}\p{N}_]{1,4}|\s+|[^\p{L}\p{N}_\s]/gu) ?? [];
}

/** How many tokens are due `elapsedMs` after the first token's time: token i is due at i * 1000 / tps. */
export function tokensDue(elapsedMs: number, tokensPerSecond: number, total: number): number {
  if (elapsedMs < 0 || total === 0) return 0;
  return Math.min(total, Math.floor((elapsedMs * tokensPerSecond) / 1000) + 1);
}

/** Where paceTokens reads time and sets timers; tests pass a manual clock to fire timers on demand. */
export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Emits tokens on schedule. Each tick sends every token due by now in one batch, so a late timer (a busy
 * event loop) catches up instead of drifting, and 5,000+ tokens/s costs ~1 write per millisecond rather
 * than one timer per token. Returns a cancel function.
 */
export function paceTokens(
  tokens: readonly string[],
  pacing: { ttftMs: number; tokensPerSecond: number },
  onBatch: (batch: string[]) => void,
  onDone: () => void,
  clock: PacerClock = realClock,
): () => void {
  const start = clock.now() + pacing.ttftMs;
  let sent = 0;
  let handle: unknown = null;
  const tick = () => {
    handle = null;
    const now = clock.now();
    const due = tokensDue(now - start, pacing.tokensPerSecond, tokens.length);
    if (due > sent) {
      onBatch(tokens.slice(sent, due));
      sent = due;
    }
    if (sent >= tokens.length) {
      onDone();
      return;
    }
    const nextAt = start + (sent * 1000) / pacing.tokensPerSecond;
    handle = clock.setTimeout(tick, Math.max(1, Math.ceil(nextAt - now)));
  };
  handle = clock.setTimeout(tick, Math.max(0, Math.ceil(pacing.ttftMs)));
  return () => {
    if (handle !== null) clock.clearTimeout(handle);
    handle = null;
  };
}
