import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import type { HunkStart } from '../../server/agent/edit-parser.ts';
import {
  type FileSnapshot,
  readLive,
  readSnapshot,
  snapshotFile,
  snapshotOf,
} from '../../server/agent/file-snapshot.ts';
import { itemWalks, liveLinesOf } from '../../server/agent/live-lines.ts';
import { placeHunk } from '../../server/agent/place-hunk.ts';
import { SLICE_ITEMS, sliceStats } from '../../server/agent/sliced-walk.ts';
import { decodeRelativePosition, encodeRelativePosition } from '../../server/rooms/relative-positions.ts';
import { type AgentCore, startAgentCore } from '../helpers/agent-core.ts';
import { BIG_FILE_LINES, BIG_FILE_TEXT, bigFileUpdate } from '../helpers/big-file.ts';
import { pause } from '../helpers/scripted-provider.ts';
import { start } from './edit-parser-events.ts';

/*
 * SAFE-175 / SAFE-176: a long file someone changed is read in slices across turns of the event loop, at a
 * turn's start (its snapshot) and before a hunk is placed (its live view), so no one task walks the whole
 * file. The counts are the assertion: slices, items per slice, walks, restarts; and what the sliced read
 * answers is compared with the one-task walk and with Yjs's own positions, also when the file changes
 * between two slices.
 */

const line = (n: number) => BIG_FILE_LINES[n] ?? '';
const hunk = (n: number) => start(n, 'big.ts', '', `${line(n)}\n`) as HunkStart;
/** 224,000 items: at least this many slices */
const MIN_SLICES = Math.ceil(224_000 / SLICE_ITEMS);

function bigDoc(): { doc: Y.Doc; ytext: Y.Text } {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, bigFileUpdate('big.ts'));
  const ytext = doc.getMap<Y.Text>(CODE_FILES_KEY).get('big.ts');
  if (!ytext) throw new Error('big.ts missing');
  return { doc, ytext };
}

/** Counts the turns of the event loop that ran while `promise` was pending. */
async function turnsWhile<T>(promise: Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const tick = () => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const result = await promise;
  done = true;
  return { result, turns };
}

/** The snapshot's fields a sliced read must answer as the one-task walk does. */
function shape(snap: FileSnapshot) {
  return {
    text: snap.text,
    lineOffsets: snap.lineOffsets,
    lineStarts: snap.lineStarts.map(encodeRelativePosition),
    starts: Array.from(snap.live?.starts ?? []),
    itemStarts: Array.from(snap.live?.itemStarts ?? []),
    length: snap.live?.length,
  };
}

/** Places line `n`'s hunk with no walk, at Yjs's own positions for where that line is now. */
function expectPlacedAsYjs(doc: Y.Doc, ytext: Y.Text, snap: FileSnapshot, n: number): void {
  const walks = itemWalks.count;
  const placed = placeHunk(doc, new Map([['big.ts', snap]]), hunk(n));
  const from = ytext.toString().indexOf(`${line(n)}\n`);
  const to = from + line(n).length + 1;
  expect(placed).toMatchObject({
    ok: true,
    placement: {
      start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, from, 0)),
      end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, to, -1)),
    },
  });
  expect(itemWalks.count - walks).toBe(0);
}

beforeEach(() => {
  sliceStats.slices = 0;
  sliceStats.restarts = 0;
  sliceStats.maxSliceItems = 0;
});

describe('SAFE-175: a turn reads a long file in slices', () => {
  it('SAFE-175: a 224,000-item file is read in bounded slices across turns of the loop, as the one-task walk reads it, and kept (SAFE-159)', async () => {
    const { doc, ytext } = bigDoc();
    const whole = shape(snapshotFile('big.ts', ytext));
    sliceStats.maxSliceItems = 0;
    const walks = itemWalks.count;
    const { result: snap, turns } = await turnsWhile(readSnapshot('big.ts', ytext));
    expect(itemWalks.count - walks).toBe(1);
    expect(sliceStats.slices).toBeGreaterThanOrEqual(MIN_SLICES);
    expect(sliceStats.maxSliceItems).toBeLessThanOrEqual(SLICE_ITEMS);
    expect(sliceStats.restarts).toBe(0);
    // Other tasks ran between the slices: the loop was given back (the counter's ticks and the slices take
    // turns in setImmediate's queue, so not quite one tick per gap).
    expect(turns).toBeGreaterThan(MIN_SLICES / 2);
    expect(snap.text).toBe(BIG_FILE_TEXT);
    expect(shape(snap)).toEqual(whole);
    // Kept for the unchanged file: the next read walks nothing, sliced or not.
    expect(await readSnapshot('big.ts', ytext)).toBe(snap);
    expect(snapshotOf('big.ts', ytext)).toBe(snap);
    expect(itemWalks.count - walks).toBe(1);
    expectPlacedAsYjs(doc, ytext, snap, 5_000);
  }, 60_000);

  it('SAFE-175: edits between two slices (an insert above, a split item, a deleted line) start the read again: it answers the text as it is', async () => {
    const { doc, ytext } = bigDoc();
    const walks = itemWalks.count;
    // The first slice runs at once; the edits land before the second.
    const reading = readSnapshot('big.ts', ytext);
    ytext.insert(0, '// typed\n');
    const at = ytext.toString().indexOf(line(3_000));
    ytext.insert(at + 3, 'Q');
    ytext.delete(ytext.toString().indexOf(line(9_000)), line(9_000).length + 1);
    const snap = await reading;
    expect(sliceStats.restarts).toBe(1);
    expect(itemWalks.count - walks).toBe(2);
    expect(sliceStats.maxSliceItems).toBeLessThanOrEqual(SLICE_ITEMS * 2);
    expect(snap.text).toBe(ytext.toString());
    expect(shape(snap)).toEqual(shape(snapshotFile('big.ts', ytext)));
    expectPlacedAsYjs(doc, ytext, snap, 5_000);
    expectPlacedAsYjs(doc, ytext, snap, 9_999);
  }, 60_000);

  it('SAFE-175: a file changed between every two slices is still read (larger slices, then one task) at the version it ends on', async () => {
    const { ytext } = bigDoc();
    let typing = true;
    const type = () => {
      if (!typing) return;
      ytext.insert(0, 'x');
      setImmediate(type);
    };
    const reading = readSnapshot('big.ts', ytext);
    setImmediate(type);
    const snap = await reading;
    typing = false;
    expect(sliceStats.restarts).toBe(4);
    expect(snap.text).toBe(ytext.toString());
    expect(snap.text.endsWith(BIG_FILE_TEXT)).toBe(true);
  }, 60_000);
});

