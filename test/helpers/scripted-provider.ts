import type { AgentEvent, ModelProvider, ModelRequest } from '../../server/agent/model-provider.ts';
import { type Deferred, deferred } from './wait.ts';

/** One scripted turn: text chunks, with gates (`pause()`) the test opens when it wants the stream to go on. */
export type ScriptStep = string | { gate: Deferred<void> } | { error: string };

export interface ScriptedTurn {
  steps: ScriptStep[];
}

/**
 * A model provider for in-process tests of the agent core (no sockets, no SDK): each turn plays the next
 * script, chunk by chunk, and stops at once when its signal aborts, as the real providers do. Gates let a
 * test act (steer, stop, edit) at an exact point of the stream. Every request is recorded.
 */
export class ScriptedProvider implements ModelProvider {
  readonly api = 'responses' as const;
  readonly model: string;
  readonly requests: ModelRequest[] = [];
  /** the signals of the turns asked so far, to check aborts */
  readonly signals: AbortSignal[] = [];
  private readonly scripts: ScriptedTurn[] = [];
  private readonly arrivals: Deferred<void>[] = [];

  constructor(model = 'gpt-5.3-codex-spark') {
    this.model = model;
  }

  /** Queues turns, played in order. */
  script(...turns: ScriptStep[][]): void {
    for (const steps of turns) this.scripts.push({ steps });
  }

  /** Resolves when turn `index` (0-based) has been asked for. */
  async turnStarted(index: number): Promise<ModelRequest> {
    while (this.requests.length <= index) {
      const d = deferred();
      this.arrivals.push(d);
      await d.promise;
    }
    return this.requests[index]!;
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<AgentEvent> {
    this.requests.push(request);
    this.signals.push(signal);
    for (const d of this.arrivals.splice(0)) d.resolve();
    const turn = this.scripts.shift() ?? { steps: ['Nothing to change.\n'] };
    yield { type: 'start' };
    let tokens = 0;
    for (const step of turn.steps) {
      if (signal.aborted) return;
      if (typeof step === 'string') {
        tokens++;
        yield { type: 'text-delta', text: step };
      } else if ('gate' in step) {
        await Promise.race([step.gate.promise, aborted(signal)]);
      } else {
        yield { type: 'error', message: step.error };
        return;
      }
    }
    if (signal.aborted) return;
    yield { type: 'usage', inputTokens: null, outputTokens: tokens };
    yield { type: 'finish', reason: 'stop' };
  }

  async close(): Promise<void> {}
}

/** A gate step: the stream waits there until the test calls `open()`. */
export function pause(): { gate: Deferred<void>; open(): void } {
  const gate = deferred();
  return { gate, open: () => gate.resolve() };
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
