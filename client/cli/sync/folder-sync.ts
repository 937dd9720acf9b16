import { readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import * as Y from 'yjs';
import {
  ALWAYS_SKIPPED_DIRS,
  decodeText,
  IgnoreRules,
  type ImportLimits,
} from '../../../schema/import-rules.ts';
import { isValidFilePath } from '../../../schema/protocol.ts';
import { applyTextEdits, textEdits } from '../../../schema/text-edits.ts';
import { fileText } from '../../sdk/code-files.ts';
import { judge } from '../local-files.ts';
import { mergeLive, mergeWithMarkers } from './merge3.ts';
import { atomicWrite, inside, type ShareStore, STATE_DIR, throughLink } from './share-state.ts';

export interface FolderSyncDeps {
  dir: string;
  store: ShareStore;
  /** the code doc and its `files` map, from SparkroomClient.connect() */
  doc: Y.Doc;
  files: Y.Map<Y.Text>;
  limits: ImportLimits;
  log: (line: string) => void;
  /** a room change waits this long to be written, so keystrokes coalesce (well inside 200 ms) */
  writeDelayMs?: number;
  /** a disk event waits this long for the editor to finish its save */
  diskDelayMs?: number;
}

export interface SyncReport {
  /** files both sides had changed in the same lines: written with conflict markers */
  conflicts: string[];
  /** files both sides had changed elsewhere: merged */
  merged: string[];
}

type DiskText = string | undefined | 'local';

/**
 * chokidar emits at most one 'change' per file in 50 ms and drops the others, with no trailing event: a
 * second save inside that window (an editor's format-on-save, git rewriting a file, a script) was never
 * read. Every change is therefore read once more after the window (IO-20).
 */
const CHOKIDAR_CHANGE_THROTTLE_MS = 50;

/**
 * Live two-way sync of a folder and a room's code doc (IO-12..IO-16).
 *
 * For every file the sync keeps the text both sides last agreed on (the base, also in .sparkroom/base/).
 * When either side changes, the file is reconciled: if only one side moved from the base, that side is
 * copied to the other (to disk atomically; to the room as the smallest text edits, so edits made
 * meanwhile by others merge); if both moved, the three are merged. Ignored, binary and oversized files
 * stay local. Only the code doc is synced: pending suggestions never reach the disk.
 */
export class FolderSync {
  private readonly deps: FolderSyncDeps;
  private readonly base = new Map<string, string>();
  private rules = new IgnoreRules();
  private watcher: FSWatcher | null = null;
  private readonly roomPending = new Set<string>();
  private roomTimer: NodeJS.Timeout | null = null;
  private readonly diskTimers = new Map<string, NodeJS.Timeout>();
  /** IO-20: the second read of a changed file, after chokidar's throttle window */
  private readonly recheckTimers = new Map<string, NodeJS.Timeout>();
  private readonly tasks = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly report: SyncReport = { conflicts: [], merged: [] };

  constructor(deps: FolderSyncDeps) {
    this.deps = deps;
  }

  /**
   * Loads the bases, reconciles every file three ways (base, disk, room: what changed on either side
   * while nobody was syncing is kept; a true conflict gets markers), then follows both sides.
   */
  async start(): Promise<SyncReport> {
    this.rules = await loadRules(this.deps.dir);
    for (const path of await this.deps.store.listBase()) {
      const text = await this.deps.store.readBase(path);
      if (text !== undefined) this.base.set(path, text);
    }
    const paths = new Set<string>([...this.base.keys(), ...this.deps.files.keys()]);
    for (const path of await listDiskFiles(this.deps.dir, this.rules)) paths.add(path);
    for (const path of [...paths].sort()) await this.reconcile(path, 'restart');
    this.deps.files.observeDeep(this.onRoomChange);
    this.watcher = chokidar.watch(this.deps.dir, {
      ignoreInitial: true,
      followSymlinks: false,
      ignored: (path, stats) => this.ignoredOnDisk(path, stats?.isDirectory() ?? false),
    });
    this.watcher.on('all', (event, path) => this.onDiskEvent(event, path));
    await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    const report = { conflicts: [...this.report.conflicts], merged: [...this.report.merged] };
    this.report.conflicts.length = 0;
    this.report.merged.length = 0;
    return report;
  }

  /** Stops watching, then writes what is pending. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.watcher?.close();
    await this.idle();
    this.deps.files.unobserveDeep(this.onRoomChange);
    this.stopped = true;
  }

  /** Resolves when every change seen so far has been reconciled (without waiting out the delays). */
  async idle(): Promise<void> {
    for (const timers of [this.diskTimers, this.recheckTimers]) {
      for (const [path, timer] of timers) {
        clearTimeout(timer);
        void this.enqueue(path, () => this.reconcile(path, 'live'));
      }
      timers.clear();
    }
    if (this.roomTimer) clearTimeout(this.roomTimer);
    this.flushRoom();
    while (this.tasks.size > 0) await Promise.all([...this.tasks.values()]);
  }

  // --- room side -------------------------------------------------------------------------------------

  private readonly onRoomChange = (events: Y.YEvent<Y.AbstractType<unknown>>[], tr: Y.Transaction): void => {
    if (tr.origin === this) return;
    for (const event of events) {
      if (event.target === this.deps.files) {
        for (const key of event.changes.keys.keys()) this.roomPending.add(key);
      } else {
        const key = event.target._item?.parentSub;
        if (key) this.roomPending.add(key);
      }
    }
    if (this.roomPending.size > 0 && !this.roomTimer) {
      this.roomTimer = setTimeout(() => this.flushRoom(), this.deps.writeDelayMs ?? 25);
    }
  };

  private flushRoom(): void {
    this.roomTimer = null;
    const paths = [...this.roomPending];
    this.roomPending.clear();
    for (const path of paths) void this.enqueue(path, () => this.reconcile(path, 'live'));
  }

  // --- disk side -------------------------------------------------------------------------------------

  private onDiskEvent(event: string, full: string): void {
    if (this.stopped) return;
    const path = relative(this.deps.dir, full).split(sep).join('/');
    if (event === 'unlinkDir') {
      for (const key of this.deps.files.keys()) if (key.startsWith(`${path}/`)) this.scheduleDisk(key);
      return;
    }
    if (event !== 'add' && event !== 'change' && event !== 'unlink') return;
    if (path === '.gitignore' || path.endsWith('/.gitignore')) {
      void this.enqueue('\0rules', async () => {
        this.rules = await loadRules(this.deps.dir);
      });
    }
    this.scheduleDisk(path);
    if (event === 'change') this.scheduleRecheck(path);
  }

  /** Reads `path` again once chokidar's window has passed, whatever happens meanwhile (IO-20). */
  private scheduleRecheck(path: string): void {
    const existing = this.recheckTimers.get(path);
    if (existing) clearTimeout(existing);
    this.recheckTimers.set(
      path,
      setTimeout(
        () => {
          this.recheckTimers.delete(path);
          if (!this.stopped) void this.enqueue(path, () => this.reconcile(path, 'live'));
        },
        CHOKIDAR_CHANGE_THROTTLE_MS + (this.deps.diskDelayMs ?? 15),
      ),
    );
  }

  private scheduleDisk(path: string): void {
    const existing = this.diskTimers.get(path);
    if (existing) clearTimeout(existing);
    this.diskTimers.set(
      path,
      setTimeout(() => {
        this.diskTimers.delete(path);
        void this.enqueue(path, () => this.reconcile(path, 'live'));
      }, this.deps.diskDelayMs ?? 15),
    );
  }

  private ignoredOnDisk(full: string, isDir: boolean): boolean {
    const rel = relative(this.deps.dir, full).split(sep).join('/');
    if (rel === '' || rel.startsWith('..')) return false;
    const first = rel.split('/')[0]!;
    if (first === STATE_DIR || ALWAYS_SKIPPED_DIRS.includes(first)) return true;
    return isDir ? this.rules.ignoresFolder(rel) : false;
  }

  // --- reconciling one file ---------------------------------------------------------------------------

  /** Runs reconciliations of one path one after another (never two at once for a file). */
  private enqueue(path: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tasks.get(path) ?? Promise.resolve();
    const next = previous
      .then(task)
      .catch((err: unknown) => this.deps.log(`could not sync ${path}: ${(err as Error).message}`))
      .finally(() => {
        if (this.tasks.get(path) === next) this.tasks.delete(path);
      });
    this.tasks.set(path, next);
    return next;
  }

  private async reconcile(path: string, mode: 'live' | 'restart'): Promise<void> {
    if (!isValidFilePath(path) || this.rules.ignores(path)) return; // stays local, both ways
    const disk = await this.readDisk(path);
    if (disk === 'local') return; // binary, a link, over the cap: never synced
    const room = fileText(this.deps.files, path)?.toString();
    const base = this.base.get(path);
    if (disk === room) return this.agree(path, disk);
    if (room === base) {
      // Only the disk moved (or there is no base and the room has nothing): the disk's version goes up.
      this.toRoom(path, disk);
      return this.agree(path, disk);
    }
    if (disk === base) {
      await this.toDisk(path, room);
      return this.agree(path, room);
    }
    // Both moved. A delete against an edit keeps the edit (nothing typed is ever lost).
    if (disk === undefined) {
      await this.toDisk(path, room);
      return this.agree(path, room);
    }
    if (room === undefined) {
      this.toRoom(path, disk);
      return this.agree(path, disk);
    }
    const merged =
      mode === 'live' ? mergeLive(base ?? '', disk, room) : mergeWithMarkers(base ?? '', disk, room);
    this.toRoom(path, merged.text);
    if (merged.text !== disk) await this.toDisk(path, merged.text);
    if (merged.conflicts > 0) {
      this.report.conflicts.push(path);
      // Restart conflicts are reported by the caller (start() returns them); live ones are said now.
      if (mode === 'live') {
        this.deps.log(
          `${path}: edited on disk and in the room at the same place at once; kept the saved file there`,
        );
      }
    } else this.report.merged.push(path);
    return this.agree(path, merged.text);
  }

  private async readDisk(path: string): Promise<DiskText> {
    try {
      const file = await judge(this.deps.dir, path, this.rules, this.deps.limits);
      return 'reason' in file ? 'local' : file.text;
    } catch (err) {
      if (
        (err as NodeJS.ErrnoException).code === 'ENOENT' ||
        (err as NodeJS.ErrnoException).code === 'ENOTDIR'
      ) {
        return undefined;
      }
      throw err;
    }
  }

  /** Puts `text` into the room as the smallest edits (undefined deletes the file), as the sharing person. */
  private toRoom(path: string, text: string | undefined): void {
    const files = this.deps.files;
    this.deps.doc.transact(() => {
      // A key an older store left holding something else is replaced by the folder's text (SAFE-36).
      const current = fileText(files, path);
      if (text === undefined) {
        if (current) files.delete(path);
        return;
      }
      if (!current) {
        const created = new Y.Text();
        files.set(path, created);
        if (text.length > 0) created.insert(0, text);
        return;
      }
      applyTextEdits(current, textEdits(current.toString(), text));
    }, this);
  }

  /** Writes (temp file + rename) or removes the file on disk; never through a link, never outside DIR. */
  private async toDisk(path: string, text: string | undefined): Promise<void> {
    const full = inside(this.deps.dir, path);
    if (await throughLink(this.deps.dir, full)) {
      this.deps.log(`${path}: a folder on its way is a symbolic link; not written`);
      return;
    }
    if (text === undefined) await rm(full, { force: true });
    else await atomicWrite(this.deps.store.tmp, full, text);
  }

  private async agree(path: string, text: string | undefined): Promise<void> {
    if (text === undefined) {
      this.base.delete(path);
      await this.deps.store.deleteBase(path);
    } else if (this.base.get(path) !== text) {
      this.base.set(path, text);
      await this.deps.store.writeBase(path, text);
    }
  }
}

/** The .gitignore files of a folder (not inside ignored folders), scoped as git scopes them. */
export async function loadRules(dir: string): Promise<IgnoreRules> {
  const rules = new IgnoreRules();
  const walk = async (rel: string) => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    const gi = entries.find((e) => e.name === '.gitignore' && e.isFile());
    if (gi) {
      const text = decodeText(await readFile(join(dir, rel, '.gitignore')));
      if (text.ok) rules.add(rel, text.text);
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name === STATE_DIR) continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (!rules.ignoresFolder(path)) await walk(path);
    }
  };
  await walk('');
  return rules;
}

/** Files on disk the rules would sync (paths only; the contents are read when each is reconciled). */
async function listDiskFiles(dir: string, rules: IgnoreRules): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== STATE_DIR && !rules.ignoresFolder(path)) await walk(path);
      } else if (!rules.ignores(path)) out.push(path);
    }
  };
  await walk('');
  return out;
}
