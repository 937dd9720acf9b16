import type { LectureRequest, PenRequest, TutorRequest } from '../../schema/classroom-rest.ts';
import {
  canWriteNow,
  defaultModes,
  type PublicUser,
  REVIEW_MODES_KEY,
  type RoomModes,
} from '../../schema/protocol.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Room } from '../rooms/room.ts';
import type { WriteGate } from '../rooms/room-doc.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { roomMap } from '../suggestions/review-doc.ts';
import type { ClassroomStore } from './classroom-store.ts';

export interface ModesServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  store: ClassroomStore;
  log: Logger;
  now: () => number;
}

/**
 * A room's modes (CLASS-1..15): tutor mode for Spark, and lecture mode (follow the owner, freeze, the
 * pen). Saved before anyone sees them, then written to the review doc so every open page follows live;
 * the write rule (`canWriteNow`) is applied to every code frame of a loaded room and to REST writes.
 */
export class ModesService implements WriteGate {
  private readonly deps: ModesServiceDeps;
  /** modes of loaded rooms (and of rooms asked about since), so the frame check never waits */
  private readonly cache = new Map<string, RoomModes>();
  /** one change at a time per room: each reads the modes the previous one saved */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** the timer that takes the pen back when its time runs out, per room */
  private readonly penTimers = new Map<string, NodeJS.Timeout>();

  constructor(deps: ModesServiceDeps) {
    this.deps = deps;
  }

  async modes(roomId: string): Promise<RoomModes> {
    const cached = this.cache.get(roomId);
    if (cached) return cached;
    const stored = (await this.deps.store.getModes(roomId)) ?? defaultModes;
    const modes = this.cache.get(roomId) ?? complete(stored);
    this.cache.set(roomId, modes);
    return modes;
  }

  /**
   * Each loaded room: its code frames pass the write rule (CLASS-11), its modes are published when it ever
   * set one (a room that never did shows the defaults without writing anything), and a pen still running
   * gets its timer back after a restart.
   */
  attach(room: Room): void {
    room.code.writeGate = this;
    // PERF-31: a review doc that opens after the stored modes were read gets them as it opens.
    room.whenReview(this.publishCached);
    this.deps.store.getModes(room.id).then(
      (stored) => {
        if (!stored) return;
        const modes = complete(stored);
        this.cache.set(room.id, modes);
        this.publish(room.id, modes);
        this.armPen(room.id, modes);
      },
      (err: unknown) => this.deps.log.error({ err, room: room.id }, 'reading the room modes failed'),
    );
  }

  /** WriteGate: whether `user` may write room `roomId`'s code now (CLASS-11). */
  mayWrite(roomId: string, user: PublicUser): boolean {
    return canWriteNow(user, this.cache.get(roomId) ?? defaultModes, this.deps.now());
  }

  private readonly publishCached = (room: Room): void => {
    const modes = this.cache.get(room.id);
    if (modes) this.publish(room.id, modes);
  };

  /** The room unloaded: its modes are read from the store again next time. */
  detach(roomId: string): void {
    if (!this.penTimers.has(roomId)) this.cache.delete(roomId);
  }

  /** REST writes to code (accept, revert, restore, import) follow the same rule as frames (CLASS-11). */
  async assertMayWrite(user: AuthUser): Promise<void> {
    if (canWriteNow(user, await this.modes(user.roomId), this.deps.now())) return;
    throw new AppError(
      'forbidden',
      'the room is frozen: only the owners and whoever holds the pen change code now',
    );
  }

  setTutor(user: AuthUser, body: TutorRequest): Promise<RoomModes> {
    return this.change(user, (m) => ({ ...m, tutor: { ...m.tutor, ...definedOf(body) } }));
  }

  setLecture(user: AuthUser, body: LectureRequest): Promise<RoomModes> {
    return this.change(user, (m) => {
      const follow = body.follow ?? m.lecture.follow;
      const frozen = body.frozen ?? m.lecture.frozen;
      // Whoever turns follow on leads; with lecture mode over, the pen goes back too.
      const leader = follow ? (body.follow ? { id: user.id, name: user.name } : m.lecture.leader) : null;
      const pen = follow || frozen ? m.lecture.pen : null;
      return { ...m, lecture: { follow, frozen, leader, pen } };
    });
  }

