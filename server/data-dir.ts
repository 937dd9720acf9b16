import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates `dir` (and its missing parents) one level at a time. Not `mkdirSync(dir, { recursive: true })`:
 * Node's recursive mkdir spins at full CPU forever under /proc and /sys (OPS-3), where mkdir answers ENOENT
 * for a parent that exists. A step-by-step walk fails at the first level it cannot create, with a message
 * naming the data directory and the reason.
 */
export function ensureDataDir(dir: string, mode = 0o700): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    const kind = kindOf(at);
    if (kind === 'dir') break;
    if (kind === 'other') throw new Error(`cannot create data directory ${target}: ${at} is not a directory`);
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level, { mode });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST' && kindOf(level) === 'dir') continue;
      throw new Error(`cannot create data directory ${target}: ${e.code ?? e.message}${hint(target)}`, {
        cause: err,
      });
    }
  }
}

function kindOf(path: string): 'dir' | 'other' | 'none' {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'none';
  }
}

/** Kernel file systems hold no data: say so rather than leave the reader to decode ENOENT. */
function hint(path: string): string {
  return /^\/(proc|sys|dev)(\/|$)/.test(path)
    ? ` (${path.split('/')[1]} is a kernel file system, not storage)`
    : '';
}
