import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../server/errors.ts';
import { openPgDatabase } from '../../server/persistence/pg-database.ts';
import { PgDocStore } from '../../server/persistence/pg-doc-store.ts';
import { type PrivateServer, startPrivatePostgres } from '../helpers/private-servers.ts';

describe('PostgreSQL going away under a node (SAFE-106)', { timeout: 120_000 }, () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('SAFE-106: a connection checked out when PostgreSQL stops does not crash the process; appends fail 4507, then work again after its restart', async () => {
    const postgres: PrivateServer = await startPrivatePostgres();
    cleanup.push(() => postgres.close());
    const database = await openPgDatabase(postgres.url);
    cleanup.push(() => database.close());
    const store = new PgDocStore(database);
    await store.append('room', [new Uint8Array([1])]);
    // A client held between two statements, as a transaction holds it: the pool does not listen for its
    // errors. Its server's termination used to be an unhandled 'error' event, which ends a Node process.
    const held = await database.pool.connect();
    await held.query('BEGIN');
    const uncaught: unknown[] = [];
    // Without a listener the throw comes before the client's 'end': whichever comes first settles this.
    const settled = new Promise<void>((resolve) => {
      held.once('end', () => resolve());
      const onUncaught = (err: unknown) => {
        uncaught.push(err);
        resolve();
      };
      process.on('uncaughtException', onUncaught);
      cleanup.push(() => process.off('uncaughtException', onUncaught));
    });
    await postgres.stop('clean');
    await settled;
    expect(uncaught).toEqual([]);
    held.release(true);

    const refused = await store.append('room', [new Uint8Array([2])]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).closeCode).toBe(4507);
    await postgres.start();
    await store.append('room', [new Uint8Array([3])]);
    expect((await store.load('room')).updates).toEqual([new Uint8Array([1]), new Uint8Array([3])]);
  });
});
