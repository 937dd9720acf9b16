import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import type { ImportLimits } from '../../schema/import-rules.ts';
import type { AppError } from '../errors.ts';
import {
  type ArchiveEntry,
  type ArchivePassVisitor,
  type ArchiveSource,
  BodyCollector,
  overCap,
  refused,
} from './archive-entries.ts';

/**
 * A .tar.gz on disk read with node-tar's parser (strict: a damaged header refuses the archive instead of
 * being skipped with a warning). Gzip runs in Node's zlib on the thread pool, and every decompressed byte
 * of a pass, skipped entries included, counts against maxUnpackedBytes: that is where a bomb stops.
 */
export async function openTarGzSource(file: string, limits: ImportLimits): Promise<ArchiveSource> {
  return {
    pass: (visitor) => tarPass(file, limits, visitor),
    close: async () => undefined,
  };
}

function kindOf(entry: ReadEntry): ArchiveEntry['kind'] {
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
      return 'dir';
    case 'SymbolicLink':
      return 'symlink';
    default:
      // hard links, devices, fifos and anything node-tar does not know
      return 'special';
  }
}

function tarPass(file: string, limits: ImportLimits, visitor: ArchivePassVisitor): Promise<void> {
  return new Promise((resolve, reject) => {
    const input = createReadStream(file);
    const gunzip = createGunzip();
    let current: string | null = null;
    let entries = 0;
    let settled = false;
    const fail = (err: AppError) => {
      if (settled) return;
      settled = true;
      input.destroy();
      gunzip.destroy();
      parser.abort(err);
      reject(err);
    };
    let unpacked = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
        unpacked += chunk.length;
        if (unpacked > limits.maxUnpackedBytes) {
          fail(overCap(current, `unpacks to more than ${limits.maxUnpackedBytes} bytes`));
          done();
          return;
        }
        done(null, chunk);
      },
    });
    const parser = new Parser({
      strict: true,
      onReadEntry: (raw: ReadEntry) => {
        if (settled) {
          raw.resume();
          return;
        }
        current = raw.path;
        if (++entries > limits.maxEntries) {
          fail(overCap(raw.path, `more than the ${limits.maxEntries} entries allowed`));
          raw.resume();
          return;
        }
        const entry: ArchiveEntry = { name: raw.path, kind: kindOf(raw), size: raw.size };
        let decision: ReturnType<ArchivePassVisitor['entry']>;
        try {
          decision = visitor.entry(entry);
        } catch (err) {
          fail(err as AppError);
          raw.resume();
          return;
        }
        if (!decision.read) {
          raw.resume();
          return;
        }
        if (entry.size > decision.maxBytes) {
          raw.resume();
          visitor.body(entry, null);
          return;
        }
        const collector = new BodyCollector(decision.maxBytes);
        raw.on('data', (chunk: Buffer) => collector.push(chunk));
        raw.on('end', () => {
          if (settled) return;
          try {
            visitor.body(entry, collector.result());
          } catch (err) {
            fail(err as AppError);
          }
        });
      },
    });
    parser.on('error', (err: Error) => fail(refused(current, `not a readable tar archive (${err.message})`)));
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    input.on('error', (err) => fail(refused(null, `cannot read the upload (${err.message})`)));
    gunzip.on('error', (err) => fail(refused(current, `not a readable gzip stream (${err.message})`)));
    input
      .pipe(gunzip)
      .pipe(counter)
      .pipe(parser as unknown as NodeJS.WritableStream);
  });
}
