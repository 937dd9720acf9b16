import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAgentStore } from '../../server/agent/memory-agent-store.ts';
import { createSqliteStores, type SqliteStores } from '../../server/persistence/sqlite-stores.ts';
import { type AgentStoreHarness, agentStoreContract } from './agent-store.contract.ts';

/** A real database file in a fresh temp directory; reopen closes it and opens a new connection on it. */
function sqliteHarness(): AgentStoreHarness {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-agent-'));
  const file = join(dir, 'sparkroom.db');
  let stores = createSqliteStores(file);
  return {
    store: stores.agentStore,
    async reopen() {
      stores.close();
      stores = createSqliteStores(file);
      return stores.agentStore;
    },
    async close() {
      stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

agentStoreContract('memory', async () => {
  // The memory store lives as long as the object, so a "restart" hands back the same instance.
  const store = new MemoryAgentStore();
  return { store, reopen: async () => store, close: async () => {} };
});
agentStoreContract('sqlite', async () => sqliteHarness());

describe('SqliteAgentStore beyond the contract', () => {
  let stores: SqliteStores | null = null;
  let dir: string | null = null;
  afterEach(() => {
    stores?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    stores = null;
    dir = null;
  });

  const open = () => {
    dir = mkdtempSync(join(tmpdir(), 'sparkroom-agent-'));
    stores = createSqliteStores(join(dir, 'sparkroom.db'));
    return stores;
  };

  it('writes an accept’s attribution all or nothing: a failing row rolls back the rows before it', async () => {
    const { agentStore, database } = open();
    // A disk that fails on the third row, as a full disk or an I/O error would mid-batch.
    database.sqlite.exec(
      `CREATE TEMP TRIGGER fail_clock_20 BEFORE INSERT ON attribution WHEN NEW.clock = 20
       BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END`,
    );
    const row = (clock: number) => ({
      docName: 'd',
      client: 1,
      clock,
      length: 10,
      suggestionId: 's1',
      runId: 'run1',
      requestedBy: 'u-ada',
      acceptedBy: 'u-bob',
      at: 1,
    });
    await expect(agentStore.addAttribution([row(0), row(10), row(20)])).rejects.toThrow(
      /simulated disk failure/,
    );
    expect(await agentStore.listAttribution('d')).toEqual([]);
    database.sqlite.exec('DROP TRIGGER fail_clock_20');
    await agentStore.addAttribution([row(0), row(10), row(20)]);
    expect((await agentStore.listAttribution('d')).map((r) => r.clock)).toEqual([0, 10, 20]);
  });

  it('serves the hot lookups from indexes, not table scans', () => {
    const { database } = open();
    const plan = (sql: string) =>
      (database.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
    // Startup after a crash, and the per-run lists that a page load reads.
    expect(plan("SELECT * FROM runs WHERE status IN ('queued', 'streaming')")).toMatch(
      /USING INDEX runs_status/,
    );
    expect(plan("SELECT * FROM suggestions WHERE room_id = 'r' AND run_id = 'x' ORDER BY seq")).toMatch(
      /USING INDEX suggestions_run/,
    );
    expect(plan("SELECT * FROM suggestions WHERE room_id = 'r' AND run_id = 'x' ORDER BY seq")).not.toMatch(
      /TEMP B-TREE/,
    );
    expect(plan("SELECT * FROM run_events WHERE room_id = 'r' AND run_id = 'x' ORDER BY seq")).toMatch(
      /USING INDEX run_events_run/,
    );
    expect(plan("SELECT * FROM attribution WHERE doc_name = 'd' ORDER BY client, clock")).not.toMatch(
      /TEMP B-TREE|SCAN/,
    );
  });
});
