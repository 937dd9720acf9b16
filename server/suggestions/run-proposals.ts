import type { RunView, Steer, SuggestionState, SuggestionView } from '../../schema/protocol.ts';
import type { Logger } from '../log.ts';
import type { Room } from '../rooms/room.ts';
import type { FrameClock } from './frame-clock.ts';
import type { Placement, RunChannel } from './proposal-port.ts';
import { newRunMap, runsMap } from './review-doc.ts';
import { ReviewWriter, type RunFields } from './review-writer.ts';
import { resolveRange } from './suggestion-range.ts';
import type { DecisionEventRecord, SuggestionStore } from './suggestion-store.ts';

export interface RunProposalsDeps {
  room: Room;
  store: SuggestionStore;
  log: Logger;
  now: () => number;
  /** the process's review-doc frame tick while runs stream (AGENT-26) */
  frames: FrameClock;
  /** told when the run's channel closes */
  onClose: (channel: RunProposals) => void;
}

/** Two ranges overlap when they share a character, or both are insertion points at the same place. */
function rangesOverlap(a: { from: number; to: number }, b: { from: number; to: number }): boolean {
  if (a.from === b.from) return true;
  return a.from < b.to && b.from < a.to;
}

/**
 * One live run's side of the review doc: its Y.Map, and the suggestions it proposes, written in frames
 * (AGENT-5) and saved to the suggestion store behind the stream (AGENT-11). Holds the run's suggestions as
 * it last wrote them; decisions made meanwhile are told to it (`noteDecision`), so it never writes over one.
 */
export class RunProposals implements RunChannel {
  readonly runId: string;
  /** the review thread the run was asked from: each of its suggestions names it (CR-18) */
  private readonly threadId: string | null;
  private readonly deps: RunProposalsDeps;
  private readonly writer: ReviewWriter;
  private readonly views = new Map<string, SuggestionView>();
  private counter = 0;
  private closed = false;
  /** suggestions changed since the last save, saved together after the current task (SAFE-51) */
  private readonly unsaved = new Map<string, SuggestionView>();
  private saveScheduled = false;

  constructor(deps: RunProposalsDeps, run: RunView) {
    this.deps = deps;
    this.runId = run.id;
    this.threadId = run.threadId ?? null;
    this.writer = new ReviewWriter(deps.room.review, run.id, deps.frames);
    deps.room.review.transact((doc) => runsMap(doc).set(run.id, newRunMap(run)), {
      source: 'agent',
      runId: run.id,
    });
  }

  nextFrame(resume: () => void, settled?: () => void): () => void {
    return this.deps.frames.nextFrame(resume, settled);
  }

  get onFrame(): (() => void) | null {
    return this.writer.onFrame;
  }

  set onFrame(fn: (() => void) | null) {
    this.writer.onFrame = fn;
  }

  updateRun(fields: RunFields): void {
    this.writer.updateRun(fields);
  }

  appendMessage(text: string): void {
    this.writer.appendMessage(text);
  }

  addSteer(steer: Steer): void {
    this.writer.addSteer(steer);
  }

  addUnanchored(item: RunView['unanchored'][number]): void {
    this.writer.addUnanchored(item);
  }

  propose(placement: Placement, meta: { model: string; requestedBy: string }): string {
    const view: SuggestionView = {
      id: `${this.runId}-h${this.counter++}`,
      runId: this.runId,
      ...placement,
      proposed: '',
      state: 'streaming',
      proposedBy: { agent: 'spark', model: meta.model },
      requestedBy: meta.requestedBy,
      decidedBy: null,
      decidedAt: null,
      interruptedBy: null,
      ...(this.threadId ? { threadId: this.threadId } : {}),
    };
    this.views.set(view.id, view);
    this.writer.createSuggestion(view);
    this.save(view);
    this.supersedeOverlapping(view);
    return view.id;
  }

  appendProposed(id: string, text: string): boolean {
    const s = this.views.get(id);
    if (s?.state !== 'streaming') return false;
    s.proposed += text;
    this.writer.appendProposed(id, text);
    return true;
  }

  endHunk(id: string, state: 'proposed' | 'interrupted', interruptedBy: string | null = null): void {
    const s = this.views.get(id);
    if (s?.state !== 'streaming') return;
    this.setState(s, state, interruptedBy === null ? {} : { interruptedBy });
  }

