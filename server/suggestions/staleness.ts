import type * as Y from 'yjs';
import type { SuggestionView } from '../../schema/protocol.ts';
import type { Logger } from '../log.ts';
import { isOrigin } from '../rooms/origins.ts';
import type { Room } from '../rooms/room.ts';
import { writeSuggestionState } from './decisions.ts';
import { readSuggestion, suggestionsMap } from './review-doc.ts';
import type { RunProposals } from './run-proposals.ts';
import { type Anchored, baseStillHolds } from './suggestion-range.ts';
import type { SuggestionStore } from './suggestion-store.ts';

/** States in which a person's edit under a suggestion makes it stale. */
const OPEN: ReadonlySet<string> = new Set(['streaming', 'proposed', 'interrupted']);

export interface StalenessDeps {
  store: SuggestionStore;
  log: Logger;
  now: () => number;
  /** the live channel of a run streaming in this process, if any */
  channelOf: (runId: string) => RunProposals | undefined;
}

/**
 * AGENT-7: a person's edit that changes the text under an open suggestion makes it stale. A live run's
 * suggestion goes through its channel (so it stops taking text in order with what is queued); any other is
 * written at once. Runs on every code-doc transaction of a person, so it reads only the anchor fields.
 * Called when the room's review doc opens (PERF-120): before, it held no suggestion (PERF-31).
 */
export function watchStaleness(room: Room, deps: StalenessDeps): void {
  room.code.doc.on('afterTransaction', (tr: Y.Transaction) => {
    const origin = isOrigin(tr.origin) ? tr.origin : null;
    // People's edits, and imports that overwrite files (IO-9), can take the text from under a suggestion.
    if ((origin?.source !== 'connection' && origin?.source !== 'import') || tr.changed.size === 0) return;
    const suggestions = suggestionsMap(room.review.doc);
    if (suggestions.size === 0) return;
    // Only files this transaction touched can have lost their base text.
    const touched = new Set<string>();
    for (const type of tr.changed.keys()) {
      const key = type._item?.parentSub;
      if (key) touched.add(key);
    }
    for (const map of suggestions.values()) {
      if (!OPEN.has(map.get('state') as string) || !touched.has(map.get('file') as string)) continue;
      // Only the anchor fields: map.toJSON() would also serialise the proposed text, on every keystroke.
      const anchored: Anchored = {
        file: map.get('file') as string,
        start: map.get('start') as string | null,
        end: map.get('end') as string | null,
        baseText: map.get('baseText') as string,
        newFile: map.get('newFile') === true,
        fileOp: (map.get('fileOp') as Anchored['fileOp']) ?? null,
      };
      if (baseStillHolds(room.code.doc, anchored)) continue;
      const id = map.get('id') as string;
      if (deps.channelOf(map.get('runId') as string)?.markStale(id)) continue;
      writeSuggestionState(room, id, { state: 'stale' });
      recordStale(room, deps, readSuggestion(map));
    }
  });
}

function recordStale(room: Room, deps: StalenessDeps, s: SuggestionView): void {
  Promise.all([
    deps.store.saveSuggestion(room.id, s),
    deps.store.recordEvent({
      roomId: room.id,
      runId: s.runId,
      suggestionId: s.id,
      kind: 'stale',
      userId: null,
      at: deps.now(),
      detail: 'the code under it was edited',
    }),
  ]).catch((err: unknown) => deps.log.error({ err, room: room.id }, 'recording a stale suggestion failed'));
}
