import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { defaultModes } from '../../schema/protocol.ts';
import { AppError } from '../../server/errors.ts';
import type { Fencing } from '../../server/persistence/pg-fence.ts';
import { createPgStores, type PgStores } from '../../server/persistence/pg-stores.ts';
import { roomRows } from '../helpers/room-rows.ts';
import { createTestSchema } from '../helpers/test-services.ts';
import { fullRun, message, event as runEvent } from './agent-store.contract.ts';
import { info as baseInfo } from './base-store.contract.ts';
import { entry } from './checkpoint-store.contract.ts';
import { copy } from './classroom-store.contract.ts';
import { row as attributionRow, suggestion } from './suggestion-store.contract.ts';
import { thread } from './thread-store.contract.ts';
import { verdict } from './verdict-store.contract.ts';

const ROOM = 'room1';

/**
 * Every write of a loaded room's state, as its owner makes it (CLUSTER-50). `n` makes each call a new row, so
 * a refused call that still wrote something would show in the room's tables.
 */
const writes: Record<string, (s: PgStores, n: number) => Promise<unknown>> = {
  'run saved': (s, n) => s.agentStore.saveRun(fullRun(ROOM, `run${n}`)),
  'run messages': (s, n) => s.agentStore.appendMessages(ROOM, [message('run1', n)]),
  'run event': (s, n) => s.agentStore.recordEvent(runEvent(ROOM, `run${n}`)),
  'suggestion saved': (s, n) => s.suggestionStore.saveSuggestion(ROOM, suggestion(`s${n}`, 'run1')),
  'suggestions saved': (s, n) =>
    s.suggestionStore.saveSuggestions(ROOM, [suggestion(`s${n}a`, 'run1'), suggestion(`s${n}b`, 'run1')]),
  'decision event': (s, n) =>
    s.suggestionStore.recordEvent({
      roomId: ROOM,
      runId: 'run1',
      suggestionId: `s${n}`,
      kind: 'accepted',
      userId: 'u-ada',
      at: n,
      detail: null,
    }),
  attribution: (s, n) => s.suggestionStore.addAttribution([attributionRow(`${ROOM}/src/a.ts`, n, 0)]),
  'thread saved': (s, n) => s.threadStore.saveThread(ROOM, thread(`t${n}`, n)),
  'thread deleted': (s) => s.threadStore.deleteThread(ROOM, 't0'),
  'verdict set': (s, n) => s.verdictStore.setVerdict(ROOM, verdict(`u${n}`, n)),
  'verdict cleared': (s) => s.verdictStore.clearVerdict(ROOM, 'u0'),
  'modes set': (s, n) =>
    s.classroomStore.setModes(ROOM, { ...defaultModes, tutor: { enabled: true, maxChangedLines: n } }, n),
  'assignment copy edited': (s, n) => s.classroomStore.noteEdit(ROOM, 1000 + n),
  'history texts': (s, n) => s.checkpointStore.putTexts(ROOM, [{ hash: `h${n}`, text: `t${n}` }]),
  'history entry': (s, n) =>
    s.checkpointStore.append(entry(`e${n}`, [{ path: 'a', before: null, after: 'h0' }], { roomId: ROOM })),
  'base set': (s, n) => s.baseStore.setBase(ROOM, baseInfo(`b${n}`), [{ path: 'a', text: `${n}` }]),
  import: (s, n) =>
    s.importStore.addImport({
      docName: ROOM,
      client: n,
      id: `i${n}`,
      userId: 'u-ada',
      source: 'zip',
      files: 1,
      bytes: 1,
      at: n,
    }),
  'client bindings': (s, n) =>
    s.docStore.appendMany([
      { docName: ROOM, updates: [], bindings: [{ clientId: 100 + n, userId: 'u-ada' }] },
    ]),
  'document append': (s, n) => s.docStore.append(`${ROOM}/review`, [update(n)]),
};