  refuse(id: string, reason: string): void {
    const s = this.views.get(id);
    if (!s || !(s.state === 'streaming' || s.state === 'proposed' || s.state === 'interrupted')) return;
    this.setState(s, 'refused');
    this.record(s, 'refused', null, reason);
  }

  proposedLength(id: string): number {
    return this.views.get(id)?.proposed.length ?? 0;
  }

  setPresence(clientId: number, state: Record<string, unknown> | null): void {
    this.deps.room.review.setServerPresence(clientId, state);
  }

  /** Whether this channel wrote the suggestion (it belongs to this live run). */
  has(id: string): boolean {
    return this.views.has(id);
  }

  /**
   * A person's edit broke the suggestion's base text (AGENT-7): it stops taking text, in order with what
   * is queued. Returns false when the suggestion is not open here.
   */
  markStale(id: string): boolean {
    const s = this.views.get(id);
    if (!s || !(s.state === 'streaming' || s.state === 'proposed' || s.state === 'interrupted')) return false;
    this.setState(s, 'stale');
    this.writer.flush();
    this.record(s, 'stale', null, 'the code under it was edited');
    return true;
  }

  /** A decision written by suggestions/ (accept, reject) that this channel must not overwrite. */
  noteDecision(id: string, fields: Partial<SuggestionView>): void {
    const s = this.views.get(id);
    if (s) Object.assign(s, fields);
  }

  flush(): void {
    this.writer.flush();
    this.saveNow();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close();
    this.saveNow();
    this.deps.onClose(this);
  }

  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.abandon();
    this.deps.onClose(this);
  }

  /**
   * REVIEW-1: after a steer, the new turn re-proposes what the interrupted turn had started. The fragment
   * it covers must not stay pending over the same lines (an accept of it would replace the code with half
   * a comment and leave the redirected proposal stale): every interrupted hunk of this run that the new
   * hunk overlaps becomes `superseded`.
   */
  private supersedeOverlapping(fresh: SuggestionView): void {
    const code = this.deps.room.code.doc;
    const range = fresh.newFile ? null : resolveRange(code, fresh);
    for (const old of this.views.values()) {
      if (old.state !== 'interrupted' || old.file !== fresh.file || old.id === fresh.id) continue;
      const overlaps = fresh.newFile
        ? old.newFile
        : ((r) => r !== null && range !== null && rangesOverlap(r, range))(resolveRange(code, old));
      if (!overlaps) continue;
      this.setState(old, 'superseded');
      this.record(old, 'superseded', null, `re-proposed by ${fresh.id}`);
    }
  }

  private setState(s: SuggestionView, state: SuggestionState, extra: Partial<SuggestionView> = {}): void {
    s.state = state;
    Object.assign(s, extra);
    this.writer.setSuggestion(s.id, { state, ...extra });
    this.save(s);
  }

  /**
   * Saves behind the stream: the suggestions a chunk of model output changed are saved together once the
   * chunk is handled, in one store transaction. Saved one by one, a reply of hundreds of small hunks paid a
   * disk sync per change on the event loop (300 hunks: seconds).
   */
  private save(s: SuggestionView): void {
    this.unsaved.set(s.id, s);
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    setImmediate(() => this.saveNow());
  }

  private saveNow(): void {
    this.saveScheduled = false;
    if (this.unsaved.size === 0) return;
    const list = [...this.unsaved.values()].map((s) => ({ ...s }));
    this.unsaved.clear();
    this.deps.store.saveSuggestions(this.deps.room.id, list).catch((err: unknown) => {
      this.deps.log.error({ err, run: this.runId, suggestions: list.length }, 'saving suggestions failed');
    });
  }

  private record(
    s: SuggestionView,
    kind: DecisionEventRecord['kind'],
    userId: string | null,
    detail: string | null,
  ): void {
    this.deps.store
      .recordEvent({
        roomId: this.deps.room.id,
        runId: this.runId,
        suggestionId: s.id,
        kind,
        userId,
        at: this.deps.now(),
        detail,
      })
      .catch((err: unknown) => this.deps.log.error({ err, run: this.runId }, 'recording event failed'));
  }
}
