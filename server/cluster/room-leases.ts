import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** What the leases need of the database: raise a room's stored fencing number to `fence`, or say it is higher. */
export type ClaimFence = (
  roomId: string,
  fence: number,
) => Promise<{ ok: true } | { ok: false; stored: number }>;

export interface RoomLeasesOptions {
  redis: Redis;
  /** this node's id: the value of every lease it holds */
  nodeId: string;
  /** key prefix of every key (several deployments, or tests, on one Redis) */
  prefix: string;
  /** how long a lease lives without renewal; renewed every third of it */
  leaseMs: number;
  /**
   * how long before the lease could expire in Redis this node stops writing (clock drift, a slow event loop);
   * default a tenth of the lease, at least 100 ms (CLUSTER-8, CLUSTER-52)
   */
  marginMs?: number;
  claimFence: ClaimFence;
  log: Logger;
  now?: () => number;
  /** called once when a held lease is lost (taken, or not renewed in time): the room must stop at once */
  onLost: (roomId: string, reason: string) => void;
}

interface Held {
  fence: number;
  /** this node may write until then: the lease cannot have expired in Redis before it (CLUSTER-8) */
  validUntil: number;
  /** fires at validUntil and gives the room up unless a renewal confirmed in time moved it (CLUSTER-52) */
  deadline: NodeJS.Timeout | null;
}

// Compare-and-act scripts: only the holder may renew or release its lease.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Room ownership through Redis (CLUSTER-6..8): a lease is `SET lease:<room> <node> NX PX <leaseMs>`, renewed
 * while the room is loaded; each acquisition takes a fencing number (`INCR fence:<room>`) that is written to
 * PostgreSQL before the room loads and checked by every append (CLUSTER-9).
 *
 * The clock rule: a lease counts as held only until the moment its last successful SET or renew was *sent*,
 * plus the lease time, minus a margin for clock drift. When Redis cannot be reached, renewals fail, that
 * moment passes, and this node stops writing before Redis could have let anyone else take the room. A Redis
 * that hangs (accepts the connection, never answers) fails nothing by itself: so each held lease has a timer
 * at that moment which gives the room up (CLUSTER-52), whatever the renewals are still waiting for, and every
 * Redis command has a timeout (cluster.ts) so nothing else waits forever either.
 */
