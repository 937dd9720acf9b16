import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { RoomService } from '../../server/auth/room-service.ts';
import { createSqliteStores } from '../../server/persistence/sqlite-stores.ts';

// V8's own check, compiled once: the flag only lets this file's function use the `%` syntax.
setFlagsFromString('--allow-natives-syntax');
const isInternalized = new Function('value', 'return %IsInternalizedString(value)') as (v: string) => boolean;

describe("PERF-162: a socket's role is the protocol's constant", () => {
  it("PERF-162: a member authenticated from SQLite carries the role as the one constant string, not the row's copy; a changed role reads as before", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkroom-role-'));
    const stores = createSqliteStores(join(dir, 'sparkroom.db'));
    try {
      const service = new RoomService({
        store: stores.roomStore,
        secret: 'test-secret-of-at-least-32-characters!!',
        tokenTtlSeconds: 3600,
        now: () => Date.now(),
      });
      const room = await service.createRoom('r');
      const { token, user } = await service.join(room.roomId, room.invites.editor, 'ada');
      const authed = await service.authenticate(token, room.roomId);
      expect(authed.role).toBe('editor');
      // On main: the string better-sqlite3 made from the row, 24 B kept by every open socket.
      expect(isInternalized(authed.role)).toBe(true);
      // AUTH-5 as before: the member's current role, not the token's.
      await service.changeRole(room.roomId, user.id, 'viewer');
      const after = await service.authenticate(token, room.roomId);
      expect(after.role).toBe('viewer');
      expect(isInternalized(after.role)).toBe(true);
    } finally {
      stores.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
