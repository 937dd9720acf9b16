import { describe, expect, it } from 'vitest';
import { countLive } from './live-objects.ts';

/** The leak checks rely on this count, so it is checked against objects the test holds and drops. */
describe('countLive', () => {
  it('counts the live instances of a class, and not those that became garbage', async () => {
    class Probe {
      readonly payload = new Array(10).fill(0);
    }
    let held: Probe[] = Array.from({ length: 7 }, () => new Probe());
    expect(await countLive(Probe.prototype)).toBe(7);
    held = held.slice(0, 2);
    expect(await countLive(Probe.prototype)).toBe(2);
    expect(held).toHaveLength(2);
  });
});
