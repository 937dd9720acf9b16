import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths, type CreateRoomResponse, type JoinResponse } from '../../schema/protocol.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster-nodes.ts';
import { allowStockClients, connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

/**
 * A POST from a chosen loopback address: Linux routes all of 127.0.0.0/8 to the loopback interface, so each
 * of these is a different client to the nodes, while every node's relay to another node comes from 127.0.0.1.
 */
function postFrom(
  localAddress: string,
  baseUrl: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, baseUrl);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('limits across nodes', { timeout: 120_000 }, () => {
  allowStockClients(2);
  let cluster: TestCluster | null = null;
  const clients: YClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await cluster?.close();
    cluster = null;
  });

  it('SAFE-126, SAFE-127: forwarded joins count against the real client address at the owner; per-address limits hold across 3 nodes', async () => {
    cluster = await startTestCluster(3, {
      env: {
        SPARKROOM_JOINS_PER_ADDRESS_PER_HOUR: '3',
        SPARKROOM_ROOMS_PER_ADDRESS_PER_HOUR: '2',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
      },
    });
    const [a, b, c] = cluster.nodes as [
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
    ];
    let ownerLog = '';
    a.child.stdout?.on('data', (chunk: Buffer | string) => {
      ownerLog += chunk.toString();
    });
    const forwardedRequests = () =>
      ownerLog
        .split('\n')
        .slice(0, -1) // the text after the last newline is a line still on its way
        .filter((line) => line.includes('"forwarded request"'))
        .map((line) => JSON.parse(line) as { client: string; via: string; path: string });
    /** The owner's answer can reach the client before its log line reaches this process: wait for the line. */
    const whenLogged = (client: string, via: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!forwardedRequests().some((f) => f.client === client && f.via === via)) return;
          clearTimeout(timer);
          a.child.stdout?.off('data', check);
          resolve();
        };
        const timer = setTimeout(() => {
          a.child.stdout?.off('data', check);
          reject(new Error(`the owner never logged the request of ${client} via ${via}`));
        }, 10_000);
        a.child.stdout?.on('data', check);
        check();
      });

    const created = await postFrom('127.0.0.4', a.url, apiPaths.rooms, { name: 'limits' });
    expect(created.status).toBe(201);
    const room = created.body as CreateRoomResponse;
    const join = (from: string, node: { url: string }) =>
      postFrom(from, node.url, apiPaths.join(room.roomId), { invite: room.invites.editor, name: from });

    // Node a owns the room while a person is in it through a: joins reaching b and c are forwarded there.
    const host = await join('127.0.0.5', a);
    expect(host.status).toBe(200);
    const client = connectClient(a.syncUrl, room.roomId, (host.body as JoinResponse).token);
    clients.push(client);
    await whenSynced(client, 30_000);

    // Client X spreads its joins over b and c: the owner counts them all as X's, and refuses the fourth.
    expect((await join('127.0.0.2', b)).status).toBe(200);
    expect((await join('127.0.0.2', c)).status).toBe(200);
    expect((await join('127.0.0.2', b)).status).toBe(200);
    const fourth = await join('127.0.0.2', c);
    expect(fourth.status).toBe(429);
    expect((fourth.body as { error: { message: string } }).error.message).toMatch(/too many joins/);
    // Client Y, forwarded by the same nodes, still joins: the relay's own loopback address is not the key.
    expect((await join('127.0.0.3', b)).status).toBe(200);
    expect((await join('127.0.0.3', c)).status).toBe(200);
    // The owner knows who sent what, and through which node.
    await whenLogged('127.0.0.3', 'node2');
    const forwarded = forwardedRequests();
    expect(forwarded).toContainEqual(
      expect.objectContaining({ client: '127.0.0.2', via: 'node1', path: apiPaths.join(room.roomId) }),
    );
    expect(forwarded).toContainEqual(
      expect.objectContaining({ client: '127.0.0.3', via: 'node2', path: apiPaths.join(room.roomId) }),
    );
    expect(forwarded.some((f) => f.client === '127.0.0.1')).toBe(false);

    // Creating rooms is never forwarded (there is no room yet): the allowance is kept in Redis, so two
    // rooms per hour means two across all three nodes, not two on each.
    expect((await postFrom('127.0.0.6', a.url, apiPaths.rooms, { name: 'one' })).status).toBe(201);
    expect((await postFrom('127.0.0.6', b.url, apiPaths.rooms, { name: 'two' })).status).toBe(201);
    const third = await postFrom('127.0.0.6', c.url, apiPaths.rooms, { name: 'three' });
    expect(third.status).toBe(429);
    expect((await postFrom('127.0.0.7', c.url, apiPaths.rooms, { name: 'other' })).status).toBe(201);
  });
});
