import { PassThrough, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Header, Pack, ReadEntry } from 'tar';
import type { LocalFile } from './local-files.ts';

/** The files as a .tar.gz stream (node-tar, gzip on the thread pool), each exactly its UTF-8 bytes. */
export function packTarGz(files: readonly LocalFile[]): Readable {
  const pack = new Pack({ portable: true });
  const gzip = createGzip();
  const out = new PassThrough();
  pack.on('error', (err: unknown) => out.destroy(err as Error));
  gzip.on('error', (err: Error) => out.destroy(err));
  (pack as unknown as Readable).pipe(gzip).pipe(out);
  const mtime = new Date();
  for (const f of files) {
    const body = Buffer.from(f.text, 'utf8');
    const entry = new ReadEntry(
      new Header({ path: f.path, mode: 0o644, size: body.length, type: 'File', mtime }),
    );
    pack.add(entry);
    entry.end(body);
  }
  pack.end();
  return out;
}
