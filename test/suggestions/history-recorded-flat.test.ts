import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { createSqliteStores } from '../../server/persistence/sqlite-stores.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import {
  type RecordedHashes,
  recordedEntries,
  recordedFrom,
  recordedHash,
  withRecorded,
} from '../../server/suggestions/recorded-hashes.ts';
import { RoomHistory, type RoomHistoryDeps } from '../../server/suggestions/room-history.ts';
import { elementsBytes, sameHeapString } from '../helpers/elements-bytes.ts';

function loadRoom(docStore: DocStore): Promise<Room> {
  return Room.load('flat', {
    docStore,
    limits: defaultLimits,
    log: silentLogger,
    now: () => 0,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
}

/** What a room's history holds as its recorded hashes: the flat array (PERF-161) or a Map. */
function recordedOf(history: RoomHistory): RecordedHashes {
  return (history as unknown as { recorded: RecordedHashes }).recorded;
}

describe("PERF-161: an idle room history's recorded hashes are one flat array", () => {
  it("PERF-161: a reloaded room's history keeps its two files flat, each path the document's own key string; an edit is recorded against them as before", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkroom-recorded-'));
    const stores = createSqliteStores(join(dir, 'sparkroom.db'));
    const deps: RoomHistoryDeps = {
      store: stores.checkpointStore,
      log: silentLogger,
      now: () => 0,
      editIntervalMs: 60_000,
      nameOf: async () => 'ada',
    };
    const rooms: Room[] = [];
    try {
      // Two files recorded by the first load's baseline, then the room loaded again from SQLite.
      const first = await loadRoom(stores.docStore);
      rooms.push(first);
      first.code.transact(
        (doc) => {
          const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
          files.set('a.ts', new Y.Text('const a = 1;\n'));
          files.set('b.ts', new Y.Text('const b = 2;\n'));
        },
        { source: 'server', reason: 'seed' },
      );
      await first.whenFlushed();
      await new RoomHistory(first, deps).recordEditsNow();
      first.destroy();
      const room = await loadRoom(stores.docStore);
      rooms.push(room);
      const history = new RoomHistory(room, deps);
      expect(await history.recordEditsNow()).toBeNull();

      // Path and hash after one another, exactly as long as its entries (on main: a Map and its table).
      const recorded = recordedOf(history);
      expect(Array.isArray(recorded)).toBe(true);
      const flat = recorded as (string | null)[];
      expect(flat).toHaveLength(4);
      expect(await elementsBytes(flat)).toBe(16 + 4 * 8);
      // Each path is the string the document keys the file by, not the store's copy of it.
      const keys = [...room.code.doc.getMap<Y.Text>(CODE_FILES_KEY).keys()];
      for (const path of ['a.ts', 'b.ts']) {
        const mine = flat.find((v) => v === path)!;
        expect(await sameHeapString(mine, keys.find((k) => k === path)!)).toBe(true);
      }

      // REVIEW-6 as before: an edit is recorded with the text it had before.
      const before = recordedHash(recorded, 'a.ts');
      room.code.transact((doc) => doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.insert(0, '// hi\n'), {
        source: 'connection',
        connId: 1,
        userId: 'ada',
      });
      const entry = await history.recordEditsNow();
      expect(entry?.files.map((f) => [f.path, f.before])).toEqual([['a.ts', before]]);
      expect(recordedHash(recordedOf(history), 'a.ts')).toBe(entry?.files[0]?.after);
      expect(recordedHash(recordedOf(history), 'b.ts')).not.toBeNull();
    } finally {
      for (const r of rooms) r.destroy();
      stores.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PERF-161: past eight paths a Map holds the hashes; a deleted file is recorded as null in either form', () => {
    let recorded = recordedFrom(new Map([['x.ts', null]]), ['y.ts']);
    expect(recorded).toEqual(['x.ts', null]);
    for (let i = 1; i <= 7; i++) recorded = withRecorded(recorded, `f${i}.ts`, `h${i}`);
    expect(recorded).toHaveLength(16);
    recorded = withRecorded(recorded, 'f8.ts', 'h8');
    expect(recorded).toBeInstanceOf(Map);
    expect(recordedHash(recorded, 'x.ts')).toBeNull();
    expect(recordedHash(recorded, 'f3.ts')).toBe('h3');
    expect(recordedHash(recorded, 'nope.ts')).toBeUndefined();
    expect(recordedEntries(recorded)).toHaveLength(9);
    // Recorded again: in place, in either form.
    recorded = withRecorded(recorded, 'f3.ts', null);
    expect(recordedHash(recorded, 'f3.ts')).toBeNull();
    const small = withRecorded(recordedFrom(new Map(), []), 'a.ts', 'h');
    expect(withRecorded(small, 'a.ts', null)).toBe(small);
    expect(recordedEntries(small)).toEqual([['a.ts', null]]);
    // A store of more than eight paths loads as a Map.
    const many = new Map<string, string | null>();
    for (let i = 0; i < 9; i++) many.set(`m${i}.ts`, `h${i}`);
    expect(recordedFrom(many, ['m0.ts'])).toBeInstanceOf(Map);
  });
});
