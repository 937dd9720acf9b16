/**
 * How long the edit parser and the anchor matcher hold the event loop on hostile model output (SAFE-50,
 * SAFE-51), measured in-process without a server so the figures are the parser's and matcher's own:
 *
 *   npx tsx bench/edit-stalls.ts
 *
 * Each shape is one synchronous call sequence, as one big model chunk would run on the event loop. The
 * attack tests (test/load/edit-stalls.test.ts) check the same shapes through the server with a loose bound.
 * The last two are what a turn's start reads (SAFE-156; test/agent/turn-start-stall.test.ts).
 */
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../schema/protocol.ts';
import { AnchorIndex, findAnchor } from '../server/agent/anchor-matcher.ts';
import { createEditParser, type EditFormat } from '../server/agent/edit-parser.ts';
import { liveOf, readLive, readSnapshot, snapshotFile } from '../server/agent/file-snapshot.ts';
import { liveLinesOf } from '../server/agent/live-lines.ts';
import { buildContext, contextCharBudget } from '../server/agent/prompt-builder.ts';
import { sliceStats } from '../server/agent/sliced-walk.ts';
import { bigFileUpdate } from '../test/helpers/big-file.ts';

function time(label: string, fn: () => void): void {
  const t0 = performance.now();
  fn();
  console.log(`${label.padEnd(72)} ${(performance.now() - t0).toFixed(1).padStart(8)} ms`);
}

function longLine(format: EditFormat, head: string, piece: string): void {
  const parser = createEditParser(format);
  parser.push(head);
  for (let i = 0; i < 16_384; i++) parser.push(piece);
  parser.end();
}

time('SAFE-50 SEARCH line of 512 KB in 16,384 chunks', () =>
  longLine('search_replace', 'src/a.ts\n<<<<<<< SEARCH\n', 'x'.repeat(32)),
);
time('SAFE-50 apply_patch context line of 512 KB in 16,384 chunks', () =>
  longLine('apply_patch', '*** Begin Patch\n*** Update File: a.ts\n@@\n ', 'x'.repeat(32)),
);
time('SAFE-50 prose line of 512 KB of blanks in 16,384 chunks', () =>
  longLine('search_replace', 'ok\n', ' '.repeat(32)),
);

const blanks = `a\n${' '.repeat(120_000)}x\nb\n`;
time('SAFE-51 unmatched hunk against a line of 120,000 blanks', () => {
  findAnchor(blanks, { contextBefore: '', oldText: 'b  \nc\n' });
});

const lines = Array.from({ length: 10_000 }, (_, i) => `export const value${i} = ${i}; // ${'-'.repeat(8)}`);
const big = `${lines.join('\n')}\n`;
time(`SAFE-51 300 drifted hunks on a ${Math.round(big.length / 1024)} KB file, one index`, () => {
  const index = new AnchorIndex(big);
  for (let h = 0; h < 300; h++) {
    const found = findAnchor(index, { contextBefore: '', oldText: `${lines[h * 30]}   \n` });
    if (!found.ok) throw new Error(`hunk ${h} not placed`);
  }
});
const same = 'x\n'.repeat(200_000);
time('SAFE-51 a 1,000-line needle in 200,000 equal lines (exact, capped)', () => {
  findAnchor(same, { contextBefore: '', oldText: 'x\n'.repeat(1000) });
});
time('SAFE-51 the same needle with drift (line tier, KMP)', () => {
  findAnchor(same, { contextBefore: '', oldText: 'x \n'.repeat(1000) });
});

const typed = new Y.Doc();
Y.applyUpdate(typed, bigFileUpdate('big.ts'));
const typedText = typed.getMap<Y.Text>(CODE_FILES_KEY).get('big.ts');
if (!typedText) throw new Error('big.ts missing');
const typedSnapshot = snapshotFile('big.ts', typedText);
time('SAFE-156 a turn reads a 450 KB file of 224,000 items (its snapshot, once)', () => {
  snapshotFile('big.ts', typedText);
});
time("SAFE-160 its live view for the turn's first hunk, file unchanged (the snapshot's walk)", () => {
  liveOf(typedSnapshot, typedText, typed);
});
typedText.insert(0, '// typed\n');
time("SAFE-160 its live view after a person's edit (one walk)", () => {
  liveLinesOf(typedSnapshot.lineStarts, typedText, typed);
});
const roomFile = 'export const value = computeSomething(alpha, beta, gamma); // comment\n'.repeat(170);
const room = Array.from({ length: 2_000 }, (_, i) => ({
  path: `src/f${i}.ts`,
  length: roomFile.length,
  read: () => roomFile,
}));
time('SAFE-156 the context of a 2,000-file / 24 MB room (files that fit read)', () => {
  buildContext({ files: room, focusFile: 'src/f3.ts', prompt: 'go', maxChars: contextCharBudget(4096) });
});

// SAFE-175 / SAFE-176: the same reads in slices across turns of the loop; the longest slice is what holds it.
sliceStats.longestMs = 0;
const sliced = new Y.Doc();
Y.applyUpdate(sliced, bigFileUpdate('big.ts'));
const slicedText = sliced.getMap<Y.Text>(CODE_FILES_KEY).get('big.ts');
if (!slicedText) throw new Error('big.ts missing');
let t0 = performance.now();
const slicedSnapshot = await readSnapshot('big.ts', slicedText);
console.log(
  `${'SAFE-175 the same read in slices: longest slice / slices / wall'.padEnd(72)} ${sliceStats.longestMs.toFixed(1).padStart(8)} ms / ${sliceStats.slices} / ${(performance.now() - t0).toFixed(1)} ms`,
);
slicedText.insert(0, '// typed\n');
Object.assign(sliceStats, { slices: 0, longestMs: 0 });
t0 = performance.now();
await readLive(slicedSnapshot, slicedText, sliced);
console.log(
  `${"SAFE-176 the live view after a person's edit in slices: longest / slices / wall".padEnd(72)} ${sliceStats.longestMs.toFixed(1).padStart(8)} ms / ${sliceStats.slices} / ${(performance.now() - t0).toFixed(1)} ms`,
);
