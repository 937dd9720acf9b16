import yauzl from 'yauzl';
import type { ImportLimits } from '../../schema/import-rules.ts';
import {
  type ArchiveEntry,
  type ArchivePassVisitor,
  type ArchiveSource,
  BodyCollector,
  overCap,
  refused,
} from './archive-entries.ts';

/** Entries inflated at once in a pass. */
const READ_AHEAD = 8;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * A zip on disk read with yauzl: the central directory is the index (read once, in order), so a pass only
 * inflates the entries it asks for, and yauzl checks that each entry inflates to exactly its declared size
 * (validateEntrySizes), so a lying header cannot smuggle more bytes than were counted.
 */
export async function openZipSource(file: string, limits: ImportLimits): Promise<ZipSource> {
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings off: we decode names ourselves and apply our own path rules, with our own messages.
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (err) {
    throw refused(null, `not a readable zip file (${(err as Error).message})`);
  }
  try {
    const entries = await readDirectory(zip, limits);
    return new ZipSource(zip, entries, limits);
  } catch (err) {
    zip.close();
    throw err;
  }
}

interface ZipItem {
  entry: ArchiveEntry;
  raw: yauzl.Entry;
}

function readDirectory(zip: yauzl.ZipFile, limits: ImportLimits): Promise<ZipItem[]> {
  if (zip.entryCount > limits.maxEntries) {
    return Promise.reject(
      overCap(null, `${zip.entryCount} entries, more than the ${limits.maxEntries} allowed`),
    );
  }
  return new Promise((resolve, reject) => {
    const items: ZipItem[] = [];
    zip.on('entry', (raw: yauzl.Entry) => {
      const name = entryName(raw);
      if (raw.isEncrypted()) {
        zip.removeAllListeners();
        reject(refused(name, 'the entry is encrypted'));
        return;
      }
      items.push({ raw, entry: { name, kind: kindOf(raw, name), size: raw.uncompressedSize } });
      zip.readEntry();
    });
    zip.once('end', () => resolve(items));
    zip.once('error', (err: Error) => reject(refused(null, `broken zip directory (${err.message})`)));
    zip.readEntry();
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The entry's name. Zips flag UTF-8 names (bit 11) or carry them in an extra field, and yauzl reads both;
 * many tools (Info-ZIP under a C locale, older macOS) write UTF-8 without saying so, where the standard
 * says CP437. A name that is valid UTF-8 is taken as UTF-8: a real CP437 name almost never is.
 */
function entryName(raw: yauzl.Entry): string {
  const flagged = (raw.generalPurposeBitFlag & 0x800) !== 0;
  if (!flagged && !raw.extraFields.some((f) => f.id === 0x7075)) {
    try {
      return utf8.decode(raw.fileNameRaw);
    } catch {
      // not UTF-8: fall through to CP437
    }
  }
  // strict: backslashes stay in the name, so our path rules refuse them instead of guessing.
  return yauzl.getFileNameLowLevel(raw.generalPurposeBitFlag, raw.fileNameRaw, raw.extraFields, true);
}

function kindOf(raw: yauzl.Entry, name: string): ArchiveEntry['kind'] {
  // Unix mode bits live in the high half of the external attributes when the zip was made on Unix
  // (version made by, high byte 3); other makers leave them 0, and a trailing slash marks a folder.
  const madeOnUnix = raw.versionMadeBy >> 8 === 3;
  const mode = (raw.externalFileAttributes >>> 16) & S_IFMT;
  if (madeOnUnix && mode !== 0) {
    if (mode === S_IFLNK) return 'symlink';
    if (mode === S_IFDIR) return 'dir';
    if (mode !== S_IFREG) return 'special';
  }
  return name.endsWith('/') ? 'dir' : 'file';
}

export class ZipSource implements ArchiveSource {
  constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly items: ZipItem[],
    private readonly limits: ImportLimits,
  ) {}

  async pass(visitor: ArchivePassVisitor): Promise<void> {
    const unpacked = { bytes: 0 };
    // Entries are inflated a few at a time (each read waits on the disk and on zlib's thread pool), and
    // handed to the visitor in archive order.
    const inFlight: { entry: ArchiveEntry; body: Promise<Uint8Array | null> }[] = [];
    const drainOne = async () => {
      const next = inFlight.shift()!;
      visitor.body(next.entry, await next.body);
    };
    try {
      for (const { entry, raw } of this.items) {
        const decision = visitor.entry(entry);
        if (!decision.read) continue;
        // A body larger than asked is not inflated at all: its declared size (which yauzl holds it to) says so.
        const body =
          entry.size > decision.maxBytes
            ? Promise.resolve(null)
            : this.read(raw, entry, decision.maxBytes, unpacked);
        body.catch(() => undefined); // awaited in order below; this only keeps it from being unhandled
        inFlight.push({ entry, body });
        if (inFlight.length >= READ_AHEAD) await drainOne();
      }
      while (inFlight.length > 0) await drainOne();
    } finally {
      // On a refusal the reads still running are left to finish into the void; the zip closes after them.
      await Promise.allSettled(inFlight.map((f) => f.body));
    }
  }

  private async read(
    raw: yauzl.Entry,
    entry: ArchiveEntry,
    maxBytes: number,
    unpacked: { bytes: number },
  ): Promise<Uint8Array | null> {
    let stream: NodeJS.ReadableStream & { destroy(): void };
    try {
      stream = (await this.zip.openReadStreamPromise(raw)) as typeof stream;
    } catch (err) {
      throw refused(entry.name, `cannot be read (${(err as Error).message})`);
    }
    const collector = new BodyCollector(maxBytes);
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        unpacked.bytes += chunk.length;
        if (unpacked.bytes > this.limits.maxUnpackedBytes) {
          stream.destroy();
          reject(overCap(entry.name, `unpacks to more than ${this.limits.maxUnpackedBytes} bytes`));
          return;
        }
        collector.push(chunk);
      });
      stream.once('end', resolve);
      stream.once('error', (err: Error) => reject(refused(entry.name, `cannot be read (${err.message})`)));
    });
    return collector.result();
  }

  async close(): Promise<void> {
    this.zip.close();
  }
}