/** A real Yjs update (the doc store checks nothing of it, but a real one keeps the test honest). */
function update(n: number): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, `u${n}`);
  return Y.encodeStateAsUpdate(doc);
}

const rowsOf = (s: PgStores) => roomRows(s.database.pool, ROOM);

describe('fencing of every room write on PostgreSQL (CLUSTER-50)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('CLUSTER-50: every write of a room by a node whose fencing number is below the stored one is refused whole, and says the room is lost', async () => {
    const { url, schema, drop } = await createTestSchema();
    cleanup.push(drop);
    const fences = { old: 7, fresh: 8 };
    const lost: string[] = [];
    const fencing = (who: 'old' | 'fresh'): Fencing => ({
      fenceOf: (docName) => ({ roomId: docName.split('/')[0]!, fence: fences[who] }),
      // The refusal names the number the write was made with (CLUSTER-51: a late one must not give up a newer hold).
      refused: (roomId, fence) => {
        if (who === 'old') lost.push(`${roomId}@${fence}`);
      },
    });
    // Two nodes on one database: the old owner of the room and the one that takes it over.
    const old = await createPgStores(url, { schema, max: 2, fencing: fencing('old') });
    cleanup.push(() => old.close());
    const fresh = await createPgStores(url, { schema, max: 2, fencing: fencing('fresh') });
    cleanup.push(() => fresh.close());
    await old.roomStore.createRoom(
      {
        id: ROOM,
        name: 'r',
        createdAt: 1,
        policy: { accept: ['owner'], interrupt: ['owner'], stop: ['owner'], comment: ['owner'] },
      },
      [],
    );
    await old.classroomStore.addCopy(copy(ROOM, 'a1', 1));
    expect((await old.docStore.claimFence(ROOM, fences.old)).ok).toBe(true);

    // While it holds the highest number, the old owner writes everything (the thread and verdict it later
    // deletes and clears among them).
    await old.threadStore.saveThread(ROOM, thread('t0', 0));
    await old.verdictStore.setVerdict(ROOM, verdict('u0', 0));
    await old.checkpointStore.putTexts(ROOM, [{ hash: 'h0', text: 'zero' }]);
    for (const [what, write] of Object.entries(writes)) {
      await expect(write(old, 1), what).resolves.not.toThrow();
    }
    await old.threadStore.saveThread(ROOM, thread('t0', 0));
    await old.verdictStore.setVerdict(ROOM, verdict('u0', 0));

    // Another node takes the room: its number goes to PostgreSQL before it loads the room (CLUSTER-7).
    expect((await fresh.docStore.claimFence(ROOM, fences.fresh)).ok).toBe(true);
    const before = await rowsOf(fresh);
    for (const [what, write] of Object.entries(writes)) {
      lost.length = 0;
      const err = await write(old, 2).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(AppError);
      expect((err as AppError).code, what).toBe('fenced');
      expect((err as AppError).closeCode, what).toBe(4509);
      expect(lost, what).toEqual([`${ROOM}@${fences.old}`]);
      expect(await rowsOf(fresh), what).toEqual(before);
    }
    // The new owner writes every kind, as the old one did.
    for (const [what, write] of Object.entries(writes)) {
      await expect(write(fresh, 3), what).resolves.not.toThrow();
    }
  });

  it('CLUSTER-50: a write of a room this node does not hold is refused before any I/O, nothing stored', async () => {
    const { url, schema, drop } = await createTestSchema();
    cleanup.push(drop);
    const stores = await createPgStores(url, {
      schema,
      max: 2,
      fencing: {
        fenceOf: () => {
          throw new AppError('fenced', 'this node does not hold the room');
        },
      },
    });
    cleanup.push(() => stores.close());
    const before = await rowsOf(stores);
    for (const [what, write] of Object.entries(writes)) {
      const err = await write(stores, 1).then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as AppError | null)?.code, what).toBe('fenced');
    }
    expect(await rowsOf(stores)).toEqual(before);
  });
});
