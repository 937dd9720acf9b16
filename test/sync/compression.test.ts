import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { until } from '../helpers/wait.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

/** The project's own server sources: real code, so the ratio is what a real repository gets. */
function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) files.set(full, readFileSync(full, 'utf8'));
    }
  };
  walk(join(import.meta.dirname, '../../server'));
  return files;
}

/** Bytes the client's TCP socket read until its first round trip (the join) completed. */
async function joinRoom(url: string, compress: boolean): Promise<{ client: RawClient; bytes: number }> {
  const client = await openRawClient(url, { compress });
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  await client.roundTrip(30_000);
  return { client, bytes: socket.bytesRead };
}

describe('joining a big room costs compressed bytes (PERF-1)', () => {
  let server: TestServer;
  const cleanup: (() => void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) fn();
    await server.close();
  });

  it('PERF-1: a joiner that offers permessage-deflate receives the room compressed, the same text', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['editor', 'viewer']);
    const writer = connectClient(server.syncUrl, room.roomId, people[0]!.token);
    cleanup.push(() => writer.destroy());
    await whenSynced(writer);
    let total = 0;
    let n = 0;
    // About 1.5 MB of real TypeScript in a few hundred files.
    for (let round = 0; total < 1.5 * 1024 * 1024; round++) {
      for (const [, text] of sourceFiles()) {
        writer.edit(`r${round}/f${n++}.ts`, (t) => t.insert(0, text));
        total += text.length;
      }
    }
    const last = `r${Math.floor((n - 1) / sourceFiles().size)}/f${n - 1}.ts`;
    const url = syncSocketUrl(server.syncUrl, room.roomId, people[1]!.token);
    // A first reader sees the last file once the server has stored and relayed everything.
    const seen = await joinRoom(url, true);
    cleanup.push(() => seen.client.close());
    const files = seen.client.doc.getMap('files');
    await until(
      () => files.size === n,
      (fn) => {
        seen.client.doc.on('update', fn);
        return () => seen.client.doc.off('update', fn);
      },
      60_000,
      `${n} files`,
    );
    const plain = await joinRoom(url, false);
    const packed = await joinRoom(url, true);
    cleanup.push(
      () => plain.client.close(),
      () => packed.client.close(),
    );
    expect(plain.client.ws.extensions).toBe('');
    expect(packed.client.ws.extensions).toContain('permessage-deflate');
    // Both hold every file with the same text.
    expect(packed.client.text(last)).toBe(plain.client.text(last));
    expect(packed.client.doc.getMap('files').size).toBe(n);
    console.log(
      `join of ${(total / 1e6).toFixed(2)} MB of text in ${n} files: ${(plain.bytes / 1e6).toFixed(2)} MB plain, ${(packed.bytes / 1e6).toFixed(2)} MB compressed`,
    );
    expect(plain.bytes).toBeGreaterThan(total);
    expect(packed.bytes).toBeLessThan(plain.bytes / 2.5);
  });

  it('PERF-1: SPARKROOM_COMPRESS_ABOVE_BYTES=0 turns compression off', async () => {
    server = await startTestServer({ limits: { compressAboveBytes: 0 } });
    const { room, people } = await server.roomWith(['editor']);
    const { client } = await joinRoom(syncSocketUrl(server.syncUrl, room.roomId, people[0]!.token), true);
    cleanup.push(() => client.close());
    expect(client.ws.extensions).toBe('');
  });
});
