import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { diffArrays } from 'diff';
import {
  AGENT_TRACE_VERSION,
  type AgentTraceRecord,
  SPARKROOM_TRACE_KEY,
  type SparkroomTraceMetadata,
  type TraceConversation,
  type TraceFile,
} from '../../../schema/agent-trace.ts';
import { CliError, exitCodes } from '../cli-error.ts';
import type { Command } from '../dispatcher.ts';
import { requireString } from '../dispatcher.ts';
import { clientFor } from '../session.ts';
import { lines } from '../sync/merge3.ts';
import { ShareStore } from '../sync/share-state.ts';

export const TRACES_FILE = '.agent-trace/traces.jsonl';

export const commitCommand: Command = {
  name: 'commit',
  summary: 'git commit the staged change with its authors: Co-authored-by and Spark trailers, Agent Trace',
  usage: `usage: sparkroom commit -m MESSAGE [DIR]

In a folder shared with \`sparkroom share\`: commits what is staged (git add) with a Co-authored-by trailer
for every other person whose text is in the change, a Spark trailer naming the model and the runs that
proposed accepted text in it, and appends the change's Agent Trace record (0.1.0) to
.agent-trace/traces.jsonl in the same commit.

  -m, --message MESSAGE   the commit message`,
  options: { message: { type: 'string', short: 'm' } },
  async run(args, out) {
    const message = requireString(args, 'message', 'the commit message');
    const dir = resolve(args.positionals[0] ?? '.');
    if (!ShareStore.exists(dir)) {
      throw new CliError(
        `${dir} is not shared with a room (run sparkroom share there first)`,
        exitCodes.usage,
      );
    }
    const state = await new ShareStore(dir).load();
    const top = git(dir, 'rev-parse', '--show-toplevel').trim();
    const under = relative(top, dir).split(sep).join('/');
    const staged = git(top, 'diff', '--cached', '--name-only', '-z', '--diff-filter=AM')
      .split('\0')
      .filter((p) => p.length > 0);
    if (staged.length === 0 && git(top, 'diff', '--cached', '--name-only').trim() === '') {
      throw new CliError('nothing is staged: git add the files to commit first', exitCodes.failed);
    }
    const trace = await clientFor(state.server, state.roomId, state.token).trace();
    const roomFiles = new Map(trace.files.map((f) => [f.path, f]));
    const meta = trace.metadata?.[SPARKROOM_TRACE_KEY] as SparkroomTraceMetadata | undefined;
    const people = new Set<string>();
    const runs = new Set<string>();
    const files: TraceFile[] = [];
    for (const gitPath of staged) {
      const roomPath =
        under === '' ? gitPath : gitPath.startsWith(`${under}/`) ? gitPath.slice(under.length + 1) : null;
      const room = roomPath === null ? undefined : roomFiles.get(roomPath);
      if (!room || roomPath === null) continue;
      const stagedText = git(top, 'show', `:${gitPath}`);
      const working = existsSync(join(dir, roomPath))
        ? readFileSync(join(dir, roomPath), 'utf8')
        : stagedText;
      const added = addedLines(git(top, 'diff', '--cached', '-U0', '--', gitPath));
      const toWorking = alignLines(stagedText, working);
      const byWorkingLine = contributorsByLine(room);
      const convs = new Map<TraceConversation, number[]>();
      const stagedLines = lines(stagedText);
      for (let i = 0; i < stagedLines.length; i++) {
        const w = toWorking.get(i);
        const c = w === undefined ? undefined : byWorkingLine.get(w);
        if (!c) continue;
        const list = convs.get(c.conversation) ?? [];
        list.push(i + 1);
        convs.set(c.conversation, list);
        if (!added.has(i + 1)) continue;
        if (c.userId) people.add(c.userId);
        if (c.runId) runs.add(c.runId);
      }
      const conversations: TraceConversation[] = [];
      for (const [conv, lineNumbers] of convs) {
        conversations.push({ ...conv, ranges: toRanges(lineNumbers, stagedLines) });
      }
      files.push({ path: gitPath, conversations });
    }
    const record: AgentTraceRecord = {
      version: AGENT_TRACE_VERSION,
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      tool: { name: 'sparkroom', version: trace.tool?.version ?? '0.0.0' },
      files,
      ...(trace.metadata ? { metadata: trace.metadata } : {}),
    };
    const tracesPath = join(top, TRACES_FILE);
    mkdirSync(join(top, '.agent-trace'), { recursive: true });
    appendFileSync(tracesPath, `${JSON.stringify(record)}\n`);
    git(top, 'add', '--', TRACES_FILE);

    const trailers: string[] = [];
    // Sorted by name (then id, for namesakes) so the trailers read alphabetically and never reorder between runs.
    const nameOf = (id: string) => meta?.people[id] ?? 'someone';
    const byName = [...people].sort((a, b) => nameOf(a).localeCompare(nameOf(b)) || a.localeCompare(b));
    for (const id of byName) {
      if (id === state.user.id) continue; // the committer is the author already
      trailers.push(`Co-authored-by: ${nameOf(id)} <${id}@users.sparkroom.invalid>`);
    }
    if (runs.size > 0) {
      const models = [...new Set([...runs].map((r) => meta?.runs[r]?.model ?? 'unknown'))].join(', ');
      trailers.push(`Spark: ${models}; runs ${[...runs].sort().join(', ')}`);
    }
    const full =
      trailers.length > 0 ? `${message.trim()}\n\n${trailers.join('\n')}\n` : `${message.trim()}\n`;
    git(top, 'commit', '-q', '-F', '-', { input: full });
    const sha = git(top, 'rev-parse', 'HEAD').trim();
    out.print(`committed ${sha.slice(0, 12)}`);
    for (const t of trailers) out.print(`  ${t}`);
    out.print(`  Agent Trace record ${record.id} in ${TRACES_FILE}`);
    return exitCodes.ok;
  },
};

