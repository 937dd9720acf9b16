import * as Y from 'yjs';

type DocEvents = Y.Doc extends { emit(name: infer N, ...rest: never[]): void } ? N : never;

/**
 * The room's Y.Doc, with lib0's `emit` skipping its copy where there is nothing to protect (PERF-75). Yjs
 * emits five or six events per transaction (before and after it, its cleanup, after all of them), and lib0
 * copies each event's listener set into a new array first, and makes an empty Map to copy from when there is
 * no set, so that a listener added during the event is not called. With no listener there is nothing to
 * call; with one, it is called and nothing else is read from the set, as in the copy. With more, lib0's
 * own `emit` runs.
 */
export class RoomYDoc extends Y.Doc {
  override emit(name: DocEvents, args: unknown[]): void {
    const observers = this._observers.get(name);
    if (observers === undefined) return;
    if (observers.size === 1) {
      for (const listener of observers) {
        listener(...args);
        return;
      }
    }
    super.emit(name as never, args as never);
  }
}
