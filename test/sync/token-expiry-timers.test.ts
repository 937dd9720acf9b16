import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Expiring, ExpiryWatch } from '../../server/sync/expiry-watch.ts';
import { openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('token expiries of open sockets (AUTH-8, PERF-88)', () => {
  let server: TestServer | null = null;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = null;
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('PERF-88 (AUTH-8): the token expiries of every open socket are one timer, not one per socket', async () => {
    const ttlMs = 3600 * 1000;
    server = await startTestServer({ limits: { tokenTtlSeconds: ttlMs / 1000 } });
    const { room, people } = await server.roomWith(['owner', 'editor', 'editor', 'viewer', 'editor']);
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    for (const person of people) {
      const c = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, person.token));
      clients.push(c);
      await c.roundTrip();
    }
    // The timers set for a token's expiry (its delay within a minute of the token's life). Before, one per
    // socket: five Timeouts with their closures, each its own Node timer list (a delay of its own in ms).
    const expiryTimers = timeouts.mock.calls.filter(
      ([, delay]) => typeof delay === 'number' && delay > ttlMs - 60_000 && delay <= ttlMs,
    );
    expect(expiryTimers.length).toBe(1);
  });

  it('PERF-88 (AUTH-8): each watched socket expires at its own deadline, not before; one leaving early is dropped', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const watch = new ExpiryWatch(() => Date.now());
    const expired: string[] = [];
    const item = (name: string, inMs: number): Expiring => ({
      expiresAt: Date.now() + inMs,
      expire: () => expired.push(name),
    });
    const [late, early, same, gone] = [
      item('late', 3000),
      item('early', 1000),
      item('same', 1000),
      item('gone', 500),
    ];
    for (const i of [late, early, same, gone]) watch.add(i);
    expect(vi.getTimerCount()).toBe(1);
    watch.delete(gone);
    vi.advanceTimersByTime(999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['early', 'same']);
    vi.advanceTimersByTime(1999);
    expect(expired).toEqual(['early', 'same']);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['early', 'same', 'late']);
    expect(vi.getTimerCount()).toBe(0);
    // Already due: expires at once, nothing armed.
    watch.add(item('due', 0));
    expect(expired.at(-1)).toBe('due');
    expect(vi.getTimerCount()).toBe(0);
    // The last one leaving clears the timer.
    const solo = item('solo', 10_000);
    watch.add(solo);
    watch.delete(solo);
    expect(vi.getTimerCount()).toBe(0);
    expect(watch.size).toBe(0);
  });
});
