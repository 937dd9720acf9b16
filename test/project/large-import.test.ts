import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportResponse } from '../../schema/protocol.ts';
import { uploadArchive } from '../helpers/archive-upload.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { syntheticTree } from '../helpers/project-tree.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

let server: TestServer;
beforeAll(async () => {
  // Compacting a 15 MB document (ROOM-5) is one long synchronous encode and write of its own, whatever
  // filled the document; SPEC "Not held yet" has its figures. Here the import's own work is measured.
  server = await startTestServer({ limits: { compactAfterBytes: 1024 ** 3 } });
});
afterAll(async () => {
  await server?.close();
});

describe('SAFE-62: a big import never holds the event loop', () => {
  it('2,000 files / 15 MB import while a person types: loop stalls stay far below 500 ms', async () => {
    const { room, people } = await server.roomWith(['owner', 'editor']);
    const tree = syntheticTree(2000, 15 * 1024 * 1024);
    const enc = new TextEncoder();
    const archive = zipSync(Object.fromEntries(Object.entries(tree).map(([p, t]) => [p, enc.encode(t)])), {
      level: 1,
    });
    const typist = connectClient(server.syncUrl, room.roomId, people[0]!.token);
    const reader = connectClient(server.syncUrl, room.roomId, people[1]!.token);
    await whenSynced(typist);
    await whenSynced(reader);
    let typed = 0;
    let typing = true;
    const type = () => {
      if (!typing) return;
      typist.edit('NOTES.md', (t) => t.insert(t.length, `${typed++}\n`));
      setTimeout(type, 20);
    };
    const started = performance.now();
    const { result, stall } = await measureStall(async () => {
      type();
      return uploadArchive<ImportResponse>(server.url, room.roomId, people[1]!.token, archive);
    });
    const durationMs = performance.now() - started;
    typing = false;
    expect(result.status).toBe(200);
    expect(result.body.created).toHaveLength(2000);
    // The person kept typing during the import and their words reached the other client.
    await reader.waitForText('NOTES.md', (t) => t.endsWith(`${typed - 1}\n`), 20_000);
    await reader.waitForText('src/module-39/file-1999.ts', (t) => t === tree['src/module-39/file-1999.ts']);
    expect(typed).toBeGreaterThan(5);
    // This process runs the server and the test's clients, on a machine other work shares. The bound is
    // loose (500 ms), and relative on a busy machine: an import done in one turn stalls for about half of
    // its duration, a sliced one for a small fraction of it, whatever the load slows both by.
    expect({ stallMs: Math.round(stall.maxMs), durationMs: Math.round(durationMs) }).toSatisfy(
      (r: { stallMs: number; durationMs: number }) => r.stallMs < Math.max(500, r.durationMs / 8),
    );
    typist.destroy();
    reader.destroy();
  }, 120_000);
});
