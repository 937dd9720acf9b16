import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAgentStore } from '../../server/agent/memory-agent-store.ts';
import { memoryHarness, pgHarness, sqliteHarness, tempSqliteStores } from '../helpers/store-harness.ts';
import { agentStoreContract, event, fullRun } from './agent-store.contract.ts';

agentStoreContract('memory', async () => memoryHarness(new MemoryAgentStore()));
agentStoreContract('sqlite', async () => sqliteHarness('agentStore'));
agentStoreContract('postgres', async () => pgHarness('agentStore'));

describe('SqliteAgentStore beyond the contract', () => {
  const temp = tempSqliteStores();
  afterEach(() => temp.closeAll());

  it('serves the hot lookups from indexes, not table scans', () => {
    const { database } = temp.open();
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

  it('PERF-96: a step is one commit: an event the database refuses leaves the run as it was', async () => {
    const { database, agentStore } = temp.open();
    const run = fullRun('r1', 'run1', { status: 'streaming', endedAt: null });
    await agentStore.saveStep(run, event('r1', 'run1', { kind: 'started' }));
    // Only this connection sees the trigger: the disk refusing the event's row, after the run's was written.
    database.sqlite.exec(
      "CREATE TEMP TRIGGER refuse_event BEFORE INSERT ON run_events BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    const done = { ...run, status: 'completed' as const, endedAt: 1500 };
    await expect(agentStore.saveStep(done, event('r1', 'run1', { kind: 'completed' }))).rejects.toThrow(
      /refused/,
    );
    expect(await agentStore.getRun('r1', 'run1')).toEqual(run);
    expect(await agentStore.listEvents('r1', 'run1')).toHaveLength(1);
  });
});
