import type * as Y from 'yjs';
import type { RunView, Steer, SuggestionView } from '../../schema/protocol.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import type { RoomDoc } from '../rooms/room-doc.ts';
import type { FrameClock } from './frame-clock.ts';
import {
  appendToRun,
  newSuggestionMap,
  proposedText,
  runsMap,
  suggestionsMap,
  writeFields,
} from './review-doc.ts';

/** Run fields replaced as a whole (the appended ones have their own operations). */
export type RunFields = Partial<Omit<RunView, 'message' | 'steers' | 'unanchored'>>;

type Op =
  | { kind: 'run'; fields: RunFields }
  | { kind: 'message'; text: string }
  | { kind: 'steer'; steer: Steer }
  | { kind: 'unanchored'; item: RunView['unanchored'][number] }
  | { kind: 'create'; view: SuggestionView }
  | { kind: 'append'; id: string; text: string }
  | { kind: 'set'; id: string; fields: Partial<SuggestionView> };

/**
 * Writes one run's changes to the review doc in one transaction per frame (AGENT-5): a model streaming
 * 5,000 tokens/s must not produce 5,000 Yjs updates, storage commits and broadcasts per second. Changes
 * are queued in order (appends to the same text merge) and applied together at the next tick of the
 * process's frame clock, with every other run's (AGENT-26).
 */
export class ReviewWriter {
  private readonly review: Pick<RoomDoc, 'transact'>;
  private readonly runId: string;
  private readonly origin: TransactionOrigin;
  private readonly clock: FrameClock;
  private ops: Op[] = [];
  /** something queued is not streamed text (PERF-45: it goes out at the next tick) */
  private urgent = false;
  private closed = false;
  /** called after each applied frame (presence, metrics) */
  onFrame: (() => void) | null = null;

  constructor(review: Pick<RoomDoc, 'transact'>, runId: string, clock: FrameClock) {
    this.review = review;
    this.runId = runId;
    this.origin = { source: 'agent', runId };
    this.clock = clock;
  }

  updateRun(fields: RunFields): void {
    // The counters change with the stream; a status or anything else is news for the next tick.
    for (const key in fields) if (key !== 'metrics') this.urgent = true;
    const last = this.ops.at(-1);
    if (last?.kind === 'run') Object.assign(last.fields, fields);
    else this.push({ kind: 'run', fields: { ...fields } });
  }

  appendMessage(text: string): void {
    if (text === '') return;
    const last = this.ops.at(-1);
    if (last?.kind === 'message') last.text += text;
    else this.push({ kind: 'message', text });
  }

  addSteer(steer: Steer): void {
    this.push({ kind: 'steer', steer: { ...steer } });
  }

  addUnanchored(item: RunView['unanchored'][number]): void {
    this.push({ kind: 'unanchored', item: { ...item } });
  }

  createSuggestion(view: SuggestionView): void {
    // A copy: the caller keeps typing into its own view, and those appends are queued separately.
    this.push({ kind: 'create', view: { ...view } });
  }

  appendProposed(id: string, text: string): void {
    if (text === '') return;
    const last = this.ops.at(-1);
    if (last?.kind === 'append' && last.id === id) last.text += text;
    else this.push({ kind: 'append', id, text });
  }

  setSuggestion(id: string, fields: Partial<SuggestionView>): void {
    this.push({ kind: 'set', id, fields: { ...fields } });
  }

  /** Whether all that is queued is streamed text and the run's counters (PERF-45). */
  get textOnly(): boolean {
    return !this.urgent;
  }

  /** Applies everything queued now, in one transaction. */
  flush(): void {
    this.clock.cancel(this);
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    this.urgent = false;
    this.review.transact((doc) => applyOps(doc, this.runId, ops), this.origin);
    this.onFrame?.();
  }

  close(): void {
    this.flush();
    this.closed = true;
  }

  /** Drops what is queued and takes nothing more: the room is no longer this process's to write (CLUSTER-51). */
  abandon(): void {
    this.clock.cancel(this);
    this.ops = [];
    this.urgent = false;
    this.closed = true;
  }

  private push(op: Op): void {
    if (this.closed) throw new Error('review writer is closed');
    this.ops.push(op);
    if (op.kind !== 'append' && op.kind !== 'message' && op.kind !== 'run') this.urgent = true;
    if (this.ops.length === 1) this.clock.request(this);
  }
}

function applyOps(doc: Y.Doc, runId: string, ops: Op[]): void {
  const runs = runsMap(doc);
  const suggestions = suggestionsMap(doc);
  const run = runs.get(runId);
  for (const op of ops) {
    switch (op.kind) {
      case 'run':
        if (run) writeFields(run, op.fields);
        break;
      case 'message':
        if (run) appendToRun(run, 'message', op.text);
        break;
      case 'steer':
        if (run) appendToRun(run, 'steers', op.steer);
        break;
      case 'unanchored':
        if (run) appendToRun(run, 'unanchored', op.item);
        break;
      case 'create':
        suggestions.set(op.view.id, newSuggestionMap(op.view));
        break;
      case 'append': {
        const s = suggestions.get(op.id);
        if (s) {
          const text = proposedText(s);
          text.insert(text.length, op.text);
        }
        break;
      }
      case 'set': {
        const s = suggestions.get(op.id);
        if (s) writeFields(s, op.fields);
        break;
      }
    }
  }
}
