import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import type { HunkStart } from '../../server/agent/edit-parser.ts';
import { type FileSnapshot, snapshotFile } from '../../server/agent/file-snapshot.ts';
import { placeHunk } from '../../server/agent/place-hunk.ts';
import { encodeRelativePosition } from '../../server/rooms/relative-positions.ts';
import { BIG_FILE_LINES, BIG_FILE_TEXT, bigFileUpdate } from '../helpers/big-file.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { start } from './edit-parser-events.ts';

/*
 * SAFE-142: placing a model chunk's hunks costs the event loop one read of each file per change of the doc,
 * not one per hunk. Before, every hunk scanned its file (`indexOf`, to count its exact matches), read the
 * live text whole (`Y.Text.toString`) and resolved and made its positions by walking the file's items from
 * the first (`createAbsolutePositionFromRelativePosition`, `createRelativePositionFromTypeIndex`): 300 hunks
 * against a 450 KB file an editor typed as 224,000 items held the loop 6.5 s of CPU (33 s on this loaded
 * machine). The bound is the attack tests' loose one; the figures are annotated.
 */

const lines = BIG_FILE_LINES;
const text = BIG_FILE_TEXT;

/** A code doc holding `text` at big.ts: one item, or two-character items of two clients (224,000). */
function codeDoc(items: 'one' | 'many'): { doc: Y.Doc; ytext: Y.Text } {
  const doc = new Y.Doc();
  const ytext = new Y.Text();
  if (items === 'one') doc.getMap<Y.Text>(CODE_FILES_KEY).set('big.ts', ytext);
  if (items === 'one') ytext.insert(0, text);
  else Y.applyUpdate(doc, bigFileUpdate('big.ts'));
  return { doc, ytext: doc.getMap<Y.Text>(CODE_FILES_KEY).get('big.ts') ?? ytext };
}

/** A whole-line needle in big.ts, as the parsers write it. */
const hunk = (n: number, oldText: string) => start(n, 'big.ts', '', oldText) as HunkStart;

function warmUp(): void {
  const doc = new Y.Doc();
  const ytext = new Y.Text();
  doc.getMap<Y.Text>(CODE_FILES_KEY).set('big.ts', ytext);
  ytext.insert(0, lines.slice(0, 200).join('\n'));
  const snapshots = new Map<string, FileSnapshot>([['big.ts', snapshotFile('big.ts', ytext)]]);
  for (let h = 0; h < 100; h++) placeHunk(doc, snapshots, hunk(h, `${lines[h]}\n`));
}

/** A few turns of the event loop, so the stall histogram samples before and after the synchronous block. */
const turns = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('SAFE-142: a chunk of hunks is placed against one read of its file', () => {
  for (const items of ['one', 'many'] as const) {
    it(`SAFE-142: 300 hunks placed at once against a 450 KB file of ${items === 'one' ? 'one item' : '224,000 items'} hold the loop < 500 ms, placed where Yjs would place them`, async ({
      annotate,
    }) => {
      // A server that has placed hunks before: the code is compiled (the first call of anything is slower).
      warmUp();
      const { doc, ytext } = codeDoc(items);
      const snapshots = new Map<string, FileSnapshot>([['big.ts', snapshotFile('big.ts', ytext)]]);
      // Each hunk's line, at its offset in the file: whole-line needles, as the parsers write them.
      const wanted = Array.from({ length: 300 }, (_, h) => h * 33);
      let cpuMs = 0;
      const { result: placed, stall } = await measureStall(async () => {
        await turns();
        const cpu = process.cpuUsage();
        const out = wanted.map((line, h) => placeHunk(doc, snapshots, hunk(h, `${lines[line]}\n`)));
        cpuMs = process.cpuUsage(cpu).user / 1000;
        await turns();
        return out;
      });
      // The CPU time is what the stall would be on an idle machine (the two cores are shared with others).
      await annotate(
        `300 hunks, 450 KB, ${items} item(s): stall ${stall.maxMs.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms`,
      );
      // The bound is on the CPU time of the block: on a loaded CI machine the wall-clock stall of the same work
      // was 379-1,395 ms. The wall bound below still fails the per-hunk reads this replaced (13.8 s).
      expect(cpuMs).toBeLessThan(500);
      expect(stall.maxMs).toBeLessThan(3_000);
      // The same ranges as Yjs's own (walking) functions give, checked for some of them (each walk is O(items)).
      for (const h of [0, 1, 150, 298, 299]) {
        const result = placed[h];
        const line = wanted[h] ?? 0;
        const from = text.indexOf(`${lines[line]}\n`);
        const to = from + (lines[line]?.length ?? 0) + 1;
        expect(result).toEqual({
          ok: true,
          lead: '',
          endLine: line + 2,
          placement: {
            newFile: false,
            baseText: `${lines[line]}\n`,
            start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, from, 0)),
            end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, to, -1)),
          },
        });
      }
      expect(placed.every((p) => p.ok)).toBe(true);
    }, 120_000);
  }

  it('SAFE-142: a person typing between chunks is seen by the next chunk (the read is per change of the doc)', () => {
    const { doc, ytext } = codeDoc('many');
    const snapshots = new Map<string, FileSnapshot>([['big.ts', snapshotFile('big.ts', ytext)]]);
    const first = placeHunk(doc, snapshots, hunk(0, `${lines[5]}\n`));
    expect(first.ok).toBe(true);
    // Someone changes line 7 (after the prompt): a hunk there is refused, one on line 9 still placed where
    // the text moved to.
    const at = text.indexOf(lines[7] ?? '');
    ytext.delete(at, 6);
    ytext.insert(at, 'import');
    expect(placeHunk(doc, snapshots, hunk(1, `${lines[7]}\n`))).toEqual({
      ok: false,
      reason: 'the text there changed after the prompt',
    });
    ytext.insert(0, '// header\n');
    const ninth = placeHunk(doc, snapshots, hunk(2, `${lines[9]}\n`));
    const from = ytext.toString().indexOf(`${lines[9]}\n`);
    expect(ninth).toMatchObject({
      ok: true,
      placement: { start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, from, 0)) },
    });
  });
});
