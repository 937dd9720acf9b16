import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../schema/protocol.ts';
import { MAX_RUN_UNANCHORED } from '../../server/agent/run-edits.ts';
import { type AgentRoom, runOf, startAgentRoom } from '../helpers/agent-room.ts';
import { until } from '../helpers/wait.ts';

/*
 * What a run writes to the store as it streams stays proportional to the stream (PERF-95): the run row and
 * its audit trail are written per step of the run, and a step must not happen once per line of the reply.
 */
describe('run writes (PERF-95)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  it('PERF-95: a reply of 2,000 unprefixed lines lists and records 51 problems, not 2,000', async ({
    annotate,
  }) => {
    room = await startAgentRoom();
    // A model that forgot the `+` of its patch lines: each one is an "unexpected line" of the patch.
    const lines = Array.from({ length: 2000 }, (_, i) => `const x${i} = ${i};\n`).join('');
    const reply = `Fixing it.\n*** Begin Patch\n*** Update File: src/math.ts\n@@\n${lines}*** End Patch\n`;
    room.fake.enqueue({ text: reply, tokensPerSecond: 20_000 });
    const review = room.client(room.people[0]!.token, { review: true });
    const cpu0 = process.cpuUsage();
    const runId = await room.prompt(room.people[1]!.token, 'go');
    const run = await until(
      () => {
        const r = runOf(review, runId);
        return r && ['completed', 'failed'].includes(r.status) ? (r as RunView) : undefined;
      },
      (cb) => {
        review.doc.on('update', cb);
        return () => review.doc.off('update', cb);
      },
      60_000,
      `run ${runId} to end`,
    );
    const cpu = process.cpuUsage(cpu0);
    expect(run.status).toBe('completed');
    expect(run.unanchored).toHaveLength(MAX_RUN_UNANCHORED + 1);
    expect(run.unanchored[0]!.reason).toMatch(/unexpected line in src\/math\.ts: const x0 = 0;/);
    expect(run.unanchored.at(-1)).toEqual({
      file: '(edit)',
      reason: `more than ${MAX_RUN_UNANCHORED} edits could not be used: the rest are not listed`,
    });
    // The store holds what the review doc shows, and one audit row per listed problem.
    const db = new Database(join(room.server.dataDir, 'sparkroom.db'), { readonly: true });
    try {
      const stored = db.prepare('SELECT unanchored_json FROM runs WHERE id = ?').get(runId) as {
        unanchored_json: string;
      };
      expect(JSON.parse(stored.unanchored_json)).toEqual(run.unanchored);
      const events = db
        .prepare("SELECT count(*) AS n FROM run_events WHERE run_id = ? AND kind = 'unanchored'")
        .get(runId) as { n: number };
      expect(events.n).toBe(MAX_RUN_UNANCHORED + 1);
    } finally {
      db.close();
    }
    await annotate(
      `2,000 unprefixed lines through the server: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of process CPU`,
    );
  });
});
