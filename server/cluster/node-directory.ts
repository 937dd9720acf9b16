import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';

/**
 * Where each node can be reached by the others (CLUSTER-11): `node:<id>` holds its internal URL with an
 * expiry, refreshed while it runs, so a node killed without a goodbye disappears by itself.
 */
export class NodeDirectory {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #timer: NodeJS.Timeout;
  readonly #log: Logger;
  #self: { id: string; url: string } | null = null;

  constructor(options: { redis: Redis; prefix: string; ttlMs: number; log: Logger }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlMs;
    this.#log = options.log;
    this.#timer = setInterval(() => void this.#refresh(), Math.max(50, Math.floor(this.#ttlMs / 3)));
    this.#timer.unref();
  }

  /** Announces this node (once it listens). */
  async register(id: string, url: string): Promise<void> {
    this.#self = { id, url };
    await this.#refresh();
  }

  async addressOf(nodeId: string): Promise<string | null> {
    return this.#redis.get(`${this.#prefix}node:${nodeId}`);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const self = this.#self;
    this.#self = null;
    if (self) await this.#redis.del(`${this.#prefix}node:${self.id}`).catch(() => 0);
  }

  async #refresh(): Promise<void> {
    const self = this.#self;
    if (!self) return;
    try {
      await this.#redis.set(`${this.#prefix}node:${self.id}`, self.url, 'PX', this.#ttlMs);
    } catch (err) {
      this.#log.warn({ err }, 'could not refresh this node in the directory');
    }
  }
}
