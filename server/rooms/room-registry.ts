import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Room } from './room.ts';
import { Semaphore } from './semaphore.ts';

export interface RoomRegistryDeps {
  /** loads a room from storage; the registry passes the callbacks the room needs to report back */
  loadRoom: (roomId: string, hooks: RoomHooks) => Promise<Room>;
  maxConcurrentLoads: number;
  log: Logger;
}

export interface RoomHooks {
  onBroken: (room: Room) => void;
  onMaybeIdle: (room: Room) => void;
}

/**
 * The loaded rooms. A room loads once however many joins arrive together (they share one promise), at
 * most `maxConcurrentLoads` load at a time, and a room unloads as soon as it is idle (ROOM-4).
 */
export class RoomRegistry {
  private readonly deps: RoomRegistryDeps;
  private readonly loaded = new Map<string, Room>();
  private readonly loading = new Map<string, Promise<Room>>();
  private readonly loads: Semaphore;
  private readonly loadListeners = new Set<(room: Room) => void>();
  private readonly unloadListeners = new Set<(roomId: string) => void>();
  private readonly idleUnloadListeners = new Set<(room: Room) => void>();
  private closing = false;
  /**
   * What every room reports back through: one object for the registry, not two closures per load (each kept
   * with its load's scope by the room for as long as it stays loaded, PERF-86).
   */
  private readonly hooks: RoomHooks = {
    onBroken: (room) => this.forget(room),
    onMaybeIdle: (room) => this.maybeUnload(room),
  };

  constructor(deps: RoomRegistryDeps) {
    this.deps = deps;
    this.loads = new Semaphore(deps.maxConcurrentLoads);
  }

  get size(): number {
    return this.loaded.size;
  }

  /**
   * Calls `listener` with every room as it finishes loading, before anyone is handed the room (recovery of
   * crashed runs, staleness checks and history tracking start here). Returns the unsubscribe function.
   */
  onLoad(listener: (room: Room) => void): () => void {
    this.loadListeners.add(listener);
    return () => this.loadListeners.delete(listener);
  }

  /**
   * Calls `listener` with a room's id once it is out of memory with nothing left to write (unloaded when
   * idle, evicted, or broken): what this process held for it may be given up. Returns the unsubscribe.
   */
  onUnload(listener: (roomId: string) => void): () => void {
    this.unloadListeners.add(listener);
    return () => this.unloadListeners.delete(listener);
  }

  /**
   * Calls `listener` with a room that unloads because it is idle, before it is destroyed: what its documents
   * hold now is what storage holds (PERF-196). Not for a room evicted or broken.
   */
  onIdleUnload(listener: (room: Room) => void): () => void {
    this.idleUnloadListeners.add(listener);
    return () => this.idleUnloadListeners.delete(listener);
  }

  private unloaded(roomId: string): void {
    // CLUSTER-53: an eviction waits for the room's writes before it says so; if the room was loaded again
    // meanwhile (a lost lease taken back), what the listeners give up (the lease, cached modes) is the new
    // room's now, and must stay.
    if (this.loaded.has(roomId) || this.loading.has(roomId)) return;
    for (const listener of this.unloadListeners) {
      try {
        listener(roomId);
      } catch (err) {
        this.deps.log.error({ err, room: roomId }, 'unload listener failed');
      }
    }
  }

  /** The room if it is loaded now (no load is started). */
  peek(roomId: string): Room | undefined {
    return this.loaded.get(roomId);
  }

  /**
   * Loads (or finds) a room and takes a lease on it, so it cannot unload before the caller attaches a
   * socket or starts work. The caller must call the returned release once done.
   */
  async acquire(roomId: string): Promise<{ room: Room; release: () => void }> {
    if (this.closing) throw new AppError('server_busy', 'the server is shutting down');
    const room = await this.load(roomId);
    return { room, release: room.hold() };
  }

