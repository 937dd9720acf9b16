import {
  checkEntryPath,
  decodeText,
  gitignoreDir,
  IgnoreRules,
  type ImportLimits,
  inSkippedDir,
  isGitignore,
  type SkippedFile,
} from '../../schema/import-rules.ts';
import { type ArchiveSource, overCap, refused } from './archive-entries.ts';

/** A text file the archive brings, at its path inside the archive. */
export interface PlannedFile {
  path: string;
  text: string;
  bytes: number;
}

export interface ImportPlan {
  files: PlannedFile[];
  /** skipped files (a wholly ignored folder is one entry, `dist/`), at most MAX_LISTED */
  skipped: SkippedFile[];
  /** how many files were skipped in all (a folder counts its files) */
  skippedCount: number;
  totalBytes: number;
}

/** The answer lists at most this many skipped paths; the count is always exact. */
export const MAX_LISTED = 1_000;

/**
 * Reads an archive into the text files it would import, applying the shared rules (IO-2..IO-5) in two
 * passes: the first checks every entry (a hostile one refuses the whole archive before anything is
 * written) and reads the .gitignore files; the second reads the files those rules keep.
 */
export async function planImport(source: ArchiveSource, limits: ImportLimits): Promise<ImportPlan> {
  const rules = new IgnoreRules();
  const seen = new Set<string>();
  await source.pass({
    entry(entry) {
      const check = checkEntryPath(entry.name);
      if (!check.ok) throw refused(entry.name, check.reason);
      if (entry.kind === 'symlink') throw refused(entry.name, 'symbolic links are not imported');
      if (entry.kind === 'special') throw refused(entry.name, 'not a regular file or folder');
      if (entry.kind === 'dir' || check.path === '') return { read: false };
      // The same name twice would let one version be checked and the other one written.
      if (seen.has(check.path)) throw refused(entry.name, 'the archive holds this path twice');
      seen.add(check.path);
      if (isGitignore(check.path) && !inSkippedDir(check.path)) {
        return { read: true, maxBytes: limits.maxFileBytes };
      }
      return { read: false };
    },
    body(entry, bytes) {
      const check = checkEntryPath(entry.name);
      if (!check.ok || bytes === null) return;
      const text = decodeText(bytes);
      if (text.ok) rules.add(gitignoreDir(check.path), text.text);
    },
  });

  const files: PlannedFile[] = [];
  const skipped: SkippedFile[] = [];
  const listedFolders = new Set<string>();
  let skippedCount = 0;
  let totalBytes = 0;
  const skip = (path: string, reason: SkippedFile['reason']) => {
    skippedCount++;
    if (skipped.length < MAX_LISTED) skipped.push({ path, reason });
  };
  await source.pass({
    entry(entry) {
      const check = checkEntryPath(entry.name);
      if (!check.ok || entry.kind !== 'file' || check.dir || check.path === '') return { read: false };
      const path = check.path;
      if (rules.ignores(path)) {
        const folder = rules.ignoredFolderOf(path);
        if (folder === null) skip(path, 'ignored');
        else {
          skippedCount++;
          if (!listedFolders.has(folder) && skipped.length < MAX_LISTED) {
            listedFolders.add(folder);
            skipped.push({ path: folder, reason: 'ignored' });
          }
        }
        return { read: false };
      }
      if (entry.size > limits.maxFileBytes) {
        skip(path, 'too_large');
        return { read: false };
      }
      return { read: true, maxBytes: limits.maxFileBytes };
    },
    body(entry, bytes) {
      const check = checkEntryPath(entry.name);
      if (!check.ok) return;
      if (bytes === null) {
        skip(check.path, 'too_large');
        return;
      }
      const text = decodeText(bytes);
      if (!text.ok) {
        skip(check.path, text.reason);
        return;
      }
      if (files.length + 1 > limits.maxFiles) {
        throw overCap(entry.name, `more than the ${limits.maxFiles} text files an import may hold`);
      }
      totalBytes += bytes.length;
      if (totalBytes > limits.maxTotalBytes) {
        throw overCap(entry.name, `more than the ${limits.maxTotalBytes} bytes of text an import may hold`);
      }
      files.push({ path: check.path, text: text.text, bytes: bytes.length });
    },
  });

  // A name used as a file and as a folder cannot both exist in a room (nor on a disk).
  const paths = new Set(files.map((f) => f.path));
  for (const f of files) {
    const segments = f.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join('/');
      if (paths.has(folder)) throw refused(folder, `${folder} is both a file and a folder`);
    }
  }
  return { files, skipped, skippedCount, totalBytes };
}
