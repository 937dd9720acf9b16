import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type HistoryPerson } from '../../schema/protocol.ts';
import type { Logger } from '../log.ts';
import { isOrigin } from '../rooms/origins.ts';
import type { Room } from '../rooms/room.ts';
import { type DocFollower, tellFollower } from '../rooms/room-ydoc.ts';
import type { CheckpointFile, CheckpointRecord, CheckpointStore, StoredText } from './checkpoint-store.ts';
import {
  editsSummary,
  type FileChanges,
  hashChanges,
  hashChangesSliced,
  nextTurn,
  readTexts,
  SLICE_CHARS,
  textHash,
} from './file-changes.ts';
import { HistoryWork, type HistoryWorkField } from './history-work.ts';
import {
  type RecordedHashes,
  recordedEntries,
  recordedFrom,
  recordedHash,
  withRecorded,
} from './recorded-hashes.ts';

/** What a recorded change says about itself (who, what); the files come from what it touched. */
export interface ChangeMeta {
  kind: 'accept' | 'revert' | 'restore' | 'change';
  by: HistoryPerson;
  summary: string;
  suggestionIds?: string[];
  runIds?: string[];
  restoredFrom?: string | null;
}

/**
 * What every room's history shares (one object for all rooms: PERF-81); each log line names its room, so no
 * room needs a child logger of its own.
 */
export interface RoomHistoryDeps {
  store: CheckpointStore;
  log: Logger;
  now: () => number;
  /** human edits are recorded at most this often (and before every other change) */
  editIntervalMs: number;
  nameOf: (roomId: string, userId: string) => Promise<string>;
}

/**
 * One loaded room's history (REVIEW-6..9). It knows the text last recorded for every file (as hashes) and
 * which files people have touched since; it records their edits at most every `editIntervalMs`, and every
 * server-made change (accept, revert, restore, a multi-file change) as one entry whose `before` is the
 * recorded text: pending edits are recorded first, so before-texts are always what people last saw. Changes
 * run one at a time per room.
 *
 * PERF-81: most loaded rooms sit idle most of the time, so the sets that only a change fills (dirty, being
 * recorded, editors and their names) are made at the first change that needs them and dropped when they
 * empty again; the files still to check after the load are dropped once checked. An idle room's history is
 * the hashes it recorded and nothing else.
 */
export class RoomHistory implements DocFollower {
  private readonly room: Room;
  private readonly deps: RoomHistoryDeps;
  /** last recorded text hash per path (null: recorded as deleted); flat while small (PERF-161) */
  private recorded: RecordedHashes = [];
  /**
   * What a change in progress holds (PERF-149): the paths and people it gathers, its timer and the chain of
   * changes, in one object made at the first change and let go when all of it is null again, so an idle
   * room's history has one field for them, not six (HistoryWork).
   */
  private work: HistoryWork | null = null;
  /**
   * Whether the files history knew at the load and nobody has changed since (not dirty) are still to be
   * compared with what was recorded (text a crash kept from being recorded): checked in slices at the
   * first record after the load (SAFE-143), never at unload. A flag, not a set of paths (PERF-81): until that
   * first record, a path nobody changed is exactly one the load knew and that is not dirty.
   */
  private checkAfterLoad = false;
  /** names of the people who edited, looked up as they first edit (an unload cannot wait for a lookup) */
  private names: Map<string, string> | null = null;

  constructor(room: Room, deps: RoomHistoryDeps) {
    this.room = room;
    this.deps = deps;
    // PERF-177: followed through the document (one observer function for every room), not two closures.
    if (room.code.doc.follower !== null) throw new Error(`room ${room.id} already has a history`);
    room.code.doc.follower = this;
    this.files.observeDeep(tellFollower);
    // A failed start (storage away, or on several nodes a room lost while it loaded: CLUSTER-50) is logged, not
    // left as a rejection nobody handles, which ended the whole process.
    this.queue(
      this.start().catch((err: unknown) =>
        this.deps.log.error({ err, room: this.room.id }, 'starting the room history failed'),
      ),
    );
  }

  /**
   * The code doc's files. PERF-160: read from the room when needed (a record, a check), not kept in a field
   * of every room's history.
   */
  private get files(): Y.Map<Y.Text> {
    return this.room.code.doc.getMap<Y.Text>(CODE_FILES_KEY);
  }