describe('SAFE-176: a hunk after an edit reads the live view in slices', () => {
  it("SAFE-176: after a person's edit the live view is read in bounded slices, equal to the one-task walk; the hunk is then placed with no walk, also when the file changes between slices", async () => {
    const { doc, ytext } = bigDoc();
    const snap = snapshotFile('big.ts', ytext);
    ytext.insert(0, '// typed\n');
    const whole = liveLinesOf(snap.lineStarts, ytext, doc);
    sliceStats.maxSliceItems = 0;
    const walks = itemWalks.count;
    const { turns } = await turnsWhile(readLive(snap, ytext, doc));
    expect(itemWalks.count - walks).toBe(1);
    expect(sliceStats.slices).toBeGreaterThanOrEqual(MIN_SLICES);
    expect(sliceStats.maxSliceItems).toBeLessThanOrEqual(SLICE_ITEMS);
    expect(turns).toBeGreaterThan(MIN_SLICES / 2);
    expect(Array.from(snap.live?.starts ?? [])).toEqual(Array.from(whole.starts));
    expect(Array.from(snap.live?.itemStarts ?? [])).toEqual(Array.from(whole.itemStarts));
    expectPlacedAsYjs(doc, ytext, snap, 2_000);

    // A person types between two slices: the read starts again and answers the text as it is then.
    ytext.insert(ytext.toString().indexOf(line(7_000)), '// above 7000\n');
    const reading = readLive(snap, ytext, doc);
    ytext.delete(ytext.toString().indexOf(line(8_000)) + 4, 2);
    await reading;
    expect(sliceStats.restarts).toBe(1);
    expectPlacedAsYjs(doc, ytext, snap, 7_000);
    expectPlacedAsYjs(doc, ytext, snap, 9_000);
    // Line 8,000 lost two characters: refused, never placed elsewhere.
    expect(placeHunk(doc, new Map([['big.ts', snap]]), hunk(8_000))).toEqual({
      ok: false,
      reason: 'the text there changed after the prompt',
    });
  }, 60_000);
});

describe('SAFE-175 / SAFE-176: through the agent core', () => {
  let core: AgentCore | null = null;
  afterEach(async () => {
    await core?.close();
    core = null;
  });

  it("SAFE-175/SAFE-176: a turn's start reads the changed file in slices, and a hunk after a person's edit mid-stream waits for a sliced live view, placed where Yjs says", async () => {
    core = await startAgentCore({ 'src/a.ts': 'export const a = 1;\n' });
    const c = core;
    c.edit(c.people.owner, 'src/a.ts', (t) => Y.applyUpdate(t.doc as Y.Doc, bigFileUpdate('big.ts')));
    const gate = pause();
    const old = line(5_000);
    c.provider.script([
      'Negated it.\n',
      '*** Begin Patch\n',
      '*** Update File: big.ts\n',
      '@@\n',
      gate,
      `-${old}\n`,
      `+${old.replace(' = 5000;', ' = -5000;')}\n`,
      '*** End Patch\n',
    ]);
    const walks = itemWalks.count;
    const runId = await c.agent.createRun(c.people.editor, { prompt: 'negate value5000', file: 'big.ts' });
    const request = await c.provider.turnStarted(0);
    expect(JSON.stringify(request.messages)).toContain(line(5_000));
    // The start: big.ts and src/a.ts, each walked once; big.ts in bounded slices.
    expect(itemWalks.count - walks).toBe(2);
    expect(sliceStats.slices).toBeGreaterThanOrEqual(MIN_SLICES);
    expect(sliceStats.maxSliceItems).toBeLessThanOrEqual(SLICE_ITEMS);
    // A person types above while the model streams: the hunk's placement needs the live view again.
    c.edit(c.people.owner, 'big.ts', (t) => t.insert(0, '// typed\n'));
    const slicesBefore = sliceStats.slices;
    gate.open();
    const run = await c.waitRun(runId, ['completed', 'failed']);
    expect(run.status).toBe('completed');
    expect(itemWalks.count - walks).toBe(3);
    expect(sliceStats.slices - slicesBefore).toBeGreaterThanOrEqual(MIN_SLICES);
    expect(sliceStats.maxSliceItems).toBeLessThanOrEqual(SLICE_ITEMS);
    const [s] = c.suggestionsOf(runId);
    expect(s?.baseText).toBe(`${old}\n`);
    const ytext = c.room().code.doc.getMap<Y.Text>(CODE_FILES_KEY).get('big.ts') as Y.Text;
    const startPos = Y.createAbsolutePositionFromRelativePosition(
      decodeRelativePosition(s?.start as string),
      c.room().code.doc,
    );
    expect(startPos?.index).toBe(ytext.toString().indexOf(`${old}\n`));
  }, 120_000);
});
