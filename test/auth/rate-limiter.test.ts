import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter } from '../../server/auth/rate-limiter.ts';
import { addressKey } from '../../server/http/client-address.ts';
import { originAllowed } from '../../server/http/origin-check.ts';

describe('KeyedRateLimiter (SAFE-41, SAFE-42, SAFE-44)', () => {
  it('allows `limit` events in any window per key, then says how long until the oldest leaves it', () => {
    const limiter = new KeyedRateLimiter({ limit: 3, windowMs: 1000 });
    expect([0, 100, 200].map((t) => limiter.take('a', t))).toEqual([0, 0, 0]);
    expect(limiter.take('a', 300)).toBe(700);
    expect(limiter.take('b', 300)).toBe(0);
    // A refused event is not counted: at 1000 the first slot is free again.
    expect(limiter.take('a', 999)).toBe(1);
    expect(limiter.take('a', 1000)).toBe(0);
    expect(limiter.take('a', 1001)).toBe(99);
  });

  it('waitMs counts nothing; a limit of 0 allows nothing', () => {
    const limiter = new KeyedRateLimiter({ limit: 1, windowMs: 60_000 });
    for (let i = 0; i < 5; i++) expect(limiter.waitMs('a', 0)).toBe(0);
    limiter.record('a', 0);
    expect(limiter.waitMs('a', 10)).toBe(59_990);
    const none = new KeyedRateLimiter({ limit: 0, windowMs: 60_000 });
    expect(none.take('a', 5)).toBe(60_000);
  });

  it('keeps memory bounded under a flood of new keys, forgetting the least recently used first', () => {
    const limiter = new KeyedRateLimiter({ limit: 2, windowMs: 3_600_000 }, { maxKeys: 1000 });
    limiter.record('old', 0);
    limiter.record('old', 1);
    for (let i = 0; i < 50_000; i++) limiter.record(`k${i}`, 2 + i);
    expect(limiter.size).toBeLessThanOrEqual(1000);
    // The most recent keys are remembered.
    expect(limiter.waitMs('k49999', 60_000)).toBe(0);
    limiter.record('k49999', 60_001);
    expect(limiter.waitMs('k49999', 60_002)).toBeGreaterThan(0);
  });

  it('sweeps keys whose window has passed', () => {
    const limiter = new KeyedRateLimiter({ limit: 5, windowMs: 1000 });
    for (let i = 0; i < 999; i++) limiter.record(`k${i}`, 0);
    expect(limiter.size).toBe(999);
    limiter.record('late', 5000);
    expect(limiter.size).toBe(1);
  });
});

describe('client address keys (SAFE-42, SAFE-44)', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('%s counts as %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});

describe('WebSocket Origin check (WEB-22)', () => {
  const host = '127.0.0.1:8787';
  it.each([
    ['http://127.0.0.1:8787', host, [], true],
    ['https://127.0.0.1:8787', host, [], true],
    ['http://LOCALHOST:8787', 'localhost:8787', [], true],
    ['http://127.0.0.1:8788', host, [], false],
    ['http://evil.example', host, [], false],
    ['http://127.0.0.1:8787.evil.example', host, [], false],
    ['null', host, [], false],
    ['file://', host, [], false],
    ['not a url', host, [], false],
    ['https://code.example.org', host, ['https://code.example.org'], true],
    ['http://code.example.org', host, ['https://code.example.org'], false],
    ['https://code.example.org', undefined, [], false],
  ] as const)('%s with Host %s and allowed %j: %s', (origin, h, allowed, expected) => {
    expect(originAllowed(origin, h, allowed)).toBe(expected);
  });
});
