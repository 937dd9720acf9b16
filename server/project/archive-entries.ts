import type { ImportLimits } from '../../schema/import-rules.ts';
import { AppError } from '../errors.ts';

/** One entry of an archive as its format describes it, before any of our rules are applied. */
export interface ArchiveEntry {
  /** the name as stored in the archive (decoded to a string; not yet checked) */
  name: string;
  kind: 'file' | 'dir' | 'symlink' | 'special';
  /** declared uncompressed size, bytes */
  size: number;
}

/**
 * What a pass over an archive does with each entry: `read` asks for the body (up to `maxBytes`; a larger
 * body comes back as null without being held), anything else skips it.
 */
export type EntryDecision = { read: true; maxBytes: number } | { read: false };

export interface ArchivePassVisitor {
  entry(entry: ArchiveEntry): EntryDecision;
  /** the body of an entry `entry` asked for: its bytes, or null when it was larger than asked */
  body(entry: ArchiveEntry, bytes: Uint8Array | null): void;
}

/**
 * An archive on disk that can be walked more than once (the .gitignore files must be known before the
 * other entries are judged, and tar gives no index). Every pass counts the bytes it decompresses against
 * maxUnpackedBytes, which is where a zip bomb stops.
 */
export interface ArchiveSource {
  pass(visitor: ArchivePassVisitor): Promise<void>;
  close(): Promise<void>;
}

export type ArchiveSourceOpener = (file: string, limits: ImportLimits) => Promise<ArchiveSource>;

/** A refused archive: nothing was written. 422 naming the entry, or 413 for a cap. */
export function refused(entryName: string | null, reason: string): AppError {
  const where = entryName === null ? '' : ` at entry ${JSON.stringify(entryName.slice(0, 200))}`;
  return new AppError('archive_refused', `archive refused${where}: ${reason}`);
}

export function overCap(entryName: string | null, reason: string): AppError {
  const where = entryName === null ? '' : ` at entry ${JSON.stringify(entryName.slice(0, 200))}`;
  return new AppError('too_large', `archive refused${where}: ${reason}`);
}

/** Collects an entry body up to `max` bytes; past that it keeps counting but drops what it had. */
export class BodyCollector {
  private chunks: Buffer[] | null = [];
  private bytes = 0;
  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.chunks === null) return;
    if (this.bytes > this.max) {
      this.chunks = null;
      return;
    }
    this.chunks.push(chunk);
  }

  result(): Uint8Array | null {
    return this.chunks === null ? null : Buffer.concat(this.chunks);
  }
}