  async givePen(user: AuthUser, body: PenRequest): Promise<RoomModes> {
    requirePermission(user, 'manage', (await this.deps.rooms.getRoom(user.roomId)).policy);
    const member = (await this.deps.rooms.membersOf(user.roomId)).find((m) => m.userId === body.userId);
    if (!member) throw new AppError('not_found', 'nobody with that id is in this room');
    const until = this.deps.now() + body.seconds * 1000;
    return this.change(user, (m) => ({
      ...m,
      // Handing the pen freezes the room: the pen means "only this person writes now".
      lecture: { ...m.lecture, frozen: true, pen: { userId: member.userId, name: member.name, until } },
    }));
  }

  takePen(user: AuthUser): Promise<RoomModes> {
    return this.change(user, (m) => ({ ...m, lecture: { ...m.lecture, pen: null } }));
  }

  /** Stops every pen timer (shutdown). */
  close(): void {
    for (const t of this.penTimers.values()) clearTimeout(t);
    this.penTimers.clear();
  }

  private async change(user: AuthUser, next: (m: RoomModes) => RoomModes): Promise<RoomModes> {
    requirePermission(user, 'manage', (await this.deps.rooms.getRoom(user.roomId)).policy);
    return this.serial(user.roomId, async () => {
      // Loaded (its lease taken) before the write: on several nodes a room's modes are written by its owner,
      // fenced by its number (CLUSTER-50), and read from its cache.
      const { release } = await this.deps.registry.acquire(user.roomId);
      try {
        const modes = next(await this.modes(user.roomId));
        // Durable before visible: a change that cannot be stored is refused and nobody sees it.
        await this.deps.store.setModes(user.roomId, modes, this.deps.now());
        this.cache.set(user.roomId, modes);
        this.publish(user.roomId, modes);
        this.armPen(user.roomId, modes);
        return modes;
      } finally {
        release();
      }
    });
  }

  private serial<T>(roomId: string, task: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(roomId) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => undefined);
    this.chains.set(roomId, settled);
    void settled.then(() => {
      if (this.chains.get(roomId) === settled) this.chains.delete(roomId);
    });
    return run;
  }

  /** Writes the modes into the loaded room's review doc (CLASS-1); a room loaded later does so in attach. */
  private publish(roomId: string, modes: RoomModes): void {
    const room = this.deps.registry.peek(roomId);
    // PERF-31: a review doc not open yet is written as it opens (publishCached).
    if (!room?.reviewIsOpen) return;
    const map = roomMap(room.review.doc);
    const before = map.get(REVIEW_MODES_KEY) as RoomModes | undefined;
    if (JSON.stringify(before) === JSON.stringify(modes)) return;
    room.review.transact(() => map.set(REVIEW_MODES_KEY, modes), {
      source: 'server',
      reason: 'modes changed',
    });
    // CLASS-13: whoever may write now sends what a freeze refused them (nothing typed is lost).
    if (JSON.stringify(before?.lecture) !== JSON.stringify(modes.lecture)) room.code.requestSync();
  }

  /** CLASS-12: when the pen's time runs out it goes back, saved and shown like any change. */
  private armPen(roomId: string, modes: RoomModes): void {
    const old = this.penTimers.get(roomId);
    if (old) clearTimeout(old);
    this.penTimers.delete(roomId);
    const pen = modes.lecture.pen;
    if (!pen) return;
    const timer = setTimeout(
      () => {
        this.penTimers.delete(roomId);
        const server: AuthUser = { ...SERVER, roomId, expiresAt: Number.MAX_SAFE_INTEGER };
        this.serial(roomId, async () => {
          // As change(): written by the room's owner (on several nodes, another node may hold it now).
          const { release } = await this.deps.registry.acquire(roomId);
          try {
            const current = await this.modes(roomId);
            if (current.lecture.pen?.until !== pen.until) return;
            const back = { ...current, lecture: { ...current.lecture, pen: null } };
            await this.deps.store.setModes(roomId, back, this.deps.now());
            this.cache.set(roomId, back);
            this.publish(roomId, back);
          } finally {
            release();
          }
        }).catch((err: unknown) =>
          this.deps.log.error({ err, room: server.roomId }, 'taking the pen back failed'),
        );
      },
      Math.max(0, pen.until - this.deps.now()),
    );
    timer.unref();
    this.penTimers.set(roomId, timer);
  }
}

const SERVER: PublicUser = { id: '@server', name: 'pen timer', role: 'owner' };

/** Modes stored by an older server may lack a field: it reads as its default. */
function complete(m: Partial<RoomModes>): RoomModes {
  return {
    tutor: { ...defaultModes.tutor, ...m.tutor },
    lecture: { ...defaultModes.lecture, ...m.lecture },
  };
}

function definedOf<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
