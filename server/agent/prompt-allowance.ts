import { KeyedRateLimiter } from '../auth/rate-limiter.ts';
import { AppError } from '../errors.ts';

export interface PromptAllowanceOptions {
  /** prompts one person may send per minute (SPARKROOM_PROMPTS_PER_MINUTE) */
  perPersonPerMinute: number;
  /** prompts one room may send per minute, all its people together (SPARKROOM_ROOM_PROMPTS_PER_MINUTE) */
  perRoomPerMinute: number;
}

const MINUTE_MS = 60_000;

/**
 * SAFE-16, SAFE-41: who may prompt Spark how often. A prompt counts against its person and against its
 * room, and is refused (429 with the wait) when either allowance is used up. Re-joining with an invite
 * mints a new person with a fresh allowance, but not a fresh room allowance, so what a room costs in
 * model calls stays bounded however many identities one client makes (joins are limited per address too).
 */
export class PromptAllowance {
  private readonly person: KeyedRateLimiter;
  private readonly room: KeyedRateLimiter;

  constructor(opts: PromptAllowanceOptions) {
    this.person = new KeyedRateLimiter({ limit: opts.perPersonPerMinute, windowMs: MINUTE_MS });
    this.room = new KeyedRateLimiter({ limit: opts.perRoomPerMinute, windowMs: MINUTE_MS });
  }

  /** Counts one prompt of `userId` in `roomId` at `now`, or throws rate_limited without counting it. */
  take(userId: string, roomId: string, now: number): void {
    // Person ids are unique across rooms (random), but keyed with the room so the two never mix.
    const personKey = `${roomId}/${userId}`;
    const personWait = this.person.waitMs(personKey, now);
    if (personWait > 0) {
      throw refusal(`prompt limit reached (${this.person.rule.limit}/min)`, personWait);
    }
    const roomWait = this.room.waitMs(roomId, now);
    if (roomWait > 0) {
      throw refusal(
        `this room's prompt limit reached (${this.room.rule.limit}/min for everyone in it)`,
        roomWait,
      );
    }
    this.person.record(personKey, now);
    this.room.record(roomId, now);
  }
}

function refusal(what: string, waitMs: number): AppError {
  const seconds = Math.ceil(waitMs / 1000);
  return new AppError('rate_limited', `${what}: try again in ${seconds}s`, { retryAfterSeconds: seconds });
}