  /** Whether the room unloaded (PERF-160: the document says so, Yjs marks it before its `destroy` event). */
  private get destroyed(): boolean {
    return this.room.code.doc.isDestroyed;
  }

  /** The object a change fills, made now if the room was idle (PERF-149). */
  private workNow(): HistoryWork {
    this.work ??= new HistoryWork();
    return this.work;
  }

  /** Clears one field of the work in progress; the object goes once all of it is clear. */
  private clearWork(key: HistoryWorkField): void {
    const work = this.work;
    if (!work) return;
    work[key] = null;
    if (work.isEmpty()) this.work = null;
  }

  /** Whether the object a change fills is allocated now (PERF-149: not while the room is idle). For tests. */
  get holdsWork(): boolean {
    return this.work !== null;
  }

  /**
   * Loads what was recorded; files history does not know yet get a baseline entry (REVIEW-6), and the files
   * it knows are compared with what was recorded, in slices (SAFE-143).
   */
  private async start(): Promise<void> {
    // PERF-161: the paths as the document's own key strings, not the store's copies.
    this.recorded = recordedFrom(await this.deps.store.filesAt(this.room.id, null), this.files.keys());
    const unknown: string[] = [];
    // A file someone changed while this loaded is dirty already: recorded at the next record. Recorded files
    // gone from the doc were deleted before a crash: found by the check (checkLoaded).
    for (const path of this.files.keys())
      if (recordedHash(this.recorded, path) === undefined) unknown.push(path);
    this.checkAfterLoad = true;
    if (unknown.length > 0) await this.baseline(unknown);
  }

  private async baseline(unknown: string[]): Promise<void> {
    const changes = await this.changesSliced(unknown, () => null);
    if (!changes) return;
    const { files, texts } = changes;
    await this.write(
      {
        kind: 'baseline',
        by: null,
        editors: [],
        suggestionIds: [],
        runIds: [],
        restoredFrom: null,
        summary: `History starts: ${files.length} ${files.length === 1 ? 'file' : 'files'} as they were`,
      },
      files,
      texts,
    );
  }

  /**
   * SAFE-143: compares the files nobody changed since the load with what history recorded, a slice at a time
   * (about `SLICE_CHARS` of text hashed per turn of the event loop), at the first record after the load (not
   * at the load itself, which has its own budget: ROOM-18); a difference (text a crash kept from being
   * recorded) is recorded by that record. Hashing them all in one go, at the unload as before, held the loop
   * ~200 ms for a room of 24 MB. What an unload leaves unchecked is checked after the next load: nobody
   * changed it, so the stored text is the one in memory.
   */
  private async checkLoaded(): Promise<void> {
    if (!this.checkAfterLoad) return;
    this.checkAfterLoad = false;
    // What the load knew: recorded then (the files a baseline added since are recorded as they are, so
    // their check finds them equal), here in the doc or recorded and gone from it.
    const files = this.files;
    const known = recordedEntries(this.recorded).filter(([path, hash]) => hash !== null || files.has(path));
    let hashed = 0;
    for (const [path] of known) {
      if (this.destroyed) return;
      // Changed since the load (or during this check): recorded by the record that follows.
      if (this.work?.dirty?.has(path)) continue;
      const ytext = files.get(path);
      const text = ytext instanceof Y.Text ? ytext.toString() : null;
      if ((text === null ? null : textHash(text)) !== (recordedHash(this.recorded, path) ?? null))
        this.markDirty(path);
      hashed += text?.length ?? 0;
      if (hashed >= SLICE_CHARS) {
        hashed = 0;
        await nextTurn();
      }
    }
  }

  private markDirty(path: string): void {
    const work = this.workNow();
    work.dirty ??= new Set();
    work.dirty.add(path);
  }

  /**
   * How many of the sets a change fills are allocated now (PERF-81: none while the room is idle). For
   * tests and diagnostics.
   */
  get allocatedSets(): number {
    const work = this.work;
    return [work?.dirty, work?.recording, work?.editors, this.names].filter((x) => x != null).length;
  }

