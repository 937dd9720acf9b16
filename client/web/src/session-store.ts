import type { JoinResponse, PublicUser, TokenClaims } from '../../../schema/protocol.ts';

/** One room this browser has joined. The token is personal: it never leaves this browser. */
export interface StoredSession {
  roomId: string;
  roomName: string;
  token: string;
  user: PublicUser;
  joinedAt: number;
}

const NAME_KEY = 'sparkroom.displayName';
const SESSIONS_KEY = 'sparkroom.sessions';

/**
 * What the web app remembers in localStorage: the display name (asked once) and a personal token per
 * room. Storage can be unavailable (private mode, quotas): then nothing is remembered, nothing breaks.
 */
export class SessionStore {
  constructor(private readonly storage: Storage | null = safeLocalStorage()) {}

  get displayName(): string | null {
    return this.read(NAME_KEY);
  }

  set displayName(name: string | null) {
    if (name) this.write(NAME_KEY, name);
  }

  sessions(): StoredSession[] {
    try {
      const parsed = JSON.parse(this.read(SESSIONS_KEY) ?? '[]') as unknown;
      return Array.isArray(parsed) ? (parsed as StoredSession[]) : [];
    } catch {
      return [];
    }
  }

  session(roomId: string): StoredSession | null {
    return this.sessions().find((s) => s.roomId === roomId) ?? null;
  }

  save(session: StoredSession): void {
    const rest = this.sessions().filter((s) => s.roomId !== session.roomId);
    this.write(SESSIONS_KEY, JSON.stringify([session, ...rest].slice(0, 50)));
  }

  /** Remembers a join: the display name (so it is asked once) and the personal token for the room. */
  saveJoin(name: string, joined: JoinResponse, now = Date.now()): void {
    this.displayName = name;
    this.save({
      roomId: joined.room.id,
      roomName: joined.room.name,
      token: joined.token,
      user: joined.user,
      joinedAt: now,
    });
  }

  forget(roomId: string): void {
    this.write(SESSIONS_KEY, JSON.stringify(this.sessions().filter((s) => s.roomId !== roomId)));
  }

  private read(key: string): string | null {
    try {
      return this.storage?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }

  private write(key: string, value: string): void {
    try {
      this.storage?.setItem(key, value);
    } catch {
      // Full or blocked storage: the session simply is not remembered.
    }
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The claims of a personal token, for display and expiry only (the server verifies the signature). */
export function readClaims(token: string): TokenClaims | null {
  try {
    const body = token.slice(0, token.indexOf('.'));
    const json = atob(body.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as TokenClaims;
  } catch {
    return null;
  }
}

export function isExpired(token: string, now = Date.now()): boolean {
  const claims = readClaims(token);
  return claims !== null && claims.exp * 1000 <= now;
}
