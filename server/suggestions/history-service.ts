import * as Y from 'yjs';
import {
  CODE_FILES_KEY,
  type HistoryDiffResponse,
  type HistoryEntryView,
  type HistoryResponse,
  type PublicUser,
  type RestoreResponse,
  type RevertCheckpointResponse,
} from '../../schema/protocol.ts';
import type { RestoreCheckpointRequest } from '../../schema/rest.ts';
import { applyTextEdits, textEdits } from '../../schema/text-edits.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import type { CheckpointRecord, CheckpointStore } from './checkpoint-store.ts';
import { commonEnds } from './decisions.ts';
import { planRevert, type RevertFile } from './history-revert.ts';
import { writeForPerson } from './person-write.ts';
import { type ChangeMeta, RoomHistory, type RoomHistoryDeps } from './room-history.ts';
import type { SuggestionStore } from './suggestion-store.ts';

export type { ChangeMeta } from './room-history.ts';

export interface HistoryServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  store: CheckpointStore;
  /** where text written for a person is attributed to them (blame names the restorer) */
  attribution: Pick<SuggestionStore, 'addAttribution'>;
  log: Logger;
  now: () => number;
  /** people's edits are recorded at most this often; default 3 minutes */
  editIntervalMs?: number;
}

/** How many entries one history page holds at most, and by default. */
export const MAX_HISTORY_PAGE = 200;
const DEFAULT_HISTORY_PAGE = 50;
/** Files listed per entry in a history page (an import may touch thousands). */
const FILES_PER_ENTRY = 100;

/**
 * History and checkpoints (REVIEW-6..10): every change to a room's code is recorded with the touched files'
 * text before and after it, content-addressed. Other parts record their server-made changes through
 * `recordChange` (one entry, however many files); people's typing is recorded by the room's RoomHistory.
 */
export class HistoryService {
  private readonly deps: HistoryServiceDeps;
  private readonly histories = new WeakMap<Room, RoomHistory>();
  /** PERF-81: one for every room's history, not an object, a logger and a closure per room */
  private readonly historyDeps: RoomHistoryDeps;

  constructor(deps: HistoryServiceDeps) {
    this.deps = deps;
    this.historyDeps = {
      store: deps.store,
      log: deps.log,
      now: deps.now,
      editIntervalMs: deps.editIntervalMs ?? 180_000,
      nameOf: async (roomId, userId) =>
        (await deps.rooms.membersOf(roomId)).find((m) => m.userId === userId)?.name ?? 'someone',
    };
  }

  /** Called once per room load (registry onLoad): starts following the room's code. */
  attach(room: Room): void {
    this.histories.set(room, new RoomHistory(room, this.historyDeps));
  }

  /**
   * THE way to change code on the server as one history entry (REVIEW-8): `apply` makes the change through
   * server transactions on `room.code` (any number of files); people's edits since the last record are
   * recorded first, then the touched files before and after, attributed to `meta.by`. `meta` is read after
   * `apply` ends, so `apply` may fill in `suggestionIds`. Changes in one room run one at a time.
   * Answers what `apply` answered and the entry (null when nothing changed).
   */
  recordChange<T>(
    room: Room,
    meta: ChangeMeta,
    apply: () => T | Promise<T>,
  ): Promise<{ result: T; entry: CheckpointRecord | null }> {
    return this.of(room).recordChange(meta, apply);
  }

  /** Records people's edits now (a checkpoint) instead of at the next interval. */
  recordEdits(room: Room): Promise<CheckpointRecord | null> {
    return this.of(room).recordEditsNow();
  }

  async list(user: AuthUser, page: { before?: number; limit?: number }): Promise<HistoryResponse> {
    const limit = Math.min(MAX_HISTORY_PAGE, Math.max(1, page.limit ?? DEFAULT_HISTORY_PAGE));
    // What people typed up to now is part of the answer.
    const room = this.deps.registry.peek(user.roomId);
    if (room) await this.recordEdits(room);
    const rows = await this.deps.store.list(user.roomId, {
      ...(page.before !== undefined ? { before: page.before } : {}),
      limit: limit + 1,
    });
    return { entries: rows.slice(0, limit).map(toView), more: rows.length > limit };
  }