  private armTimer(): void {
    if (this.work?.timer || this.destroyed) return;
    const timer = setTimeout(() => {
      this.clearWork('timer');
      this.serial(() => this.recordEdits()).catch((err: unknown) =>
        this.deps.log.error({ err, room: this.room.id }, 'recording edits in history failed'),
      );
    }, this.deps.editIntervalMs);
    timer.unref();
    this.workNow().timer = timer;
  }

  /** DocFollower: a change of the code doc's files (PERF-177). */
  followedChanged(events: Y.YEvent<Y.AbstractType<unknown>>[], tr: Y.Transaction): void {
    const origin = isOrigin(tr.origin) ? tr.origin : null;
    if (origin?.source === 'load') return;
    const paths = new Set<string>();
    for (const event of events) {
      if (event instanceof Y.YMapEvent) for (const key of event.keysChanged) paths.add(key as string);
      else if (typeof event.path[0] === 'string') paths.add(event.path[0]);
    }
    const human = origin?.source === 'connection' || origin?.source === 'import';
    const capture = this.work?.capture;
    if (capture && !human) {
      for (const p of paths) capture.add(p);
      return;
    }
    for (const p of paths) this.markDirty(p);
    if (origin && 'userId' in origin && human) this.noteEditor(origin.userId);
    this.armTimer();
  }

  private noteEditor(userId: string): void {
    const work = this.workNow();
    work.editors ??= new Set();
    work.editors.add(userId);
    this.names ??= new Map();
    const names = this.names;
    if (names.has(userId)) return;
    names.set(userId, 'someone');
    this.deps.nameOf(this.room.id, userId).then(
      (name) => names.set(userId, name),
      (err: unknown) => this.deps.log.warn({ err, room: this.room.id }, 'looking up an editor failed'),
    );
  }

  private editorList(): HistoryPerson[] {
    const list = [...(this.work?.editors ?? [])].map((id) => ({
      id,
      name: this.names?.get(id) ?? 'someone',
    }));
    this.clearWork('editors');
    return list;
  }

  /**
   * DocFollower: the room unloads. What people typed since the last record (and what a record in progress
   * had not written) is recorded now, in this turn. Files nobody changed are not read (SAFE-143).
   */
  docDestroyed(): void {
    if (this.work?.timer) clearTimeout(this.work.timer);
    this.clearWork('timer');
    this.files.unobserveDeep(tellFollower);
    const paths = new Set([...(this.work?.dirty ?? []), ...(this.work?.recording ?? [])]);
    if (paths.size === 0) return;
    const { files, texts } = hashChanges(
      readTexts(this.files, [...paths]),
      (p) => recordedHash(this.recorded, p) ?? null,
    );
    if (files.length === 0) return;
    const editors = this.editorList();
    const entry = this.entry(
      { kind: 'edits', by: null, editors, suggestionIds: [], runIds: [], restoredFrom: null },
      files,
      editsSummary(editors, files),
    );
    // Both calls start now, in order, before the database can be closed behind the unload.
    Promise.all([this.deps.store.putTexts(this.room.id, texts), this.deps.store.append(entry)]).catch(
      (err: unknown) => this.deps.log.error({ err, room: this.room.id }, 'recording edits at unload failed'),
    );
  }

  /** Records people's edits since the last record, if any (an `edits` entry naming them). */
  recordEditsNow(): Promise<CheckpointRecord | null> {
    return this.serial(() => this.recordEdits());
  }

  /**
   * Runs `apply` (which changes code through server transactions) as one history entry: pending edits are
   * recorded first, then the files `apply` touched are recorded with their text before and after. The
   * entry is written even when `apply` throws after changing code, so history never misses a change.
   */
  recordChange<T>(
    meta: ChangeMeta,
    apply: () => T | Promise<T>,
  ): Promise<{ result: T; entry: CheckpointRecord | null }> {
    return this.serial(async () => {
      await this.recordEdits();
      const touched = new Set<string>();
      this.workNow().capture = touched;
      let outcome: { ok: true; value: T } | { ok: false; err: unknown };
      try {
        outcome = { ok: true, value: await apply() };
      } catch (err) {
        outcome = { ok: false, err };
      }
      this.clearWork('capture');
      const entry = await this.recordTouched(meta, touched);
      if (!outcome.ok) throw outcome.err;
      return { result: outcome.value, entry };
    });
  }

