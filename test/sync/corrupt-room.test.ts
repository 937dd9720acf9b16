import { join } from 'node:path';
import { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY, errorCodes } from '../../schema/protocol.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { once } from '../helpers/wait.ts';
import { connectClient } from '../helpers/y-client.ts';

function validUpdate(): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap(CODE_FILES_KEY).set('src/a.ts', new Y.Text('export const a = 1;\n'.repeat(20)));
  return Y.encodeStateAsUpdate(doc);
}

describe('SAFE-37/SAFE-38: a corrupt room is refused with a do-not-retry code and a log line', () => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  const lines: { level: number; msg: string; room?: string }[] = [];
  const log = pino(
    { level: 'warn' },
    new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );

  it.each([
    // An old row (no checksum) whose bytes cannot be decoded: Yjs throws reading it.
    [
      'an undecodable update from before checksums',
      (u: Uint8Array) => [u.slice(0, u.length - 9), null] as const,
    ],
    // A byte changed on disk after the server wrote it with its checksum.
    [
      'a checksummed update with one byte changed on disk',
      (u: Uint8Array) => {
        const flipped = u.slice();
        flipped[flipped.length - 30]! ^= 0x20;
        return [flipped, crc32(u)] as const;
      },
    ],
  ])(
    '%s: the stock client stops at 4420, REST says room_corrupt, the log names the room',
    async (_what, damage) => {
      server = await startTestServer({ log });
      const { room, people } = await server.roomWith(['owner']);
      const [data, crc] = damage(validUpdate());
      const db = new BetterSqlite3(join(server.dataDir, 'sparkroom.db'));
      db.prepare('INSERT INTO doc_updates (doc_name, seq, data, crc32) VALUES (?, 1, ?, ?)').run(
        room.roomId,
        Buffer.from(data),
        crc,
      );
      db.close();

      const client = connectClient(server.syncUrl, room.roomId, people[0]!.token);
      try {
        const [closed] = await once<[{ code: number; reason: string }]>(client.provider, 'closed');
        expect(closed.code).toBe(errorCodes.room_corrupt.close);
        expect(closed.code).toBeGreaterThanOrEqual(4400);
        expect(closed.code).toBeLessThan(4500);
        // The stock provider gave up: it will not reconnect by itself.
        expect(client.provider.shouldConnect).toBe(false);
        expect(client.provider.wsconnecting).toBe(false);
      } finally {
        client.destroy();
      }
      const res = await api<{ error: { code: string } }>(server.url, 'GET', `/api/rooms/${room.roomId}`, {
        token: people[0]!.token,
      });
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe('room_corrupt');
      const said = lines.filter((l) => l.level === 50 && l.room === room.roomId);
      expect(said.length).toBeGreaterThan(0);
      expect(said[0]!.msg).toContain(`room ${room.roomId} is corrupt`);
    },
  );
});
