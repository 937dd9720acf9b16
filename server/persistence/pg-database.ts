import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';

/** An open PostgreSQL pool with the schema migrated to the latest version (CLUSTER-1). */
export interface PgDatabase {
  /** the pool, for raw statements on hot paths (the doc store's appends) */
  pool: pg.Pool;
  /** the drizzle query builder over the same pool */
  db: NodePgDatabase;
  /** the schema every table lives in (search_path of every connection) */
  schema: string;
  /** true while the last use of the pool reached the server */
  reachable(): boolean;
  /** closes the pool; safe to call twice */
  close(): Promise<void>;
}

export interface PgOptions {
  /** schema of the tables and of the migrations journal; `public` unless set (tests use one each) */
  schema?: string;
  /** connections in the pool */
  max?: number;
  /** how long a connection attempt may take before the operation fails (an unreachable server) */
  connectTimeoutMs?: number;
  /** how long one statement may run before the server cancels it */
  statementTimeoutMs?: number;
}

/** The committed migrations of the pg dialect, found from this file wherever the process starts. */
export const pgMigrationsFolder = fileURLToPath(new URL('../../schema/pg-migrations', import.meta.url));

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Connects to `url` (postgres://...), creates the schema if needed and applies the drizzle migrations under
 * an advisory lock, so several nodes starting at once migrate one after another, not over each other.
 * Fails with an Error naming the server (without its password) when it cannot be reached or migrated.
 */
export async function openPgDatabase(url: string, options: PgOptions = {}): Promise<PgDatabase> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`database schema ${schema} must match ${SCHEMA_NAME}`);
  const where = describe(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // Durable before visible (ROOM-3 on PostgreSQL): a commit returns only once it is flushed, whatever
    // the server's default, because an edit is broadcast as soon as its commit returns.
    options: `-c search_path=${schema} -c synchronous_commit=on -c statement_timeout=${options.statementTimeoutMs ?? 15_000}`,
  });
  let reachable = true;
  // An idle connection the server dropped (restart, network) must not crash the process: the pool replaces
  // it on the next checkout, and until then health says the database is unreachable.
  pool.on('error', () => {
    reachable = false;
  });
  pool.on('connect', (client) => {
    reachable = true;
    // The pool listens for errors only on idle clients: one checked out (a transaction between two
    // statements) whose server goes away emits 'error' with no listener, which killed the whole node when
    // PostgreSQL restarted (CLUSTER-22). The statement in flight fails on its own and the caller releases
    // the dead client, so here it is only noted.
    client.on('error', () => {
      reachable = false;
    });
  });
  const db = drizzle({ client: pool });
  try {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`sparkroom-migrate:${schema}`]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await migrateInto(drizzle({ client }), schema);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`sparkroom-migrate:${schema}`]);
      }
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`cannot open PostgreSQL database ${where}: ${(err as Error).message}`, { cause: err });
  }
  let closed: Promise<void> | null = null;
  return {
    pool,
    db,
    schema,
    reachable: () => reachable,
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}

/**
 * drizzle's pg migrator, with one change: drizzle-kit writes foreign keys as `"public"."rooms"`, so for any
 * other schema (a deployment sharing a database, each test) the statements are pointed at that schema. The
 * journal's hashes are of the committed files, so a database migrated in either schema stays recognised.
 */
async function migrateInto(db: NodePgDatabase, schema: string): Promise<void> {
  const config = {
    migrationsFolder: pgMigrationsFolder,
    migrationsSchema: schema,
    migrationsTable: '__drizzle_migrations',
  };
  const migrations = readMigrationFiles(config).map((m) => ({
    ...m,
    sql:
      schema === 'public'
        ? m.sql
        : m.sql.map((statement) => statement.replaceAll('"public".', `"${schema}".`)),
  }));
  // The same call as drizzle-orm/node-postgres/migrator's migrate(), after the rewrite above.
  const internal = db as unknown as {
    dialect: { migrate(m: typeof migrations, session: unknown, c: typeof config): Promise<void> };
    session: unknown;
  };
  await internal.dialect.migrate(migrations, internal.session, config);
}

/** host:port/database of a connection URL, never its password, for messages and logs. */
export function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(an invalid postgres:// URL)';
  }
}