export class RoomLeases {
  readonly #o: RoomLeasesOptions;
  readonly #held = new Map<string, Held>();
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: RoomLeasesOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => void this.#renewAll(), Math.max(50, Math.floor(options.leaseMs / 3)));
    this.#timer.unref();
  }

  get nodeId(): string {
    return this.#o.nodeId;
  }

  /** The rooms this node holds now. */
  get rooms(): string[] {
    return [...this.#held.keys()];
  }

  /** The fencing number of a room this node may write now; throws `fenced` once the lease is not sure. */
  fenceOf(roomId: string): number | null {
    const held = this.#held.get(roomId);
    if (!held) return null;
    if (this.#now() >= held.validUntil) {
      throw new AppError('fenced', `this node's lease on room ${roomId} ran out: another node may own it`);
    }
    return held.fence;
  }

  isHeld(roomId: string): boolean {
    return this.#held.has(roomId);
  }

  /** The node that holds the room's lease, or null. */
  async ownerOf(roomId: string): Promise<string | null> {
    return this.#o.redis.get(this.#key('lease', roomId));
  }

  /**
   * Takes the room if nobody holds it: answers the fencing number, or the node that holds it. The number is
   * written to PostgreSQL before this resolves, so once a new owner starts, an old one's appends fail.
   */
  async acquire(roomId: string): Promise<{ fence: number } | { owner: string }> {
    if (this.#closed) throw new AppError('server_busy', 'this node is shutting down');
    const mine = this.#held.get(roomId);
    if (mine) return { fence: mine.fence };
    const redis = this.#o.redis;
    const sentAt = this.#now();
    const set = await redis.set(this.#key('lease', roomId), this.#o.nodeId, 'PX', this.#o.leaseMs, 'NX');
    if (set !== 'OK') {
      const owner = await redis.get(this.#key('lease', roomId));
      if (owner === this.#o.nodeId) {
        // Ours from an earlier acquisition that this process forgot (a release that failed): give it back.
        await redis.eval(RELEASE, 1, this.#key('lease', roomId), this.#o.nodeId);
        return this.acquire(roomId);
      }
      if (owner !== null) return { owner };
      return this.acquire(roomId);
    }
    try {
      let fence = await redis.incr(this.#key('fence', roomId));
      // Redis keeps nothing on disk: after its restart the counter starts again, below numbers PostgreSQL
      // already holds. Jump past the stored one (we hold the lease, so nobody else is counting now).
      for (let attempt = 0; ; attempt++) {
        const claimed = await this.#o.claimFence(roomId, fence);
        if (claimed.ok) break;
        if (attempt > 3) throw new Error(`cannot claim a fencing number above ${claimed.stored}`);
        fence = await redis.incrby(this.#key('fence', roomId), claimed.stored - fence + 1);
      }
      const held: Held = { fence, validUntil: sentAt + this.#safeMs(), deadline: null };
      // Redis or PostgreSQL took so long that the lease may already be running out: never start a room on it.
      if (this.#now() >= held.validUntil) {
        throw new AppError('fenced', `taking room ${roomId} took longer than its lease is sure: try again`);
      }
      this.#held.set(roomId, held);
      this.#arm(roomId, held);
      return { fence };
    } catch (err) {
      await redis.eval(RELEASE, 1, this.#key('lease', roomId), this.#o.nodeId).catch(() => {});
      throw err;
    }
  }

  /** Gives the room up (it unloaded): the next node to need it takes it at once, not after the expiry. */
  async release(roomId: string): Promise<void> {
    const held = this.#held.get(roomId);
    if (!held) return;
    this.#disarm(held);
    this.#held.delete(roomId);
    try {
      await this.#o.redis.eval(RELEASE, 1, this.#key('lease', roomId), this.#o.nodeId);
    } catch (err) {
      // The lease expires by itself; until then the room waits for it.
      this.#o.log.warn({ err, room: roomId }, 'could not release a room lease');
    }
  }

  /** Stops renewing and releases every lease (shutdown, after the rooms flushed). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.all(this.rooms.map((r) => this.release(r)));
  }

  /**
   * One round: every held lease renewed at once (one slow or hung answer does not hold up the others'). A
   * renewal moves a lease's deadline only when it was confirmed, to the time it was sent plus the safe time.
   */
  async #renewAll(): Promise<void> {
    await Promise.all(
      [...this.#held].map(async ([roomId, held]) => {
        const sentAt = this.#now();
        try {
          const ok = await this.#o.redis.eval(
            RENEW,
            1,
            this.#key('lease', roomId),
            this.#o.nodeId,
            String(this.#o.leaseMs),
          );
          if (this.#held.get(roomId) !== held) return;
          if (ok !== 1) {
            this.#lose(roomId, 'another node took the room');
            return;
          }
          held.validUntil = Math.max(held.validUntil, sentAt + this.#safeMs());
          this.#arm(roomId, held);
        } catch (err) {
          // The deadline timer gives the room up if no renewal is confirmed in time.
          this.#o.log.warn({ err, room: roomId }, 'could not renew a room lease');
        }
      }),
    );
  }

  /** (Re)sets the lease's deadline timer to its validUntil. */
  #arm(roomId: string, held: Held): void {
    this.#disarm(held);
    const fire = () => {
      held.deadline = null;
      if (this.#held.get(roomId) !== held) return;
      // A timer may fire a little early by this clock: wait the rest rather than give up a valid lease.
      const left = held.validUntil - this.#now();
      if (left > 0) {
        held.deadline = setTimeout(fire, left);
        held.deadline.unref();
        return;
      }
      this.#lose(roomId, 'the room lease could not be renewed in time (Redis unreachable or not answering)');
    };
    held.deadline = setTimeout(fire, Math.max(0, held.validUntil - this.#now()));
    held.deadline.unref();
  }

  #disarm(held: Held): void {
    if (held.deadline) clearTimeout(held.deadline);
    held.deadline = null;
  }

  /**
   * PostgreSQL refused a write made with `fence` because a newer owner's number is stored: whatever this
   * node's clock says, the room is someone else's. Stops it now (onLost) rather than at the next renewal.
   * A refusal of a number below the one held now is about an earlier hold of the room, answered after this
   * node took it back (several writes of the lost room were in flight): the lease held now stays.
   */
  forfeit(roomId: string, fence: number, reason: string): void {
    const held = this.#held.get(roomId);
    if (!held || held.fence > fence) return;
    this.#lose(roomId, reason);
  }

  #lose(roomId: string, reason: string): void {
    const held = this.#held.get(roomId);
    if (!held) return;
    this.#disarm(held);
    this.#held.delete(roomId);
    this.#o.log.warn({ room: roomId, reason }, 'room lease lost');
    this.#o.onLost(roomId, reason);
  }

  /** The lease time less a margin for clock drift between this process and Redis. */
  #safeMs(): number {
    return this.#o.leaseMs - leaseMarginMs(this.#o.leaseMs, this.#o.marginMs);
  }

  #key(kind: 'lease' | 'fence', roomId: string): string {
    return `${this.#o.prefix}${kind}:${roomId}`;
  }
}

/** The safety margin of CLUSTER-8: the one configured, else a tenth of the lease and at least 100 ms. */
export function leaseMarginMs(leaseMs: number, configured?: number | null): number {
  return configured ?? Math.max(100, Math.floor(leaseMs / 10));
}
