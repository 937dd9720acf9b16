import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { isValidFilePath, type PublicUser, type Role } from '../../../schema/protocol.ts';

/** What `sparkroom share` remembers in DIR/.sparkroom/ to reconnect to the same room (IO-15). */
export interface ShareState {
  version: 1;
  server: string;
  roomId: string;
  roomName: string;
  /** the personal token of the sharing person (kept with mode 0600) */
  token: string;
  user: PublicUser;
  /** invite links, when the sharing person owns the room */
  invites: Partial<Record<Role, string>>;
}

export const STATE_DIR = '.sparkroom';

/**
 * DIR/.sparkroom/: state.json, base/ (the text both sides last agreed on, per file: the base of the
 * three-way merge on restart) and tmp/ (atomic writes). Its own .gitignore (`*`) keeps git out of it
 * without touching the project's .gitignore.
 */
export class ShareStore {
  readonly root: string;
  readonly base: string;
  readonly tmp: string;

  constructor(readonly dir: string) {
    this.root = join(dir, STATE_DIR);
    this.base = join(this.root, 'base');
    this.tmp = join(this.root, 'tmp');
  }

  static exists(dir: string): boolean {
    return existsSync(join(dir, STATE_DIR, 'state.json'));
  }

  async init(): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
    await mkdir(this.base, { recursive: true });
    await writeFile(join(this.root, '.gitignore'), '*\n');
  }

  async load(): Promise<ShareState> {
    return JSON.parse(await readFile(join(this.root, 'state.json'), 'utf8')) as ShareState;
  }

  async save(state: ShareState): Promise<void> {
    await this.init();
    await atomicWrite(this.tmp, join(this.root, 'state.json'), `${JSON.stringify(state, null, 2)}\n`, 0o600);
  }

  async readBase(path: string): Promise<string | undefined> {
    try {
      return await readFile(inside(this.base, path), 'utf8');
    } catch {
      return undefined;
    }
  }

  async writeBase(path: string, text: string): Promise<void> {
    await atomicWrite(this.tmp, inside(this.base, path), text);
  }

  async deleteBase(path: string): Promise<void> {
    await rm(inside(this.base, path), { force: true });
  }

  /** Every file that has a base (paths relative to DIR). */
  async listBase(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string) => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(join(this.base, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const path = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(path);
        else if (e.isFile()) out.push(path);
      }
    };
    await walk('');
    return out;
  }
}

/**
 * The filesystem path of a room path under `root`, only after the path passes the room's own rules (no
 * `..`, no absolute path) and resolves inside `root` (SAFE-64).
 */
export function inside(root: string, path: string): string {
  if (!isValidFilePath(path)) throw new Error(`refusing the path ${JSON.stringify(path)}`);
  const full = resolve(root, path);
  if (!full.startsWith(resolve(root) + sep)) throw new Error(`refusing the path ${JSON.stringify(path)}`);
  return full;
}

/** True when a folder on the way from `root` to `full` is a symbolic link (a write would leave the tree). */
export async function throughLink(root: string, full: string): Promise<boolean> {
  let at = dirname(full);
  const top = resolve(root);
  while (at.length > top.length) {
    try {
      if ((await lstat(at)).isSymbolicLink()) return true;
    } catch {
      // not there yet: it will be created as a real folder
    }
    at = dirname(at);
  }
  return false;
}

/** Writes a file whole or not at all: a temp file in `tmpDir` (same disk), then a rename over the target. */
export async function atomicWrite(tmpDir: string, target: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(tmpDir, `w-${randomBytes(8).toString('hex')}`);
  await writeFile(tmp, text, { mode });
  try {
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