  private async recordTouched(meta: ChangeMeta, touched: Set<string>): Promise<CheckpointRecord | null> {
    const changes = await this.changesSliced([...touched], (p) => recordedHash(this.recorded, p) ?? null);
    if (!changes || changes.files.length === 0) return null;
    const { files, texts } = changes;
    return this.write(
      {
        kind: meta.kind,
        by: meta.by,
        editors: [],
        suggestionIds: meta.suggestionIds ?? [],
        runIds: meta.runIds ?? [],
        restoredFrom: meta.restoredFrom ?? null,
        summary: meta.summary,
      },
      files,
      texts,
    );
  }

  private async recordEdits(): Promise<CheckpointRecord | null> {
    await this.checkLoaded();
    if (this.work?.timer) clearTimeout(this.work.timer);
    this.clearWork('timer');
    const dirty = this.work?.dirty;
    if (!dirty) return null;
    const paths = [...dirty];
    this.clearWork('dirty');
    const changes = await this.changesSliced(paths, (p) => recordedHash(this.recorded, p) ?? null);
    if (!changes || changes.files.length === 0) return null;
    const { files, texts } = changes;
    const editors = this.editorList();
    return this.write(
      {
        kind: 'edits',
        by: null,
        editors,
        suggestionIds: [],
        runIds: [],
        restoredFrom: null,
        summary: editsSummary(editors, files),
      },
      files,
      texts,
    );
  }

  /**
   * The changes of `paths` against `before`, hashed a slice at a time (SAFE-143): the texts are read at once
   * (one moment of the doc), then hashed about `SLICE_CHARS` per turn of the event loop. Until then the paths
   * count as `recording`, so an unload meanwhile records them; null when it did (this record then writes
   * nothing).
   */
  private async changesSliced(
    paths: readonly string[],
    before: (path: string) => string | null,
  ): Promise<FileChanges | null> {
    const read = readTexts(this.files, paths);
    const work = this.workNow();
    work.recording ??= new Set();
    const recording = work.recording;
    for (const p of paths) recording.add(p);
    try {
      return await hashChangesSliced(read, before, () => this.destroyed);
    } finally {
      if (!this.destroyed) {
        for (const p of paths) recording.delete(p);
        if (this.work?.recording === recording && recording.size === 0) this.clearWork('recording');
      }
    }
  }

  private entry(
    fields: Omit<CheckpointRecord, 'id' | 'roomId' | 'seq' | 'at' | 'files' | 'summary'>,
    files: CheckpointFile[],
    summary: string,
  ): Omit<CheckpointRecord, 'seq'> {
    for (const f of files) this.recorded = withRecorded(this.recorded, f.path, f.after);
    return {
      id: `c_${randomUUID()}`,
      roomId: this.room.id,
      at: this.deps.now(),
      ...fields,
      summary,
      files,
    };
  }

  private async write(
    fields: Omit<CheckpointRecord, 'id' | 'roomId' | 'seq' | 'at' | 'files'>,
    files: CheckpointFile[],
    texts: StoredText[],
  ): Promise<CheckpointRecord> {
    const entry = this.entry(fields, files, fields.summary);
    try {
      await this.deps.store.putTexts(this.room.id, texts);
      return await this.deps.store.append(entry);
    } catch (err) {
      // Not recorded: those files count as changed again, so the next record covers them.
      for (const f of files) {
        this.recorded = withRecorded(this.recorded, f.path, f.before);
        this.markDirty(f.path);
      }
      throw err;
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = (this.work?.chain ?? Promise.resolve()).then(fn, fn);
    this.queue(next);
    return next;
  }

  /** Makes `work` the last of the chain; the chain is let go once it settles, unless more was queued. */
  private queue(work: Promise<unknown>): void {
    const done = (): void => {
      if (this.work?.chain === tail) this.clearWork('chain');
    };
    const tail: Promise<void> = work.then(done, done);
    this.workNow().chain = tail;
  }

  /** Whether a change is queued or running (PERF-104: not while the room is idle). For tests and diagnostics. */
  get busy(): boolean {
    return (this.work?.chain ?? null) !== null;
  }
}
