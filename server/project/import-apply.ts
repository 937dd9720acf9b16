import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { applyTextEdits, textEdits } from '../../schema/text-edits.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import type { Room } from '../rooms/room.ts';
import type { PlannedFile } from './import-plan.ts';

export interface ApplyOptions {
  prefix: string;
  overwrite: boolean;
  /** the Yjs clientID the import's text is inserted under (bound to the importing person) */
  client: number;
  origin: Extract<TransactionOrigin, { source: 'import' }>;
}

export interface ApplyOutcome {
  created: string[];
  updated: string[];
  unchanged: string[];
  conflicts: { path: string; reason: string }[];
  bytes: number;
}

/** Text written per transaction: each slice is one update (stored, then broadcast) and one short turn. */
const SLICE_CHARS = 128 * 1024;

/**
 * Writes planned files into the room's code doc in slices of about 128 KB, yielding to the event loop
 * between slices so a 15 MB import never holds it (IO-8). Each file is checked against the live doc in
 * the slice that writes it: a file someone created meanwhile is a conflict like any other.
 *
 * The text is inserted under the import's own clientID (the doc's clientID is swapped for the length of
 * each synchronous transaction, the same way Yjs itself changes it), so blame knows these items came
 * from this import. An existing file is overwritten with the smallest edits, so lines that did not
 * change keep their authors.
 */
export async function applyImport(
  room: Room,
  files: readonly PlannedFile[],
  opts: ApplyOptions,
): Promise<ApplyOutcome> {
  const out: ApplyOutcome = { created: [], updated: [], unchanged: [], conflicts: [], bytes: 0 };
  let i = 0;
  while (i < files.length) {
    const slice: PlannedFile[] = [];
    let chars = 0;
    while (i < files.length && (slice.length === 0 || chars < SLICE_CHARS)) {
      const f = files[i++]!;
      slice.push(f);
      chars += f.text.length;
    }
    if (room.isBroken) break;
    writeSlice(room, slice, opts, out);
    // Let sockets, other rooms and the group commit run between slices.
    if (i < files.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

function writeSlice(room: Room, slice: PlannedFile[], opts: ApplyOptions, out: ApplyOutcome): void {
  const doc = room.code.doc;
  const saved = doc.clientID;
  doc.clientID = opts.client;
  try {
    room.code.transact((d) => {
      const files = d.getMap<Y.Text>(CODE_FILES_KEY);
      const folders = foldersOf(files.keys());
      for (const f of slice) {
        const path = opts.prefix + f.path;
        // A key an older store left holding something else is replaced, not edited (SAFE-36).
        const existing = fileText(d, path);
        if (existing) {
          const current = existing.toString();
          if (current === f.text) out.unchanged.push(path);
          else if (!opts.overwrite) out.conflicts.push({ path, reason: 'a file with this name exists' });
          else {
            applyTextEdits(existing, textEdits(current, f.text));
            out.updated.push(path);
            out.bytes += f.bytes;
          }
          continue;
        }
        const blocked = blockedBy(files, folders, path);
        if (blocked) {
          out.conflicts.push({ path, reason: blocked });
          continue;
        }
        const text = new Y.Text();
        files.set(path, text);
        if (f.text.length > 0) text.insert(0, f.text);
        out.created.push(path);
        out.bytes += f.bytes;
        for (const folder of foldersOf([path])) folders.add(folder);
      }
    }, opts.origin);
  } finally {
    doc.clientID = saved;
  }
}

/** A file where the new file's folder should be, or a folder where the file should be. */
function blockedBy(files: Y.Map<Y.Text>, folders: Set<string>, path: string): string | null {
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const folder = segments.slice(0, i).join('/');
    if (files.has(folder)) return `${folder} is a file in the room`;
  }
  return folders.has(path) ? `${path} is a folder in the room` : null;
}

/** Every folder that holds one of the paths (`a/b/c.ts` gives `a` and `a/b`). */
function foldersOf(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    let at = path.indexOf('/');
    while (at >= 0) {
      out.add(path.slice(0, at));
      at = path.indexOf('/', at + 1);
    }
  }
  return out;
}
