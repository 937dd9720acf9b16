import { createHash, randomUUID } from 'node:crypto';
import type * as Y from 'yjs';
import {
  AGENT_TRACE_VERSION,
  type AgentTraceRecord,
  importUrn,
  personUrn,
  SPARKROOM_TRACE_KEY,
  type SparkroomTraceMetadata,
  type TraceConversation,
  type TraceFile,
} from '../../schema/agent-trace.ts';
import type { BlameRange } from '../../schema/protocol.ts';
import { blameText, type ImportedBy } from '../suggestions/blame.ts';
import type { AttributionRecord } from '../suggestions/suggestion-store.ts';

const YIELD_EVERY_CHARS = 256 * 1024;

export interface TraceInputs {
  room: { id: string; name: string };
  /** the server's public origin, for run URLs */
  baseUrl: string;
  now: number;
  toolVersion: string;
  files: { path: string; text: Y.Text }[];
  userOf: (client: number) => string | undefined;
  attribution: readonly AttributionRecord[];
  imports: ReadonlyMap<number, ImportedBy & { source: string }>;
  /** run id -> model and requester (from the review doc) */
  runs: ReadonlyMap<string, { model: string; requestedBy: string }>;
  names: ReadonlyMap<string, string>;
}

/**
 * The Agent Trace record of a room's current accepted text (IO-11): blame per file (AGENT-9, IO-7) turned
 * into 1-indexed line ranges, one conversation per Spark run (contributor ai, the model, the run's URL;
 * mixed lines carry a per-range `mixed` contributor), one per person (human) and one per import.
 */
export async function buildTrace(inputs: TraceInputs): Promise<AgentTraceRecord> {
  const meta: SparkroomTraceMetadata = { room: inputs.room, people: {}, runs: {}, imports: {} };
  const person = (id: string) => {
    meta.people[id] ??= inputs.names.get(id) ?? 'someone';
  };
  const files: TraceFile[] = [];
  let sinceYield = 0;
  for (const { path, text } of [...inputs.files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    // Blame walks every character: a big room is done in slices, never one long turn (IO-8).
    if (sinceYield > YIELD_EVERY_CHARS) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (text.doc === null) continue; // deleted while we yielded
    const content = text.toString();
    sinceYield += content.length;
    const ranges = blameText(text, inputs.userOf, inputs.attribution, (client) => inputs.imports.get(client));
    const lines = lineStarts(content);
    const conversations = new Map<string, TraceConversation>();
    for (const r of ranges) {
      if (r.to <= r.from) continue;
      const range = {
        start_line: lineOf(lines, r.from) + 1,
        end_line: lineOf(lines, r.to - 1) + 1,
        content_hash: `sha256:${createHash('sha256').update(content.slice(r.from, r.to)).digest('hex')}`,
      };
      const { key, conversation } = conversationFor(r, inputs, meta, person);
      const existing = conversations.get(key);
      const target = existing ?? conversation;
      if (!existing) conversations.set(key, conversation);
      target.ranges.push(
        r.kind === 'mixed' ? { ...range, contributor: { type: 'mixed', ...modelOf(r, inputs) } } : range,
      );
    }
    files.push({ path, conversations: [...conversations.values()] });
  }
  return {
    version: AGENT_TRACE_VERSION,
    id: randomUUID(),
    timestamp: new Date(inputs.now).toISOString(),
    tool: { name: 'sparkroom', version: inputs.toolVersion },
    files,
    metadata: { [SPARKROOM_TRACE_KEY]: meta },
  };
}

function modelOf(r: BlameRange, inputs: TraceInputs): { model_id?: string } {
  const model = r.runId ? inputs.runs.get(r.runId)?.model : undefined;
  return model ? { model_id: model.slice(0, 250) } : {};
}

function conversationFor(
  r: BlameRange,
  inputs: TraceInputs,
  meta: SparkroomTraceMetadata,
  person: (id: string) => void,
): { key: string; conversation: TraceConversation } {
  if (r.kind !== 'human' && r.runId) {
    const run = inputs.runs.get(r.runId);
    const entry = meta.runs[r.runId] ?? {
      model: run?.model ?? 'unknown',
      requestedBy: run?.requestedBy ?? r.requestedBy ?? 'unknown',
      acceptedBy: [],
    };
    meta.runs[r.runId] = entry;
    person(entry.requestedBy);
    if (r.acceptedBy && !entry.acceptedBy.includes(r.acceptedBy)) {
      entry.acceptedBy.push(r.acceptedBy);
      person(r.acceptedBy);
    }
    return {
      key: `run:${r.runId}`,
      conversation: {
        url: `${inputs.baseUrl}/api/rooms/${encodeURIComponent(inputs.room.id)}/runs/${encodeURIComponent(r.runId)}`,
        contributor: { type: 'ai', ...modelOf(r, inputs) },
        ranges: [],
      },
    };
  }
  const userId = r.userId ?? 'unknown';
  person(userId);
  if (r.importId) {
    const imported = [...inputs.imports.values()].find((i) => i.id === r.importId);
    if (imported)
      meta.imports[imported.id] ??= { by: imported.userId, at: imported.at, source: imported.source };
    return {
      key: `import:${r.importId}`,
      conversation: {
        contributor: { type: 'human' },
        ranges: [],
        related: [
          { type: 'person', url: personUrn(userId) },
          { type: 'import', url: importUrn(r.importId) },
        ],
      },
    };
  }
  return {
    key: `human:${userId}`,
    conversation: {
      contributor: { type: 'human' },
      ranges: [],
      related: [{ type: 'person', url: personUrn(userId) }],
    },
  };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 0-indexed line of a character index (binary search over line starts). */
function lineOf(starts: number[], index: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
