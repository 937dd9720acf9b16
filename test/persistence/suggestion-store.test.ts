import { afterEach, describe, expect, it } from 'vitest';
import type { RunEventRecord } from '../../server/agent/agent-store.ts';
import { MemoryAgentStore } from '../../server/agent/memory-agent-store.ts';
import { MemorySuggestionStore } from '../../server/suggestions/memory-suggestion-store.ts';
import { memoryHarness, pgHarness, sqliteHarness, tempSqliteStores } from '../helpers/store-harness.ts';
import { suggestionStoreContract } from './suggestion-store.contract.ts';

suggestionStoreContract('memory', async () => memoryHarness(new MemorySuggestionStore()));
suggestionStoreContract('sqlite', async () => sqliteHarness('suggestionStore'));
suggestionStoreContract('postgres', async () => pgHarness('suggestionStore'));

describe('the audit trail shared with the agent store', () => {
  it('memory: decisions land in the trail the agent store lists, when the two share it', async () => {
    const trail: RunEventRecord[] = [];
    const agentStore = new MemoryAgentStore(trail);
    const suggestionStore = new MemorySuggestionStore(trail);
    await agentStore.recordEvent({
      roomId: 'r1',
      runId: 'run1',
      suggestionId: null,
      kind: 'completed',
      userId: null,
      at: 1,
      detail: null,
    });
    await suggestionStore.recordEvent({
      roomId: 'r1',
      runId: 'run1',
      suggestionId: 's1',
      kind: 'accepted',
      userId: 'u-bob',
      at: 2,
      detail: null,
    });
    expect((await agentStore.listEvents('r1', 'run1')).map((e) => e.kind)).toEqual(['completed', 'accepted']);
  });
});

describe('SqliteSuggestionStore beyond the contract', () => {
  const temp = tempSqliteStores();
  afterEach(() => temp.closeAll());

  it('writes an accept’s attribution all or nothing: a failing row rolls back the rows before it', async () => {
    const { suggestionStore, database } = temp.open();
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
    await expect(suggestionStore.addAttribution([row(0), row(10), row(20)])).rejects.toThrow(
      /simulated disk failure/,
    );
    expect(await suggestionStore.listAttribution('d')).toEqual([]);
    database.sqlite.exec('DROP TRIGGER fail_clock_20');
    await suggestionStore.addAttribution([row(0), row(10), row(20)]);
    expect((await suggestionStore.listAttribution('d')).map((r) => r.clock)).toEqual([0, 10, 20]);
  });

  it('sqlite: writes decisions into the run’s audit trail, beside the agent’s steps', async () => {
    const { agentStore, suggestionStore } = temp.open();
    await agentStore.recordEvent({
      roomId: 'r1',
      runId: 'run1',
      suggestionId: null,
      kind: 'completed',
      userId: null,
      at: 1,
      detail: null,
    });
    await suggestionStore.recordEvent({
      roomId: 'r1',
      runId: 'run1',
      suggestionId: 's1',
      kind: 'accepted',
      userId: 'u-bob',
      at: 2,
      detail: null,
    });
    expect((await agentStore.listEvents('r1', 'run1')).map((e) => e.kind)).toEqual(['completed', 'accepted']);
  });
});
