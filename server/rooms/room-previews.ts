import type * as Y from 'yjs';
import { type FileTextResponse, MAX_FILE_TEXT_CHARS } from '../../schema/protocol.ts';
import { fileTexts } from './code-doc-shape.ts';
import { textStart } from './text-start.ts';

/** What a room's info tells of its code doc: its files, sorted, and its first file's text from the start. */
export interface RoomPreview {
  files: readonly string[];
  /** the first of `files` (PERF-51's text); null: the room has no files */
  first: FileTextResponse | null;
}

/** PERF-51: a file's text from its start, as the page shows it while the room syncs. */
export function textFrom(file: string, ytext: Y.Text): FileTextResponse {
  const { text, truncated } = textStart(ytext, MAX_FILE_TEXT_CHARS);
  return { file, text, length: ytext.length, truncated };
}

/** The preview of a code doc as it is now. */
export function previewOf(doc: Y.Doc): RoomPreview {
  const texts = new Map(fileTexts(doc));
  const files = [...texts.keys()].sort();
  const path = files[0];
  return { files, first: path === undefined ? null : textFrom(path, texts.get(path)!) };
}

/**
 * PERF-196: the previews of rooms that are not in memory, taken as each unloaded. Nothing changes a room's
 * documents while it is out of memory on this node (every write goes through the loaded room), nor while it
 * loads (its sockets' frames wait for the load): so until its load ends, an idle room's info and first file
 * are answered from here, and a joiner's page shows that file without waiting for the load of the whole room
 * (0.3-1 s for 15 MB). A load that ends forgets the preview; the next unload takes a new one. Not for a
 * cluster, where another node may change the room. Bounded by an estimate of the bytes held, least recently
 * taken or read first out.
 */
export class RoomPreviews {
  private readonly byRoom = new Map<string, { preview: RoomPreview; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** A room unloads: its documents stay as they are now until it loads again. */
  remember(roomId: string, doc: Y.Doc): void {
    this.forget(roomId);
    const preview = previewOf(doc);
    // UTF-16 strings, and about 40 B of object and array slot per path
    let bytes = 2 * (preview.first?.text.length ?? 0);
    for (const file of preview.files) bytes += 2 * file.length + 40;
    if (bytes > this.maxBytes / 4) return;
    this.byRoom.set(roomId, { preview, bytes });
    this.bytes += bytes;
    for (const [id, entry] of this.byRoom) {
      if (this.bytes <= this.maxBytes) break;
      this.byRoom.delete(id);
      this.bytes -= entry.bytes;
    }
  }

  /** The room's preview while it is not loaded (or loading), if one was taken. */
  get(roomId: string): RoomPreview | undefined {
    const entry = this.byRoom.get(roomId);
    if (!entry) return undefined;
    this.byRoom.delete(roomId);
    this.byRoom.set(roomId, entry);
    return entry.preview;
  }

  /** The room is loaded (it may change now) or gone. */
  forget(roomId: string): void {
    const entry = this.byRoom.get(roomId);
    if (!entry) return;
    this.byRoom.delete(roomId);
    this.bytes -= entry.bytes;
  }
}
