import ignore, { type Ignore } from 'ignore';
import { isValidFilePath, MAX_PATH_LENGTH } from './protocol.ts';

/**
 * What may come into a room from a folder or an archive, written once for the server (archive import), the
 * CLI (`sparkroom share/push`) and the web client (folder upload), so the three never disagree about which
 * files a room holds (IO-2..IO-5). Browser-safe: no Node APIs.
 */

/** Size and count caps of one import. The server's values come from its config (GET /api/import-rules). */
export interface ImportLimits {
  /** largest text file taken, bytes (a larger one is skipped and listed) */
  maxFileBytes: number;
  /** all imported text together, bytes (past it the import is refused) */
  maxTotalBytes: number;
  /** files imported (past it the import is refused) */
  maxFiles: number;
  /** the uploaded archive itself, bytes (compressed; binaries we skip still travel) */
  maxArchiveBytes: number;
  /** bytes decompressed while reading an archive, skipped entries included: a zip bomb stops here */
  maxUnpackedBytes: number;
  /** entries of any kind in an archive (directories, skipped files) */
  maxEntries: number;
}

/**
 * Defaults that fit the default 32 MiB document limit: 20 MiB of text leaves room for the edits and
 * history a session adds. A 2,000-file, 15 MB service repository fits (bench: project-io).
 */
export const defaultImportLimits: ImportLimits = {
  maxFileBytes: 1024 * 1024,
  maxTotalBytes: 20 * 1024 * 1024,
  maxFiles: 5_000,
  maxArchiveBytes: 100 * 1024 * 1024,
  maxUnpackedBytes: 256 * 1024 * 1024,
  maxEntries: 200_000,
};

/** Folders never imported, wherever they are: version control internals, dependencies, our own state. */
export const ALWAYS_SKIPPED_DIRS: readonly string[] = ['.git', '.hg', '.svn', 'node_modules', '.sparkroom'];

/** Why a file stayed out of the room. */
export type SkipReason =
  | 'ignored' // a .gitignore rule or an always-skipped folder
  | 'binary' // NUL bytes: not text
  | 'not_utf8' // text in another encoding: a round trip could not give the same bytes back
  | 'too_large' // over maxFileBytes
  | 'symlink' // a link in a local folder (archives with links are refused instead)
  | 'special'; // a device, fifo or socket in a local folder

export interface SkippedFile {
  path: string;
  reason: SkipReason;
}

export const skipReasonText: Record<SkipReason, string> = {
  ignored: 'ignored (.gitignore, .git/, node_modules/)',
  binary: 'binary file',
  not_utf8: 'not UTF-8 text',
  too_large: 'over the per-file size cap',
  symlink: 'symbolic link',
  special: 'not a regular file',
};

// -------------------------------------------------------------------------------------------------------
// Paths
// -------------------------------------------------------------------------------------------------------

export type PathCheck = { ok: true; path: string; dir: boolean } | { ok: false; reason: string };

/**
 * Turns an archive entry name into a room path, or says why the archive must be refused: absolute paths
 * (`/etc/passwd`, `C:\`, `\\server`), `..` segments (zip slip), backslashes (Windows separators we cannot
 * tell from a file name), control characters. `./` segments and a trailing `/` (directories) are fine.
 */
