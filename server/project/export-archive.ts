import { PassThrough, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Header, Pack, ReadEntry } from 'tar';
import yazl from 'yazl';
import type { ArchiveFormat } from '../../schema/import-rules.ts';

/** One file of an export: its room path and its accepted text. */
export interface ExportFile {
  path: string;
  text: string;
}

const FILE_MODE = 0o644;

/**
 * Streams files as a zip (yazl) or a .tar.gz (node-tar's Pack through Node's gzip on the thread pool).
 * Each file is its text's UTF-8 bytes, nothing added or converted, so a file that came in with an import
 * goes out byte for byte the same: line endings, final newline, BOM, non-ASCII names (IO-10).
 */
export function exportArchive(files: readonly ExportFile[], format: ArchiveFormat, mtime: Date): Readable {
  return format === 'zip' ? zipStream(files, mtime) : tarGzStream(files, mtime);
}

function zipStream(files: readonly ExportFile[], mtime: Date): Readable {
  const zip = new yazl.ZipFile();
  for (const f of files) {
    // yazl marks names as UTF-8 (general purpose bit 11) whenever they are not plain ASCII.
    zip.addBuffer(Buffer.from(f.text, 'utf8'), f.path, { mtime, mode: FILE_MODE, compress: true });
  }
  zip.end();
  return zip.outputStream as Readable;
}

function tarGzStream(files: readonly ExportFile[], mtime: Date): Readable {
  // portable: no uid/gid/user names of the server process in the archive.
  const pack = new Pack({ portable: true, gzip: false });
  const gzip = createGzip();
  const out = new PassThrough();
  pack.on('error', (err: unknown) => out.destroy(err as Error));
  gzip.on('error', (err: Error) => out.destroy(err));
  (pack as unknown as Readable).pipe(gzip).pipe(out);
  for (const f of files) {
    const body = Buffer.from(f.text, 'utf8');
    // An in-memory entry: node-tar writes the header (a pax header for long or non-ASCII names) and body.
    const entry = new ReadEntry(
      new Header({ path: f.path, mode: FILE_MODE, size: body.length, type: 'File', mtime }),
    );
    pack.add(entry);
    entry.end(body);
  }
  pack.end();
  return out;
}
