import { Readable } from 'node:stream';
import yazl from 'yazl';
import type { ArchiveFormat } from '../../schema/import-rules.ts';
import { tarGzStream } from '../../schema/tar-gz-writer.ts';

/** One file of an export: its room path and its accepted text. */
export interface ExportFile {
  path: string;
  text: string;
}

const FILE_MODE = 0o644;

/**
 * Streams files as a zip (yazl) or a .tar.gz (node-tar's header encoding, Node's gzip on the thread pool).
 * Each file is its text's UTF-8 bytes, nothing added or converted, so a file that came in with an import
 * goes out byte for byte the same: line endings, final newline, BOM, non-ASCII names (IO-10).
 */
export function exportArchive(files: readonly ExportFile[], format: ArchiveFormat, mtime: Date): Readable {
  return format === 'zip' ? zipStream(files, mtime) : tarGzStream(files, mtime);
}

function zipStream(files: readonly ExportFile[], mtime: Date): Readable {
  const zip = new yazl.ZipFile();
  for (const f of files) {
    // Lazy: yazl writes entries one after another and asks for each body only when it is its turn, so a
    // 2,000-file export deflates one file at a time instead of all at once (memory stays flat).
    zip.addReadStreamLazy(f.path, { mtime, mode: FILE_MODE, compress: true }, (cb) =>
      cb(null, Readable.from([Buffer.from(f.text, 'utf8')])),
    );
  }
  zip.end();
  // yazl marks names as UTF-8 (general purpose bit 11) whenever they are not plain ASCII.
  return zip.outputStream as Readable;
}