function git(cwd: string, ...args: (string | { input: string })[]): string {
  const last = args.at(-1);
  const input = typeof last === 'object' ? last.input : undefined;
  const argv = args.filter((a): a is string => typeof a === 'string');
  try {
    return execFileSync('git', argv, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      ...(input ? { input } : {}),
    });
  } catch (err) {
    const e = err as { stderr?: Buffer | string; message: string };
    throw new CliError(`git ${argv[0]} failed: ${String(e.stderr ?? e.message).trim()}`, exitCodes.failed);
  }
}

/** New-side line numbers (1-indexed) a `git diff -U0` adds or changes. */
export function addedLines(diff: string): Set<number> {
  const out = new Set<number>();
  for (const m of diff.matchAll(/^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/gm)) {
    const start = Number(m[1]);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    for (let i = 0; i < count; i++) out.add(start + i);
  }
  return out;
}

/** Staged line index -> working-tree line index, for lines the two have in common. */
function alignLines(staged: string, working: string): Map<number, number> {
  const map = new Map<number, number>();
  if (staged === working) {
    for (let i = 0; i < lines(staged).length; i++) map.set(i, i);
    return map;
  }
  let s = 0;
  let w = 0;
  for (const part of diffArrays(lines(staged), lines(working))) {
    const n = part.value.length;
    if (part.added) w += n;
    else if (part.removed) s += n;
    else {
      for (let i = 0; i < n; i++) map.set(s + i, w + i);
      s += n;
      w += n;
    }
  }
  return map;
}

interface LineOwner {
  conversation: TraceConversation;
  userId?: string;
  runId?: string;
}

/** 0-indexed working line -> who wrote it, from the room's trace for the file. */
function contributorsByLine(file: TraceFile): Map<number, LineOwner> {
  const map = new Map<number, LineOwner>();
  for (const conv of file.conversations) {
    const person = conv.related
      ?.find((r) => r.type === 'person')
      ?.url.split(':')
      .at(-1);
    const runId = conv.url?.split('/runs/')[1];
    const shell: TraceConversation = { ...conv, ranges: [] };
    for (const r of conv.ranges) {
      for (let line = r.start_line; line <= r.end_line; line++) {
        map.set(line - 1, {
          conversation: shell,
          ...(person ? { userId: person } : {}),
          ...(runId ? { runId: decodeURIComponent(runId) } : {}),
        });
      }
    }
  }
  return map;
}

/** Consecutive line numbers as ranges, each hashed over the staged text it covers. */
function toRanges(numbers: number[], stagedLines: string[]) {
  const ranges: { start_line: number; end_line: number; content_hash: string }[] = [];
  let start = numbers[0]!;
  let prev = start;
  const push = (a: number, b: number) =>
    ranges.push({
      start_line: a,
      end_line: b,
      content_hash: `sha256:${createHash('sha256')
        .update(stagedLines.slice(a - 1, b).join(''))
        .digest('hex')}`,
    });
  for (const n of numbers.slice(1)) {
    if (n === prev + 1) {
      prev = n;
      continue;
    }
    push(start, prev);
    start = n;
    prev = n;
  }
  if (numbers.length > 0) push(start, prev);
  return ranges;
}
