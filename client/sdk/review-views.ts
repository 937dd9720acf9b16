import * as Y from 'yjs';
import {
  type RunMetrics,
  type RunStatus,
  type RunView,
  runStatuses,
  type Steer,
  type SuggestionState,
  type SuggestionView,
  suggestionStates,
  type TutorReport,
} from '../../schema/protocol.ts';
import { TextLog } from './text-log.ts';

/**
 * Plain views of the review doc's `runs` and `suggestions` entries (each a Y.Map written by the server).
 * Reading is tolerant: a field the server has not written yet reads as its empty value, so a client
 * never breaks on a run that is still being created.
 */

function plain(value: unknown): unknown {
  return value instanceof Y.AbstractType ? value.toJSON() : value;
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function readRun(id: string, map: Y.Map<unknown>): RunView {
  const status = str(map.get('status'), 'queued') as RunStatus;
  const metrics = (plain(map.get('metrics')) ?? {}) as Partial<Record<keyof RunMetrics, unknown>>;
  const steers = plain(map.get('steers'));
  const unanchored = plain(map.get('unanchored'));
  const message = map.get('message');
  return {
    id: str(map.get('id'), id),
    prompt: str(map.get('prompt')),
    file: strOrNull(map.get('file')),
    requestedBy: str(map.get('requestedBy')),
    requestedByName: str(map.get('requestedByName'), 'someone'),
    model: str(map.get('model')),
    status: runStatuses.includes(status) ? status : 'queued',
    steers: Array.isArray(steers) ? (steers as Steer[]) : [],
    interruptedBy: strOrNull(map.get('interruptedBy')),
    error: strOrNull(map.get('error')),
    unanchored: Array.isArray(unanchored) ? (unanchored as RunView['unanchored']) : [],
    message: message instanceof Y.Text ? message.toString() : str(message),
    metrics: {
      ttftMs: num(metrics.ttftMs),
      tokens: num(metrics.tokens) ?? 0,
      tokensPerSecond: num(metrics.tokensPerSecond),
      interruptToQuiescenceMs: num(metrics.interruptToQuiescenceMs),
    },
    createdAt: num(map.get('createdAt')) ?? 0,
    endedAt: num(map.get('endedAt')),
    parentRunId: strOrNull(map.get('parentRunId')),
    mode: map.get('mode') === 'ask' ? 'ask' : 'edit',
    threadId: strOrNull(map.get('threadId')),
    ...tutorOf(plain(map.get('tutor'))),
  };
}

/**
 * CLASS-3: tutor mode's report on a run, read defensively (the doc comes from the network); absent on a
 * run asked without tutor mode, as the server writes it.
 */
function tutorOf(v: unknown): { tutor?: TutorReport } {
  if (typeof v !== 'object' || v === null) return {};
  const t = v as Record<string, unknown>;
  const max = num(t.maxChangedLines);
  const used = num(t.usedLines);
  if (max === null || used === null || !Array.isArray(t.refused)) return {};
  const refused: TutorReport['refused'] = [];
  for (const r of t.refused as unknown[]) {
    if (typeof r !== 'object' || r === null) continue;
    const x = r as Record<string, unknown>;
    const lines = num(x.lines);
    if (typeof x.file === 'string' && lines !== null)
      refused.push({ file: x.file, suggestionId: strOrNull(x.suggestionId), lines });
  }
  return { tutor: { maxChangedLines: max, usedLines: used, refused } };
}

/** A streaming proposal's Y.Text, followed by its observer while Spark streams it (PERF-144). */
interface Followed {
  observer: (event: Y.YTextEvent) => void;
  /** the text as appended so far; null after a change that was not an append (read again whole) */
  log: TextLog | null;
}
const followed = new WeakMap<Y.Text, Followed>();
/** Each view's log: the view's `proposed` is the log's first `proposed.length` characters. */
const viewLogs = new WeakMap<SuggestionView, TextLog>();

/**
 * PERF-144: the append-only log of a streaming proposal read from the review doc, for readers that read
 * only what was added since the text they hold (the card, the hunk list, the editor's field); undefined
 * once the proposal no longer streams, or for a view not read from the live doc.
 */
export function proposedLog(view: SuggestionView): TextLog | undefined {
  return viewLogs.get(view);
}

function followLog(text: Y.Text, whole: string): TextLog {
  let f = followed.get(text);
  if (!f) {
    const entry: Followed = {
      log: null,
      observer: (event) => {
        if (!entry.log) return;
        const added = appendedText(event.delta, entry.log.length);
        if (added === null) entry.log = null;
        else entry.log.append(added);
      },
    };
    text.observe(entry.observer);
    followed.set(text, entry);
    f = entry;
  }
  // A length that differs means a change the observer did not follow: start a new log (readers redraw).
  if (f.log === null || f.log.length !== whole.length) f.log = new TextLog(whole);
  return f.log;
}

function unfollow(text: Y.Text): void {
  const f = followed.get(text);
  if (!f) return;
  text.unobserve(f.observer);
  followed.delete(text);
}

/** The text a Y.Text event's delta appends at `length`, or null when it does anything else. */
function appendedText(delta: Y.YTextEvent['delta'], length: number): string | null {
  let at = 0;
  let added = '';
  for (const op of delta) {
    if (op.attributes !== undefined) return null;
    if (op.retain !== undefined && added === '') at += op.retain;
    else if (typeof op.insert === 'string' && at === length) added += op.insert;
    else return null;
  }
  return at === length ? added : null;
}

export function readSuggestion(id: string, map: Y.Map<unknown>): SuggestionView {
  const state = str(map.get('state'), 'streaming') as SuggestionState;
  const proposed = map.get('proposed');
  const by = plain(map.get('proposedBy')) as { model?: unknown } | undefined;
  const view: SuggestionView = {
    id: str(map.get('id'), id),
    runId: str(map.get('runId')),
    file: str(map.get('file')),
    start: strOrNull(map.get('start')),
    end: strOrNull(map.get('end')),
    baseText: str(map.get('baseText')),
    proposed: proposed instanceof Y.Text ? proposed.toString() : str(proposed),
    state: suggestionStates.includes(state) ? state : 'streaming',
    proposedBy: { agent: 'spark', model: str(by?.model) },
    requestedBy: str(map.get('requestedBy')),
    decidedBy: strOrNull(map.get('decidedBy')),
    decidedAt: num(map.get('decidedAt')),
    interruptedBy: strOrNull(map.get('interruptedBy')),
    newFile: map.get('newFile') === true,
    fileOp: fileOpOf(map.get('fileOp')),
    revertedBy: strOrNull(map.get('revertedBy')),
    revertedAt: num(map.get('revertedAt')),
    threadId: strOrNull(map.get('threadId')),
  };
  if (proposed instanceof Y.Text) {
    if (view.state === 'streaming') viewLogs.set(view, followLog(proposed, view.proposed));
    else unfollow(proposed);
  }
  return view;
}

/** Every run in the review doc, newest first. */
export function listRuns(runs: Y.Map<Y.Map<unknown>>): RunView[] {
  const out: RunView[] = [];
  for (const [id, map] of runs) if (map instanceof Y.Map) out.push(readRun(id, map));
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

/** Every suggestion in the review doc, optionally only one file's. */
export function listSuggestions(suggestions: Y.Map<Y.Map<unknown>>, file?: string): SuggestionView[] {
  const out: SuggestionView[] = [];
  for (const [id, map] of suggestions) {
    if (!(map instanceof Y.Map)) continue;
    const view = readSuggestion(id, map);
    if (file === undefined || view.file === file) out.push(view);
  }
  return out;
}

/** A suggestion's file operation (AGENT-17), read defensively from the review doc. */
function fileOpOf(v: unknown): SuggestionView['fileOp'] {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as { kind?: unknown; to?: unknown };
  if (o.kind === 'delete') return { kind: 'delete' };
  if (o.kind === 'rename' && typeof o.to === 'string') return { kind: 'rename', to: o.to };
  return null;
}
