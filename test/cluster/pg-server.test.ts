import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createTestSchema } from '../helpers/test-services.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

describe('one node on PostgreSQL (CLUSTER-1)', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('CLUSTER-1: with SPARKROOM_DATABASE_URL the server keeps rooms, people and edits in PostgreSQL across a restart', async () => {
    const { url, schema, drop } = await createTestSchema();
    cleanup.push(drop);
    const env = { SPARKROOM_DATABASE_URL: url, SPARKROOM_DATABASE_SCHEMA: schema };
    let server: TestServer = await startTestServer({ env });
    cleanup.push(() => server.close());
    const { room, people } = await server.roomWith(['editor', 'editor']);
    const a = connectClient(server.syncUrl, room.roomId, people[0]!.token);
    const b = connectClient(server.syncUrl, room.roomId, people[1]!.token);
    cleanup.push(
      () => a.destroy(),
      () => b.destroy(),
    );
    await Promise.all([whenSynced(a), whenSynced(b)]);
    a.edit('main.ts', (t) => t.insert(0, 'start;'));
    await b.waitForText('main.ts', (s) => s === 'start;');
    for (let i = 0; i < 20; i++) a.edit('main.ts', (t) => t.insert(t.length, `a${i};`));
    b.edit('main.ts', (t) => t.insert(0, '// b\n'));
    await a.waitForText('main.ts', (s) => s.includes('// b') && s.includes('a19;'));
    await b.waitForText('main.ts', (s) => s === a.text('main.ts'));
    const expected = a.text('main.ts');
    a.destroy();
    b.destroy();
    // A new data directory: nothing of the room can come from a SQLite file.
    await server.close();
    server = await startTestServer({ env });
    const c = connectClient(server.syncUrl, room.roomId, people[1]!.token);
    cleanup.push(() => c.destroy());
    await whenSynced(c);
    expect(c.text('main.ts')).toBe(expected);
  });
});
