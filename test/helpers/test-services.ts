import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

// The machine's shared PostgreSQL and Redis (.ci/run starts them). Every test takes its own schema and key
// prefix and removes them afterwards, so tests running side by side never see each other's rows or keys, and
// none of them ever restarts these shared services (restart tests start private servers: private-servers.ts).

/** The shared PostgreSQL server, reached as the postgres user (trust auth on loopback; PGPASSWORD if set). */
export const testPgUrl =
  process.env.SPARKROOM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The shared Redis server. */
export const testRedisUrl = process.env.SPARKROOM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A name nothing else uses: a schema, a key prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(5).toString('hex')}`;
}

/** A fresh, empty schema on the shared server, and its removal (with every table in it). */
export async function createTestSchema(): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = uniqueName('t');
  return {
    url: testPgUrl,
    schema,
    drop: () => dropSchema(schema),
  };
}

/** Drops a test schema; the connection of the drop is its own, so a closed store pool does not matter. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testPgUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A key prefix of its own on the shared Redis, and the removal of every key under it. */
export function createTestRedisPrefix(): { url: string; prefix: string; clean(): Promise<void> } {
  const prefix = `${uniqueName('sparkroom-test')}:`;
  return {
    url: testRedisUrl,
    prefix,
    async clean() {
      const redis = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