  private load(roomId: string): Promise<Room> {
    const ready = this.loaded.get(roomId);
    if (ready) return Promise.resolve(ready);
    const inFlight = this.loading.get(roomId);
    if (inFlight) return inFlight;
    const promise = this.loads
      .run(() => this.deps.loadRoom(roomId, this.hooks))
      .then(
        (room) => {
          this.loading.delete(roomId);
          for (const listener of this.loadListeners) listener(room);
          this.loaded.set(roomId, room);
          return room;
        },
        (err: unknown) => {
          this.loading.delete(roomId);
          // A room deleted while it was asked for is not a storage failure: say so (410, close 4410).
          if (err instanceof AppError && err.code === 'room_deleted') throw err;
          // Another node owns the room (CLUSTER-12): a transient answer, the client retries.
          if (err instanceof AppError && err.code === 'fenced') throw err;
          this.unloaded(roomId);
          // SAFE-37: stored bytes that fail their checksum or cannot be decoded are not a passing failure;
          // the room is refused (clients get a do-not-retry close) until an operator restores it.
          if (err instanceof AppError && err.code === 'room_corrupt') {
            this.deps.log.error(
              { err, room: roomId },
              `room ${roomId} is corrupt and is refused: ${err.message}`,
            );
            throw err;
          }
          this.deps.log.error({ err, room: roomId }, 'room load failed');
          // Nothing was written: a failed load never replaces what is stored.
          throw new AppError('storage_failed', `room ${roomId} could not be loaded`, { cause: err });
        },
      );
    this.loading.set(roomId, promise);
    return promise;
  }

  private maybeUnload(room: Room): void {
    // Checked on the next turn: a lease released inside a message handler may be re-taken at once.
    setImmediate(() => {
      if (this.loaded.get(room.id) !== room || !room.idle) return;
      // PERF-152: a compaction started now tells the room it may be idle again when it is written
      if (room.compactBeforeUnload()) return;
      this.loaded.delete(room.id);
      for (const listener of this.idleUnloadListeners) {
        try {
          listener(room);
        } catch (err) {
          this.deps.log.error({ err, room: room.id }, 'idle unload listener failed');
        }
      }
      room.destroy();
      this.deps.log.debug({ room: room.id }, 'room unloaded');
      this.unloaded(room.id);
    });
  }

  private forget(room: Room): void {
    if (this.loaded.get(room.id) === room) this.loaded.delete(room.id);
    room.destroy();
    this.unloaded(room.id);
  }

  /**
   * Takes a room out of memory now (it was deleted): waits for a load in flight, closes its sockets with
   * `code`, waits until everything applied is durable, and destroys it. A later acquire loads it anew, so
   * the caller must first make loading it fail (the deleted room's tombstone does).
   */
  async evict(roomId: string, code: number, reason: string): Promise<void> {
    await this.loading.get(roomId)?.catch(() => undefined);
    const room = this.loaded.get(roomId);
    if (!room) return;
    this.loaded.delete(roomId);
    room.closeAll(code, reason);
    await room.whenFlushed();
    room.destroy();
    this.unloaded(roomId);
  }

  /** Shutdown: refuse new work, close every socket with `code`, wait for every pending write. */
  async close(code: number, reason: string): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.loading.values()]);
    const rooms = [...this.loaded.values()];
    // CLUSTER-54: the review doc's last writes (the final frame of each Spark run the shutdown interrupted)
    // are broadcast once durable: let them reach the sockets before they close, so what is stored is what
    // clients saw. Only the review doc: clients never write it, so its flush ends; the code doc's would not
    // while people type (its sender holds an edit committed after the close, and gets it acknowledged later).
    await Promise.all(rooms.map((r) => r.review.whenFlushed()));
    for (const room of rooms) room.closeAll(code, reason);
    await Promise.all(rooms.map((r) => r.whenFlushed()));
    await Promise.all(rooms.map((r) => r.whenCompacted()));
    for (const room of rooms) room.destroy();
    this.loaded.clear();
  }
}
