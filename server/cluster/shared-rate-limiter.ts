import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KeyedRateLimiter, type RateLimit, type RateRule } from '../auth/rate-limiter.ts';
import type { Logger } from '../log.ts';

/**
 * One sliding window per key in a Redis sorted set (score = the event's time): drop what left the window,
 * count, add when under the limit (the set never holds more than `limit` members, and expires with the
 * window), else answer the wait until the oldest counted event leaves. One round trip, atomic in Redis.
 */
const TAKE = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
local n = redis.call('zcard', KEYS[1])
if n < limit then
  redis.call('zadd', KEYS[1], now, ARGV[4])
  redis.call('pexpire', KEYS[1], window)
  return 0
end
if limit == 0 then return window end
local oldest = redis.call('zrange', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

/**
 * A per-key allowance all nodes share (SAFE-127): the per-address limits on creating rooms and joining
 * would otherwise be per process, and a client spreading its requests over N nodes (no sticky balancing)
 * would get N times its allowance. While Redis cannot be reached it falls back to this process's own
 * window, so an outage degrades the limit to per node rather than refusing everyone.
 */
export class SharedRateLimiter implements RateLimit {
  readonly rule: RateRule;
  readonly #redis: Redis;
  readonly #key: string;
  readonly #local: KeyedRateLimiter;
  readonly #log: Logger;

  constructor(options: { redis: Redis; prefix: string; name: string; rule: RateRule; log: Logger }) {
    this.rule = options.rule;
    this.#redis = options.redis;
    this.#key = `${options.prefix}rate:${options.name}:`;
    this.#local = new KeyedRateLimiter(options.rule);
    this.#log = options.log;
  }

  async take(key: string, now: number): Promise<number> {
    try {
      const wait = await this.#redis.eval(
        TAKE,
        1,
        this.#key + key,
        String(now),
        String(this.rule.windowMs),
        String(this.rule.limit),
        `${now}:${randomBytes(6).toString('base64url')}`,
      );
      return Number(wait);
    } catch (err) {
      this.#log.warn({ err }, 'shared rate limit unreachable: counting on this node only');
      return this.#local.take(key, now);
    }
  }
}