  async diff(user: AuthUser, checkpointId: string, file: string): Promise<HistoryDiffResponse> {
    const entry = await this.entry(user.roomId, checkpointId);
    const f = entry.files.find((x) => x.path === file);
    if (!f) throw new AppError('not_found', `${file} did not change in this history entry`);
    const read = (hash: string | null) =>
      hash === null ? Promise.resolve(null) : this.deps.store.readText(user.roomId, hash);
    const [before, after] = await Promise.all([read(f.before), read(f.after)]);
    return { id: entry.id, file, before, after };
  }

  /**
   * Restores one file, or every file, to the checkpoint recorded just before entry `checkpointId`
   * (REVIEW-9): a new entry attributed to the person restoring, itself restorable. Nothing is removed
   * from history.
   */
  async restore(
    user: AuthUser,
    checkpointId: string,
    opts: RestoreCheckpointRequest = {},
  ): Promise<RestoreResponse> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, 'write', policy);
    await this.deps.rooms.assertMayWriteCode(user);
    const entry = await this.entry(user.roomId, checkpointId);
    if (entry.kind === 'baseline') {
      throw new AppError(
        'conflict',
        'history starts at this entry: there is no earlier checkpoint to restore',
      );
    }
    const { room, release } = await this.deps.registry.acquire(user.roomId);
    try {
      const restored: string[] = [];
      const by = { id: user.id, name: user.name };
      const what = opts.file ?? 'every file';
      const { entry: made } = await this.recordChange(
        room,
        {
          kind: 'restore',
          by,
          restoredFrom: entry.id,
          summary: `Restored ${what} to before “${entry.summary}”`,
        },
        async () => {
          const target = await this.deps.store.filesAt(room.id, entry.seq);
          if (opts.file !== undefined && !target.has(opts.file)) {
            throw new AppError('not_found', `${opts.file} has no history at this checkpoint`);
          }
          const paths = opts.file !== undefined ? [opts.file] : [...target.keys()];
          const texts = new Map<string, string | null>();
          for (const path of paths) {
            const hash = target.get(path) ?? null;
            const text = hash === null ? null : await this.deps.store.readText(room.id, hash);
            if (hash !== null && text === null) throw new Error(`history text ${hash} is missing`);
            texts.set(path, text);
          }
          await this.write(room, user, entry.id, texts, restored);
        },
      );
      await room.whenFlushed();
      return { entry: made ? toView(made) : null, restored };
    } finally {
      release();
    }
  }

  /** Puts each file's text in place (null: removes the file), in one transaction, attributed to `user`. */
  private async write(
    room: Room,
    user: PublicUser,
    checkpointId: string,
    texts: Map<string, string | null>,
    restored: string[],
  ): Promise<void> {
    await writeForPerson(room, this.deps.attribution, {
      userId: user.id,
      // A restore has no suggestion: the row names the history entry restored.
      label: `history:${checkpointId}`,
      origin: { source: 'server', reason: `restore ${checkpointId} for ${user.id}` },
      at: this.deps.now(),
      apply: (files) => {
        for (const [path, text] of texts) {
          const ytext = files.get(path);
          if (text === null) {
            if (ytext) {
              files.delete(path);
              restored.push(path);
            }
            continue;
          }
          if (!ytext) {
            const fresh = new Y.Text();
            files.set(path, fresh);
            fresh.insert(0, text);
            restored.push(path);
            continue;
          }
          const current = ytext.toString();
          if (current === text) continue;
          // Only the lines that differ are rewritten (as accepts do), so unchanged lines keep their authors.
          const { prefix, suffix } = commonEnds(current, text);
          if (current.length - prefix - suffix > 0) ytext.delete(prefix, current.length - prefix - suffix);
          const added = text.slice(prefix, text.length - suffix);
          if (added.length > 0) ytext.insert(prefix, added);
          restored.push(path);
        }
      },
    });
  }

  /**
   * Undoes one entry's change (NAV-26): each file it touched gets the entry's change taken back out, with
   * what changed since kept, as a new `revert` entry by `user` (itself revertible). A file changed since on
   * the same lines refuses the whole revert (409, naming the files), so nothing is half undone.
   */
  async revert(user: AuthUser, checkpointId: string): Promise<RevertCheckpointResponse> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, 'write', policy);
    // CLASS-30: so does undoing a history entry.
    await this.deps.rooms.assertMayWriteCode(user);
    const entry = await this.entry(user.roomId, checkpointId);
    if (entry.kind === 'baseline') {
      throw new AppError('conflict', 'this entry is where history starts: there is no change to undo');
    }
    const { room, release } = await this.deps.registry.acquire(user.roomId);
    try {
      const reverted: string[] = [];
      const { entry: made } = await this.recordChange(
        room,
        {
          kind: 'revert',
          by: { id: user.id, name: user.name },
          restoredFrom: entry.id,
          summary: `Reverted “${entry.summary}”`,
        },
        async () => {
          const read = (hash: string | null) =>
            hash === null ? Promise.resolve(null) : this.deps.store.readText(room.id, hash);
          const files: RevertFile[] = [];
          for (const f of entry.files) {
            const [before, after] = await Promise.all([read(f.before), read(f.after)]);
            if ((f.before !== null && before === null) || (f.after !== null && after === null))
              throw new Error(`history text of ${f.path} in ${entry.id} is missing`);
            files.push({ path: f.path, before, after, now: null });
          }
          // Read now, after the awaits: the texts the plan is made from are the ones it writes over.
          const code = room.code.doc.getMap<Y.Text>(CODE_FILES_KEY);
          for (const f of files) f.now = code.get(f.path)?.toString() ?? null;
          const plan = planRevert(files);
          if (plan.conflicts.length > 0) {
            const shown = plan.conflicts.slice(0, 5).join(', ');
            const more = plan.conflicts.length > 5 ? ` and ${plan.conflicts.length - 5} more` : '';
            throw new AppError(
              'conflict',
              `${shown}${more} changed since on the lines this entry changed: nothing was reverted; restore them from history instead`,
            );
          }
          await writeForPerson(room, this.deps.attribution, {
            userId: user.id,
            label: `history:${entry.id}`,
            origin: { source: 'change', userId: user.id, what: 'revert' },
            at: this.deps.now(),
            apply: (map) => {
              for (const [path, text] of plan.targets) {
                const ytext = map.get(path);
                if (text === null) map.delete(path);
                else if (!ytext) {
                  const fresh = new Y.Text();
                  map.set(path, fresh);
                  fresh.insert(0, text);
                } else applyTextEdits(ytext, textEdits(ytext.toString(), text));
                reverted.push(path);
              }
            },
          });
        },
      );
      await room.whenFlushed();
      return { entry: made ? toView(made) : null, reverted };
    } finally {
      release();
    }
  }

  private async entry(roomId: string, id: string): Promise<CheckpointRecord> {
    const entry = await this.deps.store.get(roomId, id);
    if (!entry) throw new AppError('not_found', `no checkpoint ${id} in this room`);
    return entry;
  }

  private of(room: Room): RoomHistory {
    const history = this.histories.get(room);
    if (!history) throw new Error(`room ${room.id} was loaded without history attached`);
    return history;
  }
}

export function toView(r: CheckpointRecord): HistoryEntryView {
  return {
    id: r.id,
    seq: r.seq,
    kind: r.kind,
    at: r.at,
    by: r.by,
    editors: r.editors,
    suggestionIds: r.suggestionIds,
    runIds: r.runIds,
    restoredFrom: r.restoredFrom,
    summary: r.summary,
    files: r.files.slice(0, FILES_PER_ENTRY).map((f) => ({
      path: f.path,
      change: f.before === null ? 'added' : f.after === null ? 'deleted' : 'changed',
    })),
    fileCount: r.files.length,
  };
}
