import type { PublicUser, RunMode, RunView, TutorMode } from '../../schema/protocol.ts';
import type { Logger } from '../log.ts';
import type { Room } from '../rooms/room.ts';
import type { ProposalPort, RunChannel } from '../suggestions/proposal-port.ts';
import type { AgentStore } from './agent-store.ts';
import { createEditParser, type EditEvent, type EditFormat } from './edit-parser.ts';
import type { ModelMessage, ModelProvider } from './model-provider.ts';
import {
  buildAskInstructions,
  buildInstructions,
  buildTutorInstructions,
  contextCharBudget,
  formatForModel,
} from './prompt-builder.ts';
import { newTurnEdits, RunEdits, type TurnEdits } from './run-edits.ts';
import { RunRecorder } from './run-recorder.ts';
import { SparkPresence } from './spark-presence.ts';
import { readTurnContext, type TurnContext } from './turn-context.ts';
import { TutorBudget } from './tutor-budget.ts';

export interface AgentRunDeps {
  room: Room;
  provider: ModelProvider;
  store: AgentStore;
  /** where the run and its hunks are written (suggestions/ owns the review doc) */
  proposals: ProposalPort;
  log: Logger;
  now: () => number;
  maxOutputTokens: number;
  /** a stream silent for this long is given up (AGENT-3) */
  idleTimeoutMs: number;
  /** the run's caps, whatever the model sends (SAFE-57; hunks SAFE-51) */
  limits: { maxOutputBytes: number; maxTokens: number; maxRunMs: number; maxHunks: number };
  /** the room's tutor mode when the run was asked (CLASS-2..4); off when absent */
  tutor?: TutorMode | null;
}

export interface RunRequest {
  id: string;
  user: PublicUser;
  prompt: string;
  file: string | null;
  selection: { from: number; to: number } | null;
  /** the run this continues (NAV-20) */
  parentRunId?: string | null;
  /** `ask`: answer in prose, no edits (NAV-21) */
  mode?: RunMode;
  /** the earlier turns of the conversation, oldest first (a follow-up's) */
  history?: ModelMessage[];
  /** the review thread the run was asked from (CR-18) */
  threadId?: string | null;
  /** what the request came with, shown to the model before it (a review thread, rendered) */
  context?: string;
}

interface Turn {
  instruction: string;
  kind: 'prompt' | 'steer';
}

/** What the current turn is doing; replaced by the next turn, so a stale turn can never write. */
interface TurnState extends TurnEdits {
  controller: AbortController;
  stopped: boolean;
  parser: ReturnType<typeof createEditParser>;
  output: string;
  startedAt: number;
}

/** how often the run's counters (tokens, rate, prose) are written while streaming, ms */
const STATS_INTERVAL_MS = 250;

/**
 * One agent run: a prompt, then any steered turns, streamed from the model into suggestions in the
 * review doc. The code doc is never written here (AGENT-1): accepting is a separate, human decision.
 */
export class AgentRun {
  readonly id: string;
  readonly view: RunView;
  private readonly deps: AgentRunDeps;
  private readonly request: RunRequest;
  private readonly channel: RunChannel;
  private readonly recorder: RunRecorder;
  private readonly format: EditFormat;
  private readonly messages: ModelMessage[] = [];
  private readonly turns: Turn[] = [];
  private turn: TurnState | null = null;
  private firstTokenAt: number | null = null;
  private streamingSince: number | null = null;
  private finished = false;
  /** the room was lost to another node: nothing more is written from here (CLUSTER-51) */
  private abandoned = false;
  private done: Promise<void> | null = null;
  /** what the model's edits do: the run's message, its placed hunks and their suggestions */
  private readonly edits: RunEdits;
  private reportedUnanchored = 0;
  private statsWrittenAt = 0;
  /** UTF-8 bytes the model sent over all turns, and when the first turn started (SAFE-57) */
  private outputBytes = 0;
  private runStartedAt: number | null = null;
  private readonly presence: SparkPresence;
  /** tutor mode's line budget over all turns (CLASS-3); null without tutor mode */
  private readonly tutor: TutorBudget | null;

