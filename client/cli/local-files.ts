import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ALWAYS_SKIPPED_DIRS,
  decodeText,
  gitignoreDir,
  IgnoreRules,
  type ImportLimits,
  isGitignore,
  type SkippedFile,
} from '../../schema/import-rules.ts';
import { isValidFilePath } from '../../schema/protocol.ts';

/** A text file of a local folder that the import rules let into a room. */
export interface LocalFile {
  path: string;
  text: string;
  bytes: number;
}

export interface LocalScan {
  files: LocalFile[];
  skipped: SkippedFile[];
  rules: IgnoreRules;
}

/**
 * Reads a folder by the shared import rules (IO-2..IO-5): .gitignore files honoured (read before the
 * files they govern), .git/ and node_modules/ never entered, links and special files stay local, binaries
 * and non-UTF-8 text stay local, files over the per-file cap stay local. Never follows a symbolic link.
 */
export async function scanFolder(dir: string, limits: ImportLimits): Promise<LocalScan> {
  const rules = new IgnoreRules();
  const files: LocalFile[] = [];
  const skipped: SkippedFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    // The folder's .gitignore first: its rules govern its siblings.
    const gi = entries.find((e) => e.name === '.gitignore' && e.isFile());
    if (gi) rules.add(rel, decodeOr(await readFile(join(dir, rel, '.gitignore'))));
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (ALWAYS_SKIPPED_DIRS.includes(entry.name) || rules.ignoresFolder(path)) {
          skipped.push({ path: `${path}/`, reason: 'ignored' });
          continue;
        }
        await walk(path);
        continue;
      }
      const file = await judge(dir, path, rules, limits);
      if ('reason' in file) skipped.push(file);
      else files.push(file);
    }
  };
  await walk('');
  return { files, skipped, rules };
}

/** One path of a folder by the rules: the file to import, or why it stays local. */
export async function judge(
  dir: string,
  path: string,
  rules: IgnoreRules,
  limits: ImportLimits,
): Promise<LocalFile | SkippedFile> {
  if (!isValidFilePath(path) || rules.ignores(path)) return { path, reason: 'ignored' };
  const stat = await lstat(join(dir, path));
  if (stat.isSymbolicLink()) return { path, reason: 'symlink' };
  if (!stat.isFile()) return { path, reason: 'special' };
  if (stat.size > limits.maxFileBytes) return { path, reason: 'too_large' };
  const bytes = await readFile(join(dir, path));
  if (bytes.length > limits.maxFileBytes) return { path, reason: 'too_large' };
  const text = decodeText(bytes);
  if (!text.ok) return { path, reason: text.reason };
  return { path, text: text.text, bytes: bytes.length };
}

function decodeOr(bytes: Uint8Array): string {
  const text = decodeText(bytes);
  return text.ok ? text.text : '';
}

export { gitignoreDir, isGitignore };
