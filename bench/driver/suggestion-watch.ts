import * as Y from 'yjs';
import { clockMs } from '../lib/clock.ts';

/** Ordinal markers the bench's scripted model writes into its replacement text: `s` and seven digits. */
export const ORDINAL_PATTERN = /s(\d{7})/g;
const MARKER_LENGTH = 8;

export function ordinalText(n: number): string {
  return `s${String(n).padStart(7, '0')}`;
}

/**
 * Watches a Sparkroom review doc as a person's screen would: the agent's suggestion text as it is typed.
 * It notes when each ordinal marker first became fully visible (token-to-visible) and when the doc last
 * changed (interrupt-to-quiescence).
 *
 * It reads the inserted strings straight from each update (Y.decodeUpdate), not from Y.Text events:
 * an event's delta walks the whole text, which at 60 frames/s into a 40 KB suggestion made the watchers,
 * not the server, the bottleneck. A marker split across two frames is joined through the struct's origin
 * (the last character of the insert it continues).
 */
export class SuggestionWatch {
  readonly firstSeen = new Map<number, number>();
  lastUpdateAt = 0;
  /**
   * The last update that wrote something. A settled run leaving the doc (ROOM-27, a minute after it
   * settled) is an update of deletions only; every change a run makes (text, a field, a state) writes.
   */
  lastWriteAt = 0;
  /** "client:clock" of an insert's last character -> its last MARKER_LENGTH - 1 characters */
  private tails = new Map<string, string>();

  /** Call after the update is applied (the moment a person would see it). */
  observe(update: Uint8Array): void {
    const now = clockMs();
    this.lastUpdateAt = now;
    const { structs } = Y.decodeUpdate(update);
    if (structs.length > 0) this.lastWriteAt = now;
    for (const struct of structs) {
      if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) continue;
      const str = struct.content.str;
      const origin = struct.origin;
      const key = origin ? `${origin.client}:${origin.clock}` : '';
      const window = (this.tails.get(key) ?? '') + str;
      this.tails.delete(key);
      for (const m of window.matchAll(ORDINAL_PATTERN)) {
        const n = Number(m[1]);
        if (!this.firstSeen.has(n)) this.firstSeen.set(n, now);
      }
      this.tails.set(
        `${struct.id.client}:${struct.id.clock + str.length - 1}`,
        window.slice(-(MARKER_LENGTH - 1)),
      );
    }
    // Only the newest tails can be continued; keep the map from growing over a long run.
    if (this.tails.size > 1000) this.tails = new Map([...this.tails].slice(-100));
  }

  take(reset: boolean): { firstSeen: [number, number][]; lastUpdateAt: number; lastWriteAt: number } {
    const out = {
      firstSeen: [...this.firstSeen],
      lastUpdateAt: this.lastUpdateAt,
      lastWriteAt: this.lastWriteAt,
    };
    if (reset) this.firstSeen.clear();
    return out;
  }
}
