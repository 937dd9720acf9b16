/**
 * Waits for a condition that has no event to subscribe to (the registry unloads a room on a later
 * event-loop turn and tells no one). It re-checks every few milliseconds and fails after `timeoutMs`:
 * a bounded poll of state, not a sleep standing in for an event.
 */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
}
