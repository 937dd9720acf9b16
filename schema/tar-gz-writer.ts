import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Header, Pax } from 'tar';

/**
 * The .tar.gz body of the import route and of exports (IO-1, IO-10), written from files in memory: the
 * server's export and the CLI's push/share produce the same bytes for the same files. Node only (the web
 * client uploads zips). node-tar encodes each header (and a pax header for a long or non-ASCII name); its
 * Pack reads files from disk, ours are strings, hence this small writer: body, padding to the 512-byte
 * block, two zero blocks at the end. Entries are made as the reader pulls, one per read, and gzip runs on
 * the thread pool, so a 2,000-file archive neither holds the event loop nor sits in memory twice.
 */
export function tarGzStream(files: readonly { path: string; text: string }[], mtime: Date): Readable {
  let next = 0;
  const tar = new Readable({
    read() {
      if (next === files.length) {
        this.push(Buffer.alloc(1024));
        this.push(null);
        return;
      }
      const f = files[next++]!;
      const body = Buffer.from(f.text, 'utf8');
      const header = new Header({
        path: f.path,
        mode: 0o644,
        size: body.length,
        mtime,
        type: 'File',
        uid: 0,
        gid: 0,
      });
      if (header.encode()) this.push(new Pax({ path: f.path, mtime, size: body.length }).encode());
      this.push(header.block!);
      this.push(body);
      const pad = (512 - (body.length % 512)) % 512;
      if (pad > 0) this.push(Buffer.alloc(pad));
    },
  });
  const gzip = createGzip();
  tar.on('error', (err) => gzip.destroy(err));
  return tar.pipe(gzip);
}
