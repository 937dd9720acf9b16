import type * as Y from 'yjs';
import { fileTexts } from '../rooms/code-doc-shape.ts';
import { type FileSnapshot, keptSnapshot, readSnapshot, snapshotOf } from './file-snapshot.ts';
import { type BuiltContext, buildContext, type ContextInput } from './prompt-builder.ts';
import { SLICE_ITEMS } from './sliced-walk.ts';

/** What a turn sends the model, and the snapshot of each file it sent (AGENT-4). */
export interface TurnContext {
  context: BuiltContext;
  snapshots: Map<string, FileSnapshot>;
}

/** A file the context needs whose read is too long for one task: read in slices, then build again. */
class SlicedReadNeeded {
  readonly path: string;
  readonly ytext: Y.Text;
  constructor(path: string, ytext: Y.Text) {
    this.path = path;
    this.ytext = ytext;
  }
}

/**
 * Builds a turn's context (SAFE-156: a file is read only if it can be shown) with every file it reads
 * snapshotted, reading a long file someone changed in slices across turns of the event loop (SAFE-175).
 *
 * Which files are read depends on what the ones before them took of the budget, so the context is built
 * again after each sliced read, with the files read so far: a file is read once, and only a file that can
 * be shown (a file past the budget is never read, so at most budget / SLICE_ITEMS + 1 files are read in
 * slices: about 25). A file read in slices is used at the version it was read even if it changed since: its
 * hunks are mapped to the live text through its line starts and verified there, as for any change after
 * the prompt (AGENT-4). The last build, from the doc as it is then, runs in one task with the files' list.
 */
export async function readTurnContext(doc: Y.Doc, input: Omit<ContextInput, 'files'>): Promise<TurnContext> {
  const sliced = new Map<Y.Text, FileSnapshot>();
  for (;;) {
    const read = new Map<string, FileSnapshot>();
    // Short files are read in this task, up to a slice's worth in all: 2,000 short files changed since
    // the last prompt are not one long task either.
    const cheap = { left: SLICE_ITEMS };
    const files = fileTexts(doc).map(([path, ytext]) => ({
      path,
      length: ytext.length,
      read: () => {
        const snap = snapshotNow(path, ytext, sliced, cheap);
        read.set(path, snap);
        return snap.text;
      },
    }));
    let context: BuiltContext;
    try {
      context = buildContext({ ...input, files });
    } catch (err) {
      if (!(err instanceof SlicedReadNeeded)) throw err;
      sliced.set(err.ytext, await readSnapshot(err.path, err.ytext));
      continue;
    }
    const snapshots = new Map<string, FileSnapshot>();
    for (const path of context.included) {
      const snap = read.get(path);
      if (snap) snapshots.set(path, snap);
    }
    return { context, snapshots };
  }
}

/**
 * The snapshot at hand without a long walk: read in slices before, kept since the file's last change
 * (SAFE-159), or a file short enough for one slice. Otherwise the build stops for a sliced read.
 */
function snapshotNow(
  path: string,
  ytext: Y.Text,
  sliced: Map<Y.Text, FileSnapshot>,
  cheap: { left: number },
): FileSnapshot {
  const done = sliced.get(ytext);
  if (done?.path === path) return done;
  const kept = keptSnapshot(path, ytext);
  if (kept) return kept;
  // A text holds at most one item per character (and its deleted ones are merged once collected).
  if (ytext.length <= cheap.left) {
    cheap.left -= ytext.length;
    return snapshotOf(path, ytext);
  }
  throw new SlicedReadNeeded(path, ytext);
}
