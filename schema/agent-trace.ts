/**
 * Agent Trace records (spec 0.1.0, https://agent-trace.dev, github.com/cursor/agent-trace): which lines of
 * which files came from which contributor, human or AI, with the conversation (for Sparkroom: the run) that
 * produced them. Served by GET /api/rooms/:id/trace (IO-11) and appended to .agent-trace/traces.jsonl by
 * `sparkroom commit` (IO-18). Types only; the JSON Schema the tests validate against is in test/data.
 */

export const AGENT_TRACE_VERSION = '0.1.0';

export type TraceContributorType = 'human' | 'ai' | 'mixed' | 'unknown';

export interface TraceContributor {
  type: TraceContributorType;
  /** models.dev style where known, else the model name the server was configured with */
  model_id?: string;
}

export interface TraceRange {
  /** 1-indexed, inclusive */
  start_line: number;
  end_line: number;
  /** `sha256:` + hex of the range's text */
  content_hash?: string;
  contributor?: TraceContributor;
}

export interface TraceConversation {
  url?: string;
  contributor?: TraceContributor;
  ranges: TraceRange[];
  related?: { type: string; url: string }[];
}

export interface TraceFile {
  path: string;
  conversations: TraceConversation[];
}

export interface AgentTraceRecord {
  version: string;
  id: string;
  timestamp: string;
  vcs?: { type: 'git' | 'jj' | 'hg' | 'svn'; revision: string };
  tool?: { name: string; version: string };
  files: TraceFile[];
  metadata?: Record<string, unknown>;
}

/** Sparkroom's vendor block in `metadata['dev.sparkroom']`: who the ids are. */
export interface SparkroomTraceMetadata {
  room: { id: string; name: string };
  /** user id -> display name */
  people: Record<string, string>;
  /** run id -> what Spark was, who asked, who accepted its text */
  runs: Record<string, { model: string; requestedBy: string; acceptedBy: string[] }>;
  /** import id -> who imported, when (ms since the epoch) */
  imports: Record<string, { by: string; at: number; source: string }>;
}

export const SPARKROOM_TRACE_KEY = 'dev.sparkroom';

/** URN naming a person of a room in `related` (the spec's contributor has no field for a person). */
export const personUrn = (userId: string) => `urn:sparkroom:user:${userId}`;
export const importUrn = (importId: string) => `urn:sparkroom:import:${importId}`;