  constructor(deps: AgentRunDeps, request: RunRequest) {
    this.deps = deps;
    this.request = request;
    this.id = request.id;
    this.format = formatForModel(deps.provider.model);
    this.tutor = deps.tutor?.enabled ? new TutorBudget(deps.tutor.maxChangedLines) : null;
    this.recorder = new RunRecorder({
      store: deps.store,
      roomId: deps.room.id,
      runId: request.id,
      log: deps.log,
      now: deps.now,
    });
    this.view = {
      id: request.id,
      prompt: request.prompt,
      file: request.file,
      requestedBy: request.user.id,
      requestedByName: request.user.name,
      model: deps.provider.model,
      status: 'queued',
      steers: [],
      interruptedBy: null,
      error: null,
      unanchored: [],
      message: '',
      metrics: { ttftMs: null, tokens: 0, tokensPerSecond: null, interruptToQuiescenceMs: null },
      createdAt: deps.now(),
      endedAt: null,
      parentRunId: request.parentRunId ?? null,
      mode: request.mode ?? 'edit',
      ...(request.threadId ? { threadId: request.threadId } : {}),
      ...(this.tutor ? { tutor: this.tutor.report() } : {}),
    };
    this.messages.push(...(request.history ?? []));
    this.turns.push({ instruction: request.prompt, kind: 'prompt' });
    // Writes the queued run to the review doc.
    this.channel = deps.proposals.openRun(deps.room, this.view);
    this.presence = new SparkPresence(this.channel, { id: request.id, askedBy: request.user }, deps.now);
    this.channel.onFrame = () => {
      if (!this.finished) this.presence.publish(this.edits.writing);
    };
    this.edits = new RunEdits({
      room: deps.room,
      channel: this.channel,
      recorder: this.recorder,
      view: this.view,
      tutor: this.tutor,
      maxHunks: deps.limits.maxHunks,
      model: deps.provider.model,
      requestedBy: request.user.id,
    });
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Resolves when the run has ended (completed, failed or interrupted with nothing queued). */
  whenDone(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  /** Records the request (the run is in the review doc already); `start` streams once a slot is free. */
  announce(): void {
    this.recorder.step(this.view, 'requested', this.request.user.id, this.request.prompt);
  }

  /** Runs every turn in order; `slot` wraps the whole thing (the server-wide concurrency cap). */
  start(slot: <T>(task: () => Promise<T>) => Promise<T>): Promise<void> {
    this.done = slot(() => this.loop()).catch((err: unknown) => {
      this.deps.log.error({ err, run: this.id }, 'agent run crashed');
      this.fail(`internal error: ${(err as Error).message}`);
    });
    return this.done;
  }

  private async loop(): Promise<void> {
    for (let turn = this.turns.shift(); turn && !this.finished; turn = this.turns.shift()) {
      const outcome = await this.runTurn(turn);
      if (this.abandoned) return;
      this.recorder.messages(this.messages);
      if (outcome === 'failed') return;
      if (outcome === 'stopped' && this.turns.length === 0) return;
    }
    if (!this.finished) this.finish('completed', null);
  }

  private async runTurn(turn: Turn): Promise<'completed' | 'failed' | 'stopped'> {
    const context = await this.turnContext(turn);
    // SAFE-175: the files were read across turns of the event loop; the run may have ended meanwhile.
    if (this.finished) return 'stopped';
    const state = this.beginTurn(turn, context);
    const { provider, maxOutputTokens } = this.deps;
    let usageTokens: number | null = null;
    let failure: string | null = null;
    let tokens = 0;
    // A stream can stall after its headers (the SDK's timeout ends there): give up after idleTimeoutMs of
    // silence, so the run fails with a reason and its slot is freed instead of waiting forever.
    // One timer per turn that re-arms itself from the last event's time: clearing and setting a timer for
    // every token was ~6% of the server's CPU while a model streamed 5,000 tokens/s.
    let stalled = false;
    let lastEventAt = performance.now();
    const idleMs = this.deps.idleTimeoutMs;
    const onStall = () => {
      const quietFor = performance.now() - lastEventAt;
      if (quietFor < idleMs) {
        watchdog = setTimeout(onStall, idleMs - quietFor);
        return;
      }
      stalled = true;
      state.controller.abort();
    };
    let watchdog = setTimeout(onStall, idleMs);
    // SAFE-57: the server caps a run's output and its time itself; a model that never stops (or sends
    // 50 MB) ends the run failed with the reason, its hunks kept as interrupted.
    let overLimit: string | null = null;
    const { maxOutputBytes, maxTokens, maxRunMs } = this.deps.limits;
    this.runStartedAt ??= state.startedAt;
    const overTime = () => {
      overLimit = `the run took longer than ${Math.round(maxRunMs / 1000)}s; stopped it`;
      state.controller.abort();
    };
    const deadline = setTimeout(overTime, Math.max(0, this.runStartedAt + maxRunMs - this.deps.now()));
    for await (const event of provider.stream(
      {
        model: provider.model,
        instructions: this.instructions(),
        messages: [...this.messages],
        maxOutputTokens,
        sessionKey: this.deps.room.id,
      },
      state.controller.signal,
      // PERF-77: the model's socket is read once per review-doc frame, just before it is written.
      this.channel,
    )) {
      // AGENT-6: after an interrupt nothing more is applied, whatever the stream still delivers.
      if (state.stopped || overLimit !== null) break;
      lastEventAt = performance.now();
      switch (event.type) {
        case 'text-delta': {
          const now = this.deps.now();
          if (this.firstTokenAt === null) {
            this.firstTokenAt = now;
            this.view.metrics.ttftMs = now - state.startedAt;
          }
          this.streamingSince ??= now;
          // PERF-50: one event carries the deltas of one network read.
          const count = event.tokens ?? 1;
          tokens += count;
          this.view.metrics.tokens += count;
          this.outputBytes += Buffer.byteLength(event.text);
          if (this.outputBytes > maxOutputBytes || this.view.metrics.tokens > maxTokens) {
            overLimit =
              this.outputBytes > maxOutputBytes
                ? `the model's output passed the limit of ${maxOutputBytes} bytes; stopped it`
                : `the model's output passed the limit of ${maxTokens} tokens; stopped it`;
            state.controller.abort();
            break;
          }
          state.output += event.text;
          // NAV-21: a question's answer is all prose; nothing in it is parsed as an edit.
          if (this.view.mode === 'ask') this.edits.apply(state, { type: 'text', text: event.text });
          else if (!(await this.applyEdits(state, state.parser.push(event.text)))) break;
          // The run's counters change with every token, but replacing a Y.Map value every frame leaves a
          // delete behind each time for every watcher to apply: a few updates a second are enough to read.
          if (now - this.statsWrittenAt >= STATS_INTERVAL_MS) {
            this.statsWrittenAt = now;
            this.updateRate(now);
            this.channel.updateRun({ metrics: { ...this.view.metrics } });
          }
          break;
        }
        case 'usage':
          usageTokens = event.outputTokens;
          break;
        case 'error':
          failure = event.message;
          break;
        case 'start':
        case 'finish':
          break;
      }
    }
    clearTimeout(watchdog);
    clearTimeout(deadline);
    if (state.stopped) return 'stopped';
    if (overLimit !== null) failure = overLimit;
    else if (stalled)
      failure = `the model sent nothing for ${Math.round(this.deps.idleTimeoutMs / 1000)}s; stopped waiting`;
    if (this.view.mode !== 'ask' && !state.stopped) await this.applyEdits(state, state.parser.end());
    if (usageTokens !== null) this.view.metrics.tokens += usageTokens - tokens;
    this.messages.push({ role: 'assistant', content: state.output });
    this.edits.closeOpenHunks(state, failure === null ? 'proposed' : 'interrupted');
    if (failure !== null) {
      this.fail(failure);
      return 'failed';
    }
    this.updateRate(this.deps.now());
    this.channel.updateRun({ metrics: { ...this.view.metrics } });
    this.turn = null;
    return 'completed';
  }

  /**
   * Applies parsed edits in order; a hunk whose file's live view must be read again waits for it (SAFE-176).
   * False when the turn was stopped meanwhile (AGENT-6: nothing more is applied after an interrupt).
   */
  private async applyEdits(state: TurnState, edits: EditEvent[]): Promise<boolean> {
    for (const edit of edits) {
      const ready = this.edits.liveReady(state, edit);
      if (ready) {
        await ready;
        if (state.stopped || this.finished) return false;
      }
      this.edits.apply(state, edit);
    }
    return true;
  }

  private instructions(): string {
    const base = this.view.mode === 'ask' ? buildAskInstructions() : buildInstructions(this.format);
    return this.tutor ? `${base}\n${buildTutorInstructions(this.tutor.maxChangedLines)}` : base;
  }

  /** What the turn sends the model; its files are read in slices when long (SAFE-175). */
  private turnContext(turn: Turn): Promise<TurnContext> {
    // Keys an older store left holding something else are skipped (reported at load: SAFE-36).
    // SAFE-156: a file is read once, by its snapshot (AGENT-4), and only if it can be shown; its text is
    // what the model is sent. Files too long for what is left of the budget are not read at all.
    return readTurnContext(this.deps.room.code.doc, {
      ...(this.request.file ? { focusFile: this.request.file } : {}),
      ...(this.request.selection && turn.kind === 'prompt' ? { selection: this.request.selection } : {}),
      ...(this.request.context && turn.kind === 'prompt' ? { extra: this.request.context } : {}),
      prompt:
        turn.kind === 'prompt'
          ? turn.instruction
          : `New instruction (this replaces the unfinished edit above): ${turn.instruction}`,
      maxChars: contextCharBudget(this.deps.maxOutputTokens),
    });
  }

  private beginTurn(turn: Turn, { context, snapshots }: TurnContext): TurnState {
    const { now } = this.deps;
    // AGENT-4: edits that could not be placed are told to the model, so it can redo them properly.
    const missed = this.view.unanchored.slice(this.reportedUnanchored);
    this.reportedUnanchored = this.view.unanchored.length;
    const note =
      missed.length === 0
        ? ''
        : `\n\nThese edits from your previous reply could not be applied:\n${missed.map((u) => `- ${u.file}: ${u.reason}`).join('\n')}\n`;
    this.messages.push({ role: 'user', content: context.text + note });
    const state: TurnState = {
      ...newTurnEdits(snapshots),
      controller: new AbortController(),
      stopped: false,
      parser: createEditParser(this.format),
      output: '',
      startedAt: now(),
    };
    this.turn = state;
    this.view.status = 'streaming';
    this.channel.updateRun({ status: 'streaming' });
    this.channel.flush();
    this.recorder.step(
      this.view,
      turn.kind === 'prompt' ? 'started' : 'steered',
      null,
      turn.kind === 'steer' ? turn.instruction : null,
    );
    return state;
  }

  /**
   * Interrupt (AGENT-6): stop applying deltas now, mark open hunks interrupted with their partial text,
   * record who stopped it, then abort upstream. Returns once the final state is written.
   */
  interrupt(by: PublicUser, opts: { continueWith?: string } = {}): void {
    const state = this.turn;
    const startedAt = this.deps.now();
    if (state) {
      state.stopped = true;
      this.edits.closeOpenHunks(state, 'interrupted', by.id);
      this.messages.push({ role: 'assistant', content: `${state.output}\n[interrupted by ${by.name}]` });
    }
    if (opts.continueWith === undefined) {
      this.turns.length = 0;
      this.view.status = 'interrupted';
      this.view.interruptedBy = by.id;
    }
    this.view.metrics.interruptToQuiescenceMs = this.deps.now() - startedAt;
    this.channel.updateRun({
      status: this.view.status,
      interruptedBy: this.view.interruptedBy,
      metrics: { ...this.view.metrics },
    });
    this.channel.flush();
    state?.controller.abort();
    this.turn = null;
    if (opts.continueWith === undefined) this.finish('interrupted', null, by.id);
  }

  /** Steer: `now` interrupts and continues with the new instruction; `queue` runs it after this turn. */
  steer(by: PublicUser, text: string, mode: 'now' | 'queue'): void {
    const steer = { by: by.id, text, at: this.deps.now(), mode };
    this.view.steers = [...this.view.steers, steer];
    // Appended to the run's steers (a Y.Array): watchers receive this steer, not all of them again.
    this.channel.addSteer(steer);
    // A run still waiting for a slot has nothing to interrupt: `now` simply joins the queue.
    if (mode === 'now' && this.turn) {
      this.turns.unshift({ instruction: text, kind: 'steer' });
      this.interrupt(by, { continueWith: text });
    } else {
      this.turns.push({ instruction: text, kind: 'steer' });
      this.channel.flush();
    }
  }

  /**
   * The room was lost to another node (its lease, CLUSTER-51): stop streaming at once and write nothing more,
   * neither to the review doc nor to the store. This process may no longer write the room: every such write
   * would be refused by the fencing check anyway, and the new owner's load marks the run interrupted from
   * what was stored (AGENT-11), with the text every client saw.
   */
  abandon(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.abandoned = true;
    this.turns.length = 0;
    const state = this.turn;
    if (state) state.stopped = true;
    this.turn = null;
    this.channel.abandon();
    state?.controller.abort();
    this.deps.log.warn({ run: this.id, reason }, 'Spark run abandoned: the room moved to another node');
  }

  private fail(reason: string): void {
    if (this.finished) return;
    if (this.turn) this.edits.closeOpenHunks(this.turn, 'interrupted');
    this.view.error = reason;
    this.finish('failed', reason);
  }

  private finish(
    status: 'completed' | 'failed' | 'interrupted',
    error: string | null,
    by: string | null = null,
  ): void {
    if (this.finished) return;
    this.finished = true;
    const now = this.deps.now();
    this.view.status = status;
    this.view.endedAt = now;
    this.updateRate(now);
    this.channel.updateRun({
      status,
      error: this.view.error,
      endedAt: now,
      metrics: { ...this.view.metrics },
    });
    this.channel.close();
    this.presence.leave();
    this.recorder.step(this.view, status, by, error);
    // OPS-8: whoever runs the server sees why runs fail (the room id comes from the logger's bindings).
    // Never the prompt, a redirect's text or the model's output: only the reason and the counts.
    if (status === 'failed') {
      this.deps.log.warn(
        { run: this.id, reason: redactKeys(error ?? 'unknown'), tokens: this.view.metrics.tokens },
        'Spark run failed',
      );
    }
  }

  /** tokens per second since the first token, shown live while streaming and final at the end */
  private updateRate(now: number): void {
    if (this.firstTokenAt === null || this.view.metrics.tokens === 0) return;
    const seconds = (now - this.firstTokenAt) / 1000;
    if (seconds > 0) this.view.metrics.tokensPerSecond = Math.round(this.view.metrics.tokens / seconds);
  }
}

/** An API key an upstream error message might quote (`sk-...`, `csk-...`) is cut to its first characters. */
export function redactKeys(text: string): string {
  return text.replace(/\b((?:sk|csk|key)[-_][A-Za-z0-9]{0,4})[A-Za-z0-9_-]{8,}/g, '$1…');
}
