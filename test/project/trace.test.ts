import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentTraceRecord, SparkroomTraceMetadata } from '../../schema/agent-trace.ts';
import { apiPaths, type ImportResponse, type SuggestionView } from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  PATCH_REPLY,
  startAgentRoom,
  suggestionsOf,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { agentTraceProblems } from '../helpers/agent-trace-schema.ts';
import { downloadExport, uploadArchive } from '../helpers/archive-upload.ts';
import { api } from '../helpers/test-server.ts';
import { whenSynced } from '../helpers/y-client.ts';

const MUL_PATCH = `Making mul explicit.
*** Begin Patch
*** Update File: src/math.ts
@@
 export function mul(a: number, b: number): number {
-  return a * b;
+  return a * b * PENDING_FACTOR;
 }
*** End Patch
`;

let room: AgentRoom;
let scratch: string;
let importId: string;
let acceptedRun: string;
let pendingRun: string;

beforeAll(async () => {
  room = await startAgentRoom();
  scratch = mkdtempSync(join(tmpdir(), 'sparkroom-trace-'));
  const [owner, ed1] = room.people;
  const watcher = room.client(ed1!.token, { review: true });
  await whenSynced(watcher);
  // Ada (owner) typed src/math.ts; Bob (ed1) imports a file; Spark fixes add() (accepted by Ada) and
  // proposes a change to mul() that nobody accepts.
  const archive = zipSync({
    'lib/util.ts': new TextEncoder().encode('export const one = 1;\nexport const two = 2;\n'),
  });
  const imported = await uploadArchive<ImportResponse>(room.server.url, room.roomId, ed1!.token, archive);
  expect(imported.status).toBe(200);
  importId = imported.body.importId;
  room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
  acceptedRun = await room.prompt(ed1!.token, 'fix add');
  await waitRunStatus(watcher, acceptedRun, ['completed']);
  const s = suggestionsOf(watcher).find((x) => x.runId === acceptedRun)!;
  expect((await room.post<SuggestionView>(owner!.token, `/suggestions/${s.id}/accept`)).status).toBe(200);
  room.fake.enqueue({ text: MUL_PATCH, tokensPerSecond: 5000 });
  pendingRun = await room.prompt(ed1!.token, 'make mul explicit');
  await waitRunStatus(watcher, pendingRun, ['completed']);
  expect(suggestionsOf(watcher).find((x) => x.runId === pendingRun)?.state).toBe('proposed');
});
afterAll(async () => {
  await room?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('provenance out of the room (IO-11, SAFE-63)', () => {
  it('IO-11: GET /trace is a valid Agent Trace 0.1.0 record naming the run, its model, the people and the import', async () => {
    const [owner, ed1, , viewer] = room.people;
    const res = await api<AgentTraceRecord>(room.server.url, 'GET', apiPaths.trace(room.roomId), {
      token: viewer!.token,
    });
    expect(res.status).toBe(200);
    const trace = res.body;
    expect(agentTraceProblems(trace)).toEqual([]);
    // The validators do catch a bad record (a wrong version, an unknown field).
    expect(agentTraceProblems({ ...trace, version: '0.1' })).not.toEqual([]);
    expect(agentTraceProblems({ ...trace, extra: true })).not.toEqual([]);
    expect(trace.version).toBe('0.1.0');
    expect(trace.tool).toEqual({ name: 'sparkroom', version: expect.any(String) });

    const math = trace.files.find((f) => f.path === 'src/math.ts')!;
    const ai = math.conversations.find((c) => c.contributor?.type === 'ai')!;
    expect(ai.url).toBe(`${room.server.url}/api/rooms/${room.roomId}/runs/${acceptedRun}`);
    expect(ai.contributor?.model_id).toBe('gpt-5.3-codex-spark');
    // Line 2 is the accepted `return a + b;`, hashed as it reads now.
    const lines = MATH_SOURCE.replace('a - b', 'a + b').split('\n');
    const { createHash } = await import('node:crypto');
    expect(ai.ranges).toEqual([
      {
        start_line: 2,
        end_line: 2,
        content_hash: `sha256:${createHash('sha256').update(`${lines[1]}\n`).digest('hex')}`,
      },
    ]);
    const human = math.conversations.find((c) => c.contributor?.type === 'human')!;
    expect(human.related).toEqual([{ type: 'person', url: `urn:sparkroom:user:${owner!.user.id}` }]);
    expect(human.ranges.map((r) => [r.start_line, r.end_line])).toEqual([
      [1, 1],
      [3, 7],
    ]);

    const util = trace.files.find((f) => f.path === 'lib/util.ts')!;
    expect(util.conversations).toHaveLength(1);
    expect(util.conversations[0]!.related).toEqual([
      { type: 'person', url: `urn:sparkroom:user:${ed1!.user.id}` },
      { type: 'import', url: `urn:sparkroom:import:${importId}` },
    ]);
    expect(util.conversations[0]!.ranges).toMatchObject([{ start_line: 1, end_line: 2 }]);

    const meta = trace.metadata?.['dev.sparkroom'] as SparkroomTraceMetadata;
    expect(meta.runs[acceptedRun]).toEqual({
      model: 'gpt-5.3-codex-spark',
      requestedBy: ed1!.user.id,
      acceptedBy: [owner!.user.id],
    });
    expect(meta.runs[pendingRun]).toBeUndefined();
    expect(meta.people[owner!.user.id]).toBe(owner!.user.name);
    expect(meta.imports[importId]).toMatchObject({ by: ed1!.user.id, source: 'zip' });
  });

  it('SAFE-63: exports hold accepted code only, never a pending suggestion', async () => {
    const [, , , viewer] = room.people;
    for (const format of ['zip', 'tar.gz'] as const) {
      const out = await downloadExport(room.server.url, room.roomId, viewer!.token, format);
      expect(out.status).toBe(200);
      const file = join(scratch, `export.${format}`);
      writeFileSync(file, out.bytes);
      const dir = mkdtempSync(join(scratch, 'x-'));
      if (format === 'zip') execFileSync('unzip', ['-q', file, '-d', dir]);
      else execFileSync('tar', ['xzf', file, '-C', dir]);
      const math = readFileSync(join(dir, 'src/math.ts'), 'utf8');
      expect(math).toBe(MATH_SOURCE.replace('a - b', 'a + b'));
      expect(math).not.toContain('PENDING_FACTOR');
    }
  });
});
