/**
 * Waits until `check` returns a value other than undefined/false, re-checking whenever `subscribe`
 * signals a change. Event-driven, not a sleep: the timeout only bounds a test that would otherwise hang.
 */
export function until<T>(
  check: () => T | undefined | false,
  subscribe: (onChange: () => void) => () => void,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = check();
    if (first !== undefined && first !== false) {
      resolve(first);
      return;
    }
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    unsubscribe = subscribe(() => {
      const value = check();
      if (value !== undefined && value !== false) {
        clearTimeout(timer);
        unsubscribe();
        resolve(value);
      }
    });
  });
}

/** Resolves on the first emission of `event` from a Node-style or lib0-style emitter. */
export function once<A extends unknown[]>(
  emitter: { on(e: string, f: (...a: A) => void): unknown; off(e: string, f: (...a: A) => void): unknown },
  event: string,
  timeoutMs = 10_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const handler = (...args: A) => {
      clearTimeout(timer);
      emitter.off(event, handler);
      resolve(args);
    };
    emitter.on(event, handler);
  });
}

/** A promise with its resolve/reject exposed, for making a fake store or provider wait on the test. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Lets `n` event-loop turns pass (setImmediate, not a timer): the room group-commits and checks for idleness
 * on the next turn, so code under test that schedules with setImmediate has run after this.
 */
export async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
