import { createHmac, timingSafeEqual } from 'node:crypto';
import { upgradeWebSocket } from '@hono/node-server';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { WebSocket } from 'ws';
import type { RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import { clientAddress, FORWARDED_FROM, type ForwardedFrom } from '../http/client-address.ts';
import type { Logger } from '../log.ts';
import type { NodeDirectory } from './node-directory.ts';
import type { RoomLeases } from './room-leases.ts';

/** The header a node sets on what it forwards; the owner never forwards such a request again. */
export const FORWARDED_HEADER = 'x-sparkroom-forwarded';
/** The client's address as the forwarding node saw it; believed only beside a valid FORWARDED_HEADER. */
export const CLIENT_ADDRESS_HEADER = 'x-sparkroom-client-address';
/** The id of the node that forwarded the request (logs). */
export const FORWARDED_BY_HEADER = 'x-sparkroom-forwarded-by';

export interface ForwardingDeps {
  leases: RoomLeases;
  nodes: NodeDirectory;
  rooms: RoomService;
  /** the secret every node shares (SPARKROOM_SECRET): forwarded requests carry a proof of it */
  secret: string;
  /** SPARKROOM_TRUST_PROXY: how this node tells a client's address (clientAddress) before forwarding it */
  trustProxy: boolean;
  /**
   * The largest frame the owner may send this node for one client: its answers to a joiner hold the whole
   * document, past the limit on what clients send (SAFE-167), so this is sized from the document limit
   */
  maxOwnerFrameBytes: number;
  /** how often a relay pings the owner; no pong within three of these ends the relay (a frozen owner) */
  heartbeatMs: number;
  log: Logger;
}

/** Frames a relay holds for the owner while its connection opens; more closes the client (as ROOM-4). */
const MAX_QUEUED_FRAMES = 1000;
/** Headers that belong to one hop, not to the request. */
const HOP_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

/**
 * Any node serves any room (CLUSTER-12..15). In front of the room routes: when another live node owns the
 * room, a REST command is sent on to it and its answer returned as is, and a WebSocket is relayed frame by
 * frame over an internal socket to it; when nobody owns the room, this node serves it (the room's load
 * takes the lease). The owner does everything a room does (presence, Spark streams, permissions), so a
 * client sees the same room whichever node it reached. Tokens are checked here first, with the secret all
 * nodes share, so a bad token never costs the owner anything.
 */
export function forwarding(deps: ForwardingDeps): { rest: MiddlewareHandler; sync: MiddlewareHandler } {
  const proof = createHmac('sha256', deps.secret).update('sparkroom cluster forward').digest('base64url');
  const isForwarded = (c: Context) => {
    const got = c.req.header(FORWARDED_HEADER);
    if (got === undefined) return false;
    const a = Buffer.from(got);
    const b = Buffer.from(proof);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  /**
   * On the owner: a request forwarded with the proof keeps who sent it (SAFE-126), so per-address limits
   * and logs see the client, not the relay's loopback address. Without the proof the headers mean nothing.
   */
  const acceptForwarded = (c: Context): void => {
    if (!isForwarded(c)) return;
    const from: ForwardedFrom = {
      address: (c.req.header(CLIENT_ADDRESS_HEADER) ?? 'unknown').slice(0, 100),
      node: (c.req.header(FORWARDED_BY_HEADER) ?? 'unknown').slice(0, 100),
    };
    c.set(FORWARDED_FROM as never, from as never);
    deps.log.debug(
      { client: from.address, via: from.node, method: c.req.method, path: c.req.path },
      'forwarded request',
    );
  };
  /** The headers that carry the proof and who the client is, for the owner. */
  const forwardHeaders = (c: Context): Record<string, string> => ({
    [FORWARDED_HEADER]: proof,
    [CLIENT_ADDRESS_HEADER]: clientAddress(c, deps.trustProxy),
    [FORWARDED_BY_HEADER]: deps.leases.nodeId,
  });

  /** The owner's internal URL when another node owns the room; null to serve it here. */
  const ownerUrl = async (c: Context, roomId: string): Promise<string | null> => {
    if (deps.leases.isHeld(roomId)) return null;
    const owner = await deps.leases.ownerOf(roomId).catch((err: unknown) => {
      throw new AppError('server_busy', `room ownership cannot be checked now: ${(err as Error).message}`);
    });
    if (owner === null || owner === deps.leases.nodeId) return null;
    // Sent here by a node that believed this one owned the room: never bounce it on, the client retries.
    if (isForwarded(c)) throw new AppError('fenced', 'the room is moving between nodes: try again');
    const url = await deps.nodes.addressOf(owner);
    // The owner's lease is alive but the node is not (killed): its lease runs out within seconds.
    if (url === null) throw new AppError('fenced', 'the room is moving to another node: try again');
    return url;
  };

  const rest: MiddlewareHandler = async (c, next) => {
    const roomId = c.req.param('roomId');
    if (!roomId) return next();
    const target = await ownerUrl(c, roomId);
    if (target === null) {
      acceptForwarded(c);
      return next();
    }
    const url = new URL(c.req.url);
    const headers = new Headers();
    c.req.raw.headers.forEach((value, key) => {
      if (!HOP_HEADERS.has(key)) headers.set(key, value);
    });
    for (const [key, value] of Object.entries(forwardHeaders(c))) headers.set(key, value);
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : await c.req.arrayBuffer();
    let res: Response;
    try {
      res = await fetch(target + url.pathname + url.search, {
        method: c.req.method,
        headers,
        body,
        redirect: 'manual',
      });
    } catch (err) {
      throw new AppError('fenced', `the room's node cannot be reached now: ${(err as Error).message}`);
    }
    const out = new Headers(res.headers);
    for (const h of HOP_HEADERS) out.delete(h);
    return new Response(res.body, { status: res.status, headers: out });
  };

  const sync: MiddlewareHandler = async (c: Context, next: Next) => {
    const roomId = c.req.param('roomId');
    if (!roomId || c.req.header('upgrade')?.toLowerCase() !== 'websocket') return next();
    const target = await ownerUrl(c, roomId);
    if (target === null) {
      acceptForwarded(c);
      return next();
    }
    // The same checks as the owner's, here first: a bad token is a 401 before any socket exists.
    await deps.rooms.authenticate(c.req.query('token'), roomId);
    const url = new URL(c.req.url);
    const upstreamUrl = `${target.replace(/^http/, 'ws')}${url.pathname}${url.search}`;
    const headers = forwardHeaders(c);
    const handler = upgradeWebSocket(() => ({
      onOpen: (_event, ctx) => relay(ctx.raw as WebSocket, upstreamUrl, headers),
    }));
    return handler(c, next);
  };

  const relay = (client: WebSocket, upstreamUrl: string, headers: Record<string, string>): void => {
    const upstream = new WebSocket(upstreamUrl, {
      headers,
      maxPayload: deps.maxOwnerFrameBytes,
      perMessageDeflate: false,
    });
    let queue: Buffer[] | null = [];
    // A frozen owner (SIGSTOP, a partition) keeps its TCP connections open and answers nothing: without a
    // heartbeat the client would wait 30 s for its own timeout. No pong for three beats ends the relay, the
    // client reconnects, and meanwhile the owner's lease runs out (CLUSTER-17).
    let missed = 0;
    const heartbeat = setInterval(() => {
      if (upstream.readyState !== upstream.OPEN) return;
      if (++missed > 3) {
        const moved = new AppError('fenced', 'the room’s node stopped answering; reconnecting');
        closeClient(moved.closeCode, moved.message);
        upstream.terminate();
        return;
      }
      upstream.ping();
    }, deps.heartbeatMs);
    heartbeat.unref();
    upstream.on('pong', () => {
      missed = 0;
    });
    const closeClient = (code: number, reason: string) => {
      if (client.readyState === client.OPEN || client.readyState === client.CONNECTING)
        client.close(code, reason);
    };
    client.on('message', (data: Buffer, isBinary) => {
      if (queue) {
        queue.push(data);
        if (queue.length > MAX_QUEUED_FRAMES)
          closeClient(4429, 'too many frames before the room was reached');
      } else if (upstream.readyState === upstream.OPEN) upstream.send(data, { binary: isBinary });
    });
    upstream.on('open', () => {
      for (const frame of queue ?? []) upstream.send(frame, { binary: true });
      queue = null;
    });
    upstream.on('message', (data: Buffer, isBinary) => {
      if (client.readyState === client.OPEN) client.send(data, { binary: isBinary });
    });
    upstream.on('close', (code, reason) => {
      clearInterval(heartbeat);
      // 1005/1006 (no code, abnormal) cannot be sent: the client hears "the room moved", and reconnects.
      const sendable =
        code === 1000 || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) || code >= 3000;
      const moved = new AppError('fenced', 'the room’s node went away; reconnecting');
      closeClient(sendable ? code : moved.closeCode, sendable ? reason.toString() : moved.message);
    });
    upstream.on('unexpected-response', (_req, res) => {
      const moved = new AppError('fenced', `the room's node answered ${res.statusCode}; reconnecting`);
      // A refusal of the owner (401, 403, 404, 410) is the client's answer: close with the owner's code.
      const codes: Record<number, number> = { 401: 4401, 403: 4403, 404: 4404, 410: 4410 };
      const code = codes[res.statusCode ?? 0] ?? moved.closeCode;
      closeClient(code, moved.message);
      upstream.terminate();
    });
    upstream.on('error', (err) => {
      deps.log.debug({ err }, 'relay upstream error');
      const moved = new AppError('fenced', 'the room’s node cannot be reached; reconnecting');
      closeClient(moved.closeCode, moved.message);
    });
    client.on('close', () => {
      clearInterval(heartbeat);
      if (upstream.readyState === upstream.OPEN) upstream.close(1000);
      else upstream.terminate();
    });
    client.on('error', () => upstream.terminate());
  };

  return { rest, sync };
}
