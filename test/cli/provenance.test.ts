import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentTraceRecord } from '../../schema/agent-trace.ts';
import { apiPaths, type Role, type SuggestionView } from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  PATCH_REPLY,
  startAgentRoom,
  suggestionsOf,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { agentTraceProblems } from '../helpers/agent-trace-schema.ts';
import { type CliProcess, runCli, startCli, waitForFile } from '../helpers/cli-process.ts';
import { git, writeTree } from '../helpers/project-tree.ts';
import { api } from '../helpers/test-server.ts';
import { whenSynced } from '../helpers/y-client.ts';

const PENDING_REPLY = `Making mul explicit.
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
let dir: string;
let cli: CliProcess;
let acceptedRun: string;
let pendingRun: string;

beforeAll(async () => {
  room = await startAgentRoom();
  dir = mkdtempSync(join(tmpdir(), 'sparkroom-prov-'));
  writeTree(dir, { 'README.md': '# provenance\n' });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'start');
  const invites = await api<{ invites: Record<Role, string> }>(
    room.server.url,
    'GET',
    apiPaths.invites(room.roomId),
    { token: room.people[0]!.token },
  );
  const link = `${room.server.url}/join/${room.roomId}#invite=${invites.body.invites.editor}`;
  cli = startCli(['share', dir, '--join', link, '--name', 'Carol']);
  await cli.waitFor(/Live:/);
}, 60_000);

afterAll(async () => {
  if (cli && cli.child.exitCode === null) await cli.interrupt();
  await room?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('provenance into git (IO-16..IO-18)', { timeout: 120_000 }, () => {
  it('IO-16/SAFE-63: a pending suggestion never touches the disk; an accepted one does', async () => {
    const [owner, bob] = room.people;
    await waitForFile(join(dir, 'src/math.ts'), (t) => t === MATH_SOURCE);
    const review = room.client(bob!.token, { review: true });
    await whenSynced(review);
    room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
    acceptedRun = await room.prompt(bob!.token, 'fix add');
    await waitRunStatus(review, acceptedRun, ['completed']);
    room.fake.enqueue({ text: PENDING_REPLY, tokensPerSecond: 5000 });
    pendingRun = await room.prompt(bob!.token, 'make mul explicit');
    await waitRunStatus(review, pendingRun, ['completed']);
    // A room edit made after both suggestions exist: once it is on disk, any write they caused would be too.
    room.code.edit('marker.txt', (t) => t.insert(0, 'after the suggestions\n'));
    await waitForFile(join(dir, 'marker.txt'), (t) => t === 'after the suggestions\n');
    expect(readFileSync(join(dir, 'src/math.ts'), 'utf8')).toBe(MATH_SOURCE);

    const fix = suggestionsOf(review).find((s) => s.runId === acceptedRun)!;
    expect((await room.post<SuggestionView>(owner!.token, `/suggestions/${fix.id}/accept`)).status).toBe(200);
    await waitForFile(join(dir, 'src/math.ts'), (t) => t === MATH_SOURCE.replace('a - b', 'a + b'));
    expect(readFileSync(join(dir, 'src/math.ts'), 'utf8')).not.toContain('PENDING_FACTOR');
  });

  it('IO-17/IO-18: sparkroom commit writes Co-authored-by and Spark trailers and a valid Agent Trace record', async () => {
    const [owner, bob] = room.people;
    const bobCode = room.client(bob!.token);
    await whenSynced(bobCode);
    bobCode.edit('src/math.ts', (t) => t.insert(t.length, '// reviewed by Bob\n'));
    await waitForFile(join(dir, 'src/math.ts'), (t) => t?.endsWith('// reviewed by Bob\n') ?? false);
    git(dir, 'add', 'src/math.ts');

    const result = await runCli(['commit', '-m', 'Fix add()', dir]);
    expect(result.code, result.stderr).toBe(0);
    const messageLines = git(dir, 'log', '-1', '--format=%B').trim().split('\n');
    expect(messageLines[0]).toBe('Fix add()');
    const trailers = messageLines.filter((l) => /^[A-Za-z-]+: /.test(l));
    // Co-authors by name (editor-1 before owner-0), then Spark.
    expect(trailers).toEqual([
      `Co-authored-by: ${bob!.user.name} <${bob!.user.id}@users.sparkroom.invalid>`,
      `Co-authored-by: ${owner!.user.name} <${owner!.user.id}@users.sparkroom.invalid>`,
      `Spark: gpt-5.3-codex-spark; runs ${acceptedRun}`,
    ]);
    // git itself reads them as trailers.
    const parsed = git(dir, 'log', '-1', '--format=%(trailers:key=Co-authored-by,valueonly)')
      .trim()
      .split('\n');
    expect(parsed).toHaveLength(2);
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort()).toEqual([
      '.agent-trace/traces.jsonl',
      'src/math.ts',
    ]);

    const records = readFileSync(join(dir, '.agent-trace/traces.jsonl'), 'utf8').trim().split('\n');
    const record = JSON.parse(records.at(-1)!) as AgentTraceRecord;
    expect(agentTraceProblems(record)).toEqual([]);
    expect(record.files.map((f) => f.path)).toEqual(['src/math.ts']);
    const math = record.files[0]!;
    const ai = math.conversations.find((c) => c.contributor?.type === 'ai')!;
    expect(ai.contributor?.model_id).toBe('gpt-5.3-codex-spark');
    expect(ai.url).toContain(`/runs/${acceptedRun}`);
    expect(ai.ranges.map((r) => [r.start_line, r.end_line])).toEqual([[2, 2]]);
    const people = math.conversations
      .filter((c) => c.contributor?.type === 'human')
      .map((c) => [c.related?.[0]?.url, c.ranges.map((r) => [r.start_line, r.end_line])]);
    expect(people).toEqual(
      expect.arrayContaining([
        [
          `urn:sparkroom:user:${owner!.user.id}`,
          [
            [1, 1],
            [3, 7],
          ],
        ],
        [`urn:sparkroom:user:${bob!.user.id}`, [[8, 8]]],
      ]),
    );
    expect(JSON.stringify(record)).not.toContain(pendingRun);
  });

  it('IO-17: commit with nothing staged, or outside a shared folder, fails with a clear message', async () => {
    const nothing = await runCli(['commit', '-m', 'empty', dir]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('nothing is staged');
    const elsewhere = mkdtempSync(join(tmpdir(), 'sparkroom-notshared-'));
    const outside = await runCli(['commit', '-m', 'x', elsewhere]);
    rmSync(elsewhere, { recursive: true, force: true });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('not shared with a room');
  });
});
