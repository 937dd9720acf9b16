import * as awarenessProtocol from 'y-protocols/awareness';

type Awareness = awarenessProtocol.Awareness;

/** y-protocols' check period: a tenth of the 30 s after which a state not renewed is outdated. */
const CHECK_EVERY_MS = Math.floor(awarenessProtocol.outdatedTimeout / 10);

/**
 * PERF-87: y-protocols' outdated-state check of every loaded document's awareness from one timer. Each
 * `Awareness` starts its own 3 s interval (a Timeout and a closure with its scope, kept for the room's life);
 * `add` clears it and this one timer runs the same check on every awareness in it, at the same period: the
 * local state renewed once it is 15 s old, remote states not renewed for 30 s removed with origin
 * `'timeout'` (y-protocols 1.0.7's `Awareness` constructor, which the check copies; the timestamps are
 * `Date.now()`, as lib0's `getUnixTime`). It runs only while some awareness is in it, unref'd.
 */
class AwarenessChecks {
  private readonly awarenesses = new Set<Awareness>();
  private timer: NodeJS.Timeout | null = null;

  add(awareness: Awareness): void {
    const own = awareness as unknown as { _checkInterval: NodeJS.Timeout | null };
    clearInterval(own._checkInterval ?? undefined);
    // A cleared Timeout still holds its callback and that callback's scope: let both go (destroy's
    // clearInterval(null) does nothing).
    own._checkInterval = null;
    this.awarenesses.add(awareness);
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.checkAll(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  delete(awareness: Awareness): void {
    if (!this.awarenesses.delete(awareness) || this.awarenesses.size > 0 || this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  private checkAll(): void {
    const now = Date.now();
    for (const awareness of this.awarenesses) check(awareness, now);
  }
}

function check(awareness: Awareness, now: number): void {
  const local = awareness.getLocalState();
  const localMeta = awareness.meta.get(awareness.clientID);
  if (local !== null && localMeta && awarenessProtocol.outdatedTimeout / 2 <= now - localMeta.lastUpdated) {
    awareness.setLocalState(local);
  }
  const remove: number[] = [];
  for (const [clientId, meta] of awareness.meta) {
    if (
      clientId !== awareness.clientID &&
      awarenessProtocol.outdatedTimeout <= now - meta.lastUpdated &&
      awareness.states.has(clientId)
    ) {
      remove.push(clientId);
    }
  }
  if (remove.length > 0) awarenessProtocol.removeAwarenessStates(awareness, remove, 'timeout');
}

/** The process's one set of awareness checks. */
export const awarenessChecks = new AwarenessChecks();
