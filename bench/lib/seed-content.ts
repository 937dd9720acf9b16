import * as Y from 'yjs';

/** The file every benchmark writer types into; every seeded room has it. */
export const EDIT_FILE = 'main.ts';

export interface SeedSpec {
  /** extra files beside EDIT_FILE */
  files: number;
  bytesPerFile: number;
  /** bytes per insert: a real file is many small edits, so the doc has many items, not one big string */
  chunkBytes: number;
}

/** A small room: one ~2 KB file. */
export const smallSeed: SeedSpec = { files: 0, bytesPerFile: 0, chunkBytes: 64 };

/** About `totalBytes` of text over files of 256 KB (a 1 MB doc is 4 files, a 16 MB doc 64). */
export function seedOfBytes(totalBytes: number): SeedSpec {
  const bytesPerFile = Math.min(totalBytes, 256 * 1024);
  return { files: Math.max(1, Math.round(totalBytes / bytesPerFile)), bytesPerFile, chunkBytes: 96 };
}

export function seedTextBytes(spec: SeedSpec): number {
  return spec.files * spec.bytesPerFile + EDIT_FILE_TEXT.length;
}

/** The starting text of EDIT_FILE (the agent scenario patches its first function). */
export const EDIT_FILE_TEXT = codeText(2048, 7);

/** Deterministic code-like ASCII text (never the marker control characters). */
export function codeText(bytes: number, salt: number): string {
  const words = ['value', 'index', 'buffer', 'cursor', 'result', 'state', 'room', 'token'];
  let out = '';
  let n = salt;
  while (out.length < bytes) {
    const w = words[n % words.length];
    out += `export function ${w}${n}(input: number): number {\n  return input * ${n % 97} + ${n};\n}\n`;
    n++;
  }
  return out.slice(0, bytes);
}

/**
 * Fills a doc with the seed, one transaction (so one update frame) per file so no frame nears a server's
 * size limit. Chunks are prepended: Yjs merges appended runs from one client into a single item, and a doc
 * of one item per file would flatter every server's load and memory figures.
 */
export function fillDoc(doc: Y.Doc, spec: SeedSpec, origin: unknown): void {
  const files = doc.getMap<Y.Text>('files');
  doc.transact(() => {
    const main = new Y.Text();
    files.set(EDIT_FILE, main);
    insertChunked(main, EDIT_FILE_TEXT, spec.chunkBytes);
  }, origin);
  for (let f = 0; f < spec.files; f++) {
    doc.transact(() => {
      const text = new Y.Text();
      files.set(`src/module-${f}.ts`, text);
      insertChunked(text, codeText(spec.bytesPerFile, f * 1000), spec.chunkBytes);
    }, origin);
  }
}

function insertChunked(text: Y.Text, content: string, chunkBytes: number): void {
  for (let end = content.length; end > 0; end -= chunkBytes) {
    text.insert(0, content.slice(Math.max(0, end - chunkBytes), end));
  }
}
