import { describe, expect, it } from 'vitest';
import { inviteUrl, parseRoute } from '../../../client/web/src/routes.ts';
import { isExpired, readClaims, SessionStore } from '../../../client/web/src/session-store.ts';

describe('routes', () => {
  it('reads the start page, rooms and invite links (invite in the hash, never the path)', () => {
    expect(parseRoute('/', '')).toEqual({ page: 'start' });
    expect(parseRoute('/r/abc_DEF-1', '')).toEqual({ page: 'room', roomId: 'abc_DEF-1' });
    expect(parseRoute('/join/abc', '#invite=tok%2Bx')).toEqual({
      page: 'join',
      roomId: 'abc',
      invite: 'tok+x',
    });
    expect(parseRoute('/join/abc', '')).toEqual({ page: 'join', roomId: 'abc', invite: null });
    expect(parseRoute('/r/bad%20id', '')).toEqual({ page: 'not-found' });
    expect(parseRoute('/elsewhere', '')).toEqual({ page: 'not-found' });
    const url = new URL(inviteUrl('http://h:1', 'abc', 'tok+x'));
    expect(parseRoute(url.pathname, url.hash)).toEqual({ page: 'join', roomId: 'abc', invite: 'tok+x' });
  });
});

describe('session store', () => {
  const memory = (): Storage => {
    const m = new Map<string, string>();
    return {
      getItem: (k) => m.get(k) ?? null,
      setItem: (k, v) => void m.set(k, v),
      removeItem: (k) => void m.delete(k),
      clear: () => m.clear(),
      key: () => null,
      get length() {
        return m.size;
      },
    };
  };

  it('remembers the display name and one token per room, newest first', () => {
    const store = new SessionStore(memory());
    store.displayName = 'Ada';
    const user = { id: 'u1', name: 'Ada', role: 'editor' as const };
    store.save({ roomId: 'r1', roomName: 'One', token: 't1', user, joinedAt: 1 });
    store.save({ roomId: 'r2', roomName: 'Two', token: 't2', user, joinedAt: 2 });
    store.save({ roomId: 'r1', roomName: 'One', token: 't1b', user, joinedAt: 3 });
    expect(store.displayName).toBe('Ada');
    expect(store.sessions().map((s) => s.token)).toEqual(['t1b', 't2']);
    store.forget('r2');
    expect(store.session('r2')).toBeNull();
  });

  it('saveJoin remembers the name typed and the seat the join returned, for the room it names', () => {
    const store = new SessionStore(memory());
    const user = { id: 'u1', name: 'Ada', role: 'owner' as const };
    store.saveJoin('Ada', { token: 't1', user, room: { id: 'r1', name: 'One' } }, 5);
    expect(store.displayName).toBe('Ada');
    expect(store.session('r1')).toEqual({ roomId: 'r1', roomName: 'One', token: 't1', user, joinedAt: 5 });
  });

  it('works (remembering nothing) without storage', () => {
    const store = new SessionStore(null);
    store.displayName = 'Ada';
    expect(store.displayName).toBeNull();
    expect(store.sessions()).toEqual([]);
  });

  it('reads token claims for display and expiry', () => {
    const claims = { sub: 'u1', room: 'r', role: 'viewer', name: 'Zoë', exp: 100 };
    const token = `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    expect(readClaims(token)).toEqual(claims);
    expect(isExpired(token, 99_000)).toBe(false);
    expect(isExpired(token, 100_000)).toBe(true);
    expect(readClaims('nonsense')).toBeNull();
  });
});