export function checkEntryPath(raw: string): PathCheck {
  if (raw.length === 0) return { ok: false, reason: 'empty name' };
  if (raw.length > MAX_PATH_LENGTH * 2) return { ok: false, reason: 'name too long' };
  if (raw.includes('\\')) return { ok: false, reason: 'backslash in the name' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { ok: false, reason: 'absolute path' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: 'control character in the name' };
  const dir = raw.endsWith('/');
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { ok: false, reason: 'path leaves the project (..)' };
  const path = segments.join('/');
  if (path === '') return dir ? { ok: true, path: '', dir: true } : { ok: false, reason: 'empty name' };
  if (!isValidFilePath(path)) return { ok: false, reason: 'not a valid file path' };
  return { ok: true, path, dir };
}

/** `prefix` for an import (`?prefix=src/vendor/`): a relative folder, or '' for the root. */
export function normalizePrefix(prefix: string | null | undefined): string | null {
  if (!prefix) return '';
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return isValidFilePath(trimmed) ? `${trimmed}/` : null;
}

/** True when the path is inside an always-skipped folder (at any depth). */
export function inSkippedDir(path: string): boolean {
  const segments = path.split('/');
  // The last segment is the file itself; a file named node_modules is still a file.
  return segments.slice(0, -1).some((s) => ALWAYS_SKIPPED_DIRS.includes(s));
}

// -------------------------------------------------------------------------------------------------------
// .gitignore
// -------------------------------------------------------------------------------------------------------

/**
 * The .gitignore files of a tree, each scoped to its folder as git scopes them: a rule in `a/.gitignore`
 * matches paths relative to `a/`, a deeper file's rules win over a shallower one's (so `!keep.log` in a
 * subfolder re-includes), and a path inside an ignored folder stays ignored (git never looks inside).
 * Uses the `ignore` package for the pattern semantics.
 */
export class IgnoreRules {
  private readonly byDir = new Map<string, Ignore>();

  /** Adds the contents of the .gitignore in `dir` ('' for the root). */
  add(dir: string, content: string): void {
    const key = dir.replace(/\/+$/, '');
    const existing = this.byDir.get(key);
    if (existing) existing.add(content);
    else this.byDir.set(key, ignore({ allowRelativePaths: true }).add(content));
  }

  get size(): number {
    return this.byDir.size;
  }

  /** True when git would not track `path` (a file; folders on its way are checked as folders). */
  ignores(path: string): boolean {
    if (inSkippedDir(path)) return true;
    if (this.byDir.size === 0) return false;
    const segments = path.split('/');
    // Every folder on the way first: once a folder is ignored nothing inside can come back.
    for (let i = 1; i < segments.length; i++) {
      if (this.decide(`${segments.slice(0, i).join('/')}/`)) return true;
    }
    return this.decide(path);
  }

  /** True when git would not look inside `folder` at all (an always-skipped or ignored folder). */
  ignoresFolder(folder: string): boolean {
    const segments = folder.split('/');
    if (segments.some((s) => ALWAYS_SKIPPED_DIRS.includes(s))) return true;
    if (this.byDir.size === 0) return false;
    for (let i = 1; i <= segments.length; i++) {
      if (this.decide(`${segments.slice(0, i).join('/')}/`)) return true;
    }
    return false;
  }

  /**
   * The outermost folder of `path` that is ignored as a whole (`node_modules/`, `dist/`), or null: a
   * skipped-files list names that folder once instead of each of its thousands of files.
   */
  ignoredFolderOf(path: string): string | null {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join('/');
      if (ALWAYS_SKIPPED_DIRS.includes(segments[i - 1]!) || this.decide(`${folder}/`)) return `${folder}/`;
    }
    return null;
  }

  /** The last word of the deepest .gitignore that has one; `candidate` ends with '/' for a folder. */
  private decide(candidate: string): boolean {
    let ignored = false;
    const parts = candidate.split('/');
    // Scopes from the root down to the candidate's parent folder.
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      const rules = this.byDir.get(dir);
      if (!rules) continue;
      const rel = candidate.slice(dir === '' ? 0 : dir.length + 1);
      if (rel === '' || rel === '/') continue;
      const verdict = rules.test(rel);
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    return ignored;
  }
}

/** True for a path whose file name is `.gitignore` (those are read first, and imported like any file). */
export function isGitignore(path: string): boolean {
  return path === '.gitignore' || path.endsWith('/.gitignore');
}

/** The folder a .gitignore scopes ('' for the root). */
export function gitignoreDir(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

// -------------------------------------------------------------------------------------------------------
// Text
// -------------------------------------------------------------------------------------------------------

/** How many leading bytes git looks at for a NUL when it decides a file is binary. */
export const BINARY_SNIFF_BYTES = 8000;

export type TextCheck = { ok: true; text: string } | { ok: false; reason: 'binary' | 'not_utf8' };

/**
 * Text or not, the way git decides (a NUL in the first 8,000 bytes is binary), and only UTF-8: a room holds
 * Unicode text, so any other encoding could not be written back byte for byte. A BOM is kept as text, so
 * an exported file equals the imported one (IO-6).
 */
export function decodeText(bytes: Uint8Array): TextCheck {
  const sniff = Math.min(bytes.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < sniff; i++) if (bytes[i] === 0) return { ok: false, reason: 'binary' };
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: 'not_utf8' };
  }
}

/** UTF-8 byte length of a string without encoding it (for caps checked on text already in a room). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

// -------------------------------------------------------------------------------------------------------
// Archives: which format a body is
// -------------------------------------------------------------------------------------------------------

export const archiveFormats = ['zip', 'tar.gz'] as const;
export type ArchiveFormat = (typeof archiveFormats)[number];

/** Content types accepted on POST /api/rooms/:id/import. */
export const archiveContentTypes: Record<ArchiveFormat, readonly string[]> = {
  zip: ['application/zip', 'application/x-zip-compressed'],
  'tar.gz': [
    'application/gzip',
    'application/x-gzip',
    'application/x-tar+gzip',
    'application/x-compressed-tar',
  ],
};

export function formatOfContentType(contentType: string | null | undefined): ArchiveFormat | null {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  for (const format of archiveFormats) if (archiveContentTypes[format].includes(type)) return format;
  return null;
}

/** By file name, for pickers and drops that hand over a file without a useful type. */
export function formatOfFileName(name: string): ArchiveFormat | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  return null;
}
