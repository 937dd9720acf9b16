import type { AttemptEvent } from './stream-with-retry.ts';

/**
 * The events of one network read with their consecutive text deltas joined into one event that counts them
 * (PERF-50). A model sends a token per SSE event and a read holds several (about five at 5,000 tokens/s);
 * every event handed on costs a pass through three async generators, the edit parser and the run's loop,
 * while the deltas of one read reach watchers in the same frame whatever happens. Empty deltas are dropped.
 */
export function coalesceDeltas(events: Iterable<AttemptEvent | null>): AttemptEvent[] {
  const out: AttemptEvent[] = [];
  let text = '';
  let tokens = 0;
  for (const event of events) {
    if (event === null) continue;
    if (event.type === 'text-delta') {
      if (event.text === '') continue;
      text += event.text;
      tokens += event.tokens ?? 1;
      continue;
    }
    if (tokens > 0) out.push({ type: 'text-delta', text, tokens });
    text = '';
    tokens = 0;
    out.push(event);
  }
  if (tokens > 0) out.push({ type: 'text-delta', text, tokens });
  return out;
}
