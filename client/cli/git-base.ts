import { execFileSync } from 'node:child_process';
import { decodeText, type ImportLimits } from '../../schema/import-rules.ts';
import { CliError, exitCodes } from './cli-error.ts';
import type { LocalFile } from './local-files.ts';

/**
 * The folder's files as they were at a git ref (CR-12, `sparkroom share --base REF`): exactly what
 * `git show REF:path` prints for each file, read with one `git ls-tree` and one `git cat-file --batch` so
 * a large tree costs two processes, not one per file. Symlinks and submodules have no text and stay out;
 * binary, non-UTF-8 and oversized files stay out as an import would leave them.
 */
export function readGitBase(dir: string, ref: string, limits: ImportLimits): LocalFile[] {
  const git = (args: string[], input?: Buffer) => {
    try {
      return execFileSync('git', ['-C', dir, ...args], {
        maxBuffer: limits.maxTotalBytes * 2 + 16 * 1024 * 1024,
        ...(input ? { input } : {}),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      throw new CliError(`git ${args[0]} failed: ${stderr || (err as Error).message}`, exitCodes.usage);
    }
  };
  if (ref.startsWith('-')) throw new CliError(`--base takes a git ref, not ${ref}`, exitCodes.usage);
  const prefix = git(['rev-parse', '--show-prefix']).toString().trim();
  const listing = git(['ls-tree', '-r', '-z', '-l', `${ref}:${prefix}`]).toString();
  const blobs: { path: string; sha: string }[] = [];
  for (const entry of listing.split('\0')) {
    if (!entry) continue;
    // "<mode> SP <type> SP <object> SP+ <size> TAB <path>"
    const tab = entry.indexOf('\t');
    const [mode, type, sha, size] = entry.slice(0, tab).split(/ +/);
    const path = entry.slice(tab + 1);
    if (type !== 'blob' || mode === '120000' || !sha) continue;
    if (Number(size) > limits.maxFileBytes) continue;
    blobs.push({ path, sha });
  }
  if (blobs.length === 0) return [];
  const out = git(['cat-file', '--batch'], Buffer.from(`${blobs.map((b) => b.sha).join('\n')}\n`));
  const files: LocalFile[] = [];
  let at = 0;
  for (const blob of blobs) {
    const headerEnd = out.indexOf(10, at);
    const size = Number(out.subarray(at, headerEnd).toString().split(' ')[2]);
    const bytes = out.subarray(headerEnd + 1, headerEnd + 1 + size);
    at = headerEnd + 1 + size + 1;
    const text = decodeText(bytes);
    if (text.ok) files.push({ path: blob.path, text: text.text, bytes: size });
  }
  return files;
}
