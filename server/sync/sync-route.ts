import { upgradeWebSocket } from '@hono/node-server';
import { Hono } from 'hono';
import type { WebSocket } from 'ws';
import { REVIEW_SUFFIX, type Role, SYNC_PATH } from '../../schema/protocol.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError, toAppError } from '../errors.ts';
import { originAllowed } from '../http/origin-check.ts';
import type { Logger } from '../log.ts';
import type { Connection, DocKind } from '../rooms/connection.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import type { RoomSocket, SharedMessage } from '../rooms/room-socket.ts';
import { roomIdParam } from '../route-params.ts';
import { deflatedFor, writeDeflated } from './deflated-send.ts';
import { type Expiring, ExpiryWatch } from './expiry-watch.ts';
import { sendShared } from './framed-send.ts';
import { type LiveSocket, LiveSockets } from './live-sockets.ts';
import { closeFrameFlushed, stopParsing } from './stop-parsing.ts';

export interface SyncRouteDeps {
  rooms: RoomService;
  registry: RoomRegistry;
  log: Logger;
  /** frames queued per socket while its room loads; more closes the socket */
  maxQueuedFrames?: number;
  /** the open sockets, for role changes, removals and room deletions; a private set when absent */
  sockets?: LiveSockets;
  /**
   * messages at least this large go through ws.send, which compresses them for clients that offer it
   * (SPARKROOM_COMPRESS_ABOVE_BYTES, PERF-1); smaller broadcasts are framed once for every socket (PERF-21)
   */
  compressAboveBytes?: number;
  /** origins besides the server's own whose pages may open sockets (SPARKROOM_ALLOWED_ORIGINS) */
  allowedOrigins?: readonly string[];
  now?: () => number;
}

/** Without compression, broadcasts up to this size are framed once for every socket (PERF-21). */
const PLAIN_FRAMED_MAX_BYTES = 64 * 1024;
/** How long a closing socket gets to finish the close handshake before it is cut (slow readers never do). */
const CLOSE_GRACE_MS = 2000;
/**
 * SAFE-174: how long a refused socket whose close frame and FIN have left for the kernel may stay after the
 * grace, its bytes discarded as they arrive, until its client has read them and closes its side (ws's own
 * close timeout is 30 s). It costs a descriptor and kernel buffers, no parsing and no JavaScript per frame.
 */
const REFUSED_LINGER_MS = 10_000;

/**
 * The y-websocket endpoints: `/sync/:roomId` (code doc) and `/sync/:roomId/review`. Authentication and
 * the room's existence are checked before the upgrade, so a bad token is a 401/403 and the stock client
 * never holds an open socket it may not use. After the upgrade this is a thin adapter: ws frames become
 * Uint8Array and go to the transport-free Room.
 */
export function syncRoutes(deps: SyncRouteDeps): Hono {
  const app = new Hono();
  const maxQueued = deps.maxQueuedFrames ?? 1000;
  const sockets = deps.sockets ?? new LiveSockets();
  const allowedOrigins = deps.allowedOrigins ?? [];
  const now = deps.now ?? Date.now;
  const compressAbove = deps.compressAboveBytes ?? 0;
  const plainBelow = compressAbove > 0 ? compressAbove : PLAIN_FRAMED_MAX_BYTES;

  // Events are created before the upgrade: a throw here becomes a 401/403/404 response, not a socket.
  const upgrade = (kind: DocKind) =>
    upgradeWebSocket(async (c) => {
      // WEB-22: a browser page of another site may not open sockets here (checked before anything else).
      const origin = c.req.header('origin');
      if (origin !== undefined && !originAllowed(origin, c.req.header('host'), allowedOrigins)) {
        throw new AppError(
          'bad_origin',
          `pages from ${origin.slice(0, 100)} may not open this server's rooms`,
        );
      }
      const roomId = roomIdParam(c.req.param('roomId'));
      // The room's existence and the member's current role and standing are checked here (AUTH-5..7).
      const user = await deps.rooms.authenticate(c.req.query('token'), roomId);
      return {
        onOpen: (_event, ctx) => {
          const ws = ctx.raw as WebSocket;
          const before = adapterEvents.map((e) => new Set(ws.listeners(e)));
          attach(ws, user, kind);
          const ours = adapterEvents.map((e) => new Set(ws.listeners(e)));
          // PERF-32: right after onOpen the adapter adds its own message, close and error listeners, which
          // hold the upgrade's whole request (its Hono context, headers, URL) for the socket's life and copy
          // every binary frame into a MessageEvent nobody reads. This route reads the ws directly: they go.
          queueMicrotask(() => {
            adapterEvents.forEach((event, i) => {
              for (const fn of ws.listeners(event)) {
                if (!before[i]!.has(fn) && !ours[i]!.has(fn)) ws.off(event, fn as () => void);
              }
            });
          });
        },
      };
    });

  // PERF-82: what every socket shares, so a socket is two small objects with methods, not a dozen closures.
  const expiries = new ExpiryWatch(now);
  const shared: SyncSocketShared = { deps, sockets, maxQueued, now, plainBelow, expiries };
  const attach = (ws: WebSocket, user: AuthUser, kind: DocKind): void => {
    new SyncSocket(shared, ws, user, kind).start();
  };

  app.get(`${SYNC_PATH}/:roomId`, upgrade('code'));
  app.get(`${SYNC_PATH}/:roomId/${REVIEW_SUFFIX}`, upgrade('review'));
  return app;
}

/** The events @hono/node-server's upgradeWebSocket listens to on each socket it opens. */
const adapterEvents = ['message', 'close', 'error'] as const;

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** What every sync socket of one route shares. */
interface SyncSocketShared {
  deps: SyncRouteDeps;
  sockets: LiveSockets;
  maxQueued: number;
  now: () => number;
  plainBelow: number;
  /** AUTH-8: the open sockets' token expiries, one timer for all (PERF-88) */
  expiries: ExpiryWatch;
}

/** The ws side of one socket as the room core sees it (RoomSocket). */
class WsRoomSocket implements RoomSocket {
  private readonly ws: WebSocket;
  private readonly plainBelow: number;
  private graceTimer: NodeJS.Timeout | null = null;
  /**
   * PERF-150: what was sent after a whole message whose deflate is still running, in order, with the bytes
   * it holds; written once that message is. Null when nothing waits.
   */
  private held: { sends: (() => void)[]; bytes: number } | null = null;
  /** set by a refusal: frames behind it are neither parsed nor handled (SAFE-136) */
  refused = false;

  constructor(ws: WebSocket, plainBelow: number) {
    this.ws = ws;
    this.plainBelow = plainBelow;
  }

  send(data: Uint8Array): void {
    if (this.held) this.hold(data.byteLength, () => this.send(data));
    else this.ws.send(data);
  }

  sendShared(message: SharedMessage): void {
    if (this.held) this.hold(message.data.byteLength, () => this.sendShared(message));
    else sendShared(this.ws, message, this.plainBelow);
  }

  /**
   * PERF-150: a message prepared once (a joiners' base, deflated on the thread pool) is written as its ready
   * frame on a socket whose permessage-deflate matches it; a socket without deflate, or with other window
   * bits, gets ws.send as before. While its deflate still runs, the socket waits for it (it started before
   * this socket asked and costs what ws's own deflate would) and whatever is sent meanwhile waits behind it,
   * so messages keep their order.
   */
  sendWhole(message: SharedMessage): void {
    if (this.held) {
      this.hold(message.data.byteLength, () => this.sendWhole(message));
      return;
    }
    const prepared = deflatedFor(this.ws, message);
    if (prepared === null) {
      this.ws.send(message.data);
      return;
    }
    if (prepared.ready === null) {
      writeDeflated(this.ws, message, prepared);
      return;
    }
    const held = { sends: [] as (() => void)[], bytes: message.data.byteLength };
    this.held = held;
    void prepared.ready.then(() => {
      this.held = null;
      // A socket closed meanwhile gets nothing more (its close frame has gone out already).
      if (this.ws.readyState !== this.ws.OPEN) return;
      writeDeflated(this.ws, message, prepared);
      for (const send of held.sends) send();
    });
  }

  private hold(bytes: number, send: () => void): void {
    this.held!.sends.push(send);
    this.held!.bytes += bytes;
  }

  close(code: number, reason: string): void {
    const ws = this.ws;
    if (ws.readyState === ws.CLOSED) return;
    ws.close(code, reason);
    this.graceTimer = setTimeout(() => this.graceOver(), CLOSE_GRACE_MS);
  }

  /** The close handshake did not finish in the grace: cut the socket, unless a refused one lingers (SAFE-174). */
  private graceOver(): void {
    const ws = this.ws;
    if (this.refused && closeFrameFlushed(ws)) {
      this.graceTimer = setTimeout(() => ws.terminate(), REFUSED_LINGER_MS - CLOSE_GRACE_MS);
    } else ws.terminate();
  }

  stopReading(): void {
    this.refused = true;
    stopParsing(this.ws);
  }

  /** ws's buffer, and what waits behind a whole message being deflated (counted as ws counts its queue) */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount + (this.held?.bytes ?? 0);
  }

  /** the socket closed: the grace timer has nothing left to cut */
  closed(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
  }
}

/**
 * One sync socket after its upgrade: frames wait in a queue while its room loads (ROOM-4), then go to the
 * room; access changes reach it through LiveSockets, loaded room or not (AUTH-5..7, SAFE-43).
 */
class SyncSocket implements LiveSocket, Expiring {
  private readonly shared: SyncSocketShared;
  private readonly ws: WebSocket;
  private user: AuthUser;
  private readonly kind: DocKind;
  private readonly socket: WsRoomSocket;
  private room: Room | null = null;
  private conn: Connection | null = null;
  private queue: Uint8Array[] | null = [];
  private gone = false;

  constructor(shared: SyncSocketShared, ws: WebSocket, user: AuthUser, kind: DocKind) {
    this.shared = shared;
    this.ws = ws;
    this.user = user;
    this.kind = kind;
    this.socket = new WsRoomSocket(ws, shared.plainBelow);
  }

  get roomId(): string {
    return this.user.roomId;
  }

  get userId(): string {
    return this.user.id;
  }

  /** Expiring: when the token this socket opened with expires (AUTH-8). */
  get expiresAt(): number {
    return this.user.expiresAt;
  }

  start(): void {
    const ws = this.ws;
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) =>
      this.onMessage(data, isBinary),
    );
    this.shared.sockets.add(this);
    this.shared.expiries.add(this);
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.shared.deps.log.debug({ err, user: this.user.id }, 'socket error'));
    // Frames wait in `queue` while the room loads (ROOM-4); the load is shared with every other join.
    this.shared.deps.registry.acquire(this.user.roomId).then(
      ({ room, release }) => {
        try {
          if (this.gone) return;
          this.room = room;
          const conn = room.handleConnect(this.user, this.kind, this.socket);
          this.conn = conn;
          const waiting = this.queue ?? [];
          this.queue = null;
          for (const frame of waiting) room.handleMessage(conn, frame);
        } catch (err) {
          const appErr = toAppError(err);
          this.socket.close(appErr.closeCode, appErr.message);
        } finally {
          release();
        }
      },
      (err: unknown) => {
        const appErr = toAppError(err);
        this.socket.close(appErr.closeCode, appErr.message);
      },
    );
  }

  private onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.socket.refused) return;
    if (!isBinary) {
      const err = new AppError('malformed_frame', 'text frames are not part of the y-websocket protocol');
      this.socket.close(err.closeCode, err.message);
      return;
    }
    const bytes = toBytes(data);
    if (this.room && this.conn) this.room.handleMessage(this.conn, bytes);
    else if (this.queue) {
      this.queue.push(bytes);
      if (this.queue.length > this.shared.maxQueued) {
        const err = new AppError('rate_limited', 'too many frames before the room finished loading');
        this.socket.close(err.closeCode, err.message);
      }
    }
  }

  /** LiveSocket: the person's role changed; the socket goes on with it. */
  setRole(role: Role): void {
    this.user = { ...this.user, role };
    if (this.room && this.conn) this.room.changeRole(this.conn, role);
  }

  /** LiveSocket: access ended (removed, room deleted, token expired). */
  close(code: number, reason: string): void {
    if (this.room && this.conn) {
      this.conn.close(code, reason);
      this.room.handleClose(this.conn);
    } else this.socket.close(code, reason);
    this.gone = true;
  }

  /**
   * Expiring, AUTH-8: the token is checked again when it expires; the socket closes then (4401), not at the
   * next reconnect days later.
   */
  expire(): void {
    const err = new AppError('unauthorized', 'your access expired: open your invite link again');
    this.close(err.closeCode, err.message);
  }

  private onClose(): void {
    this.gone = true;
    this.shared.sockets.remove(this);
    this.socket.closed();
    this.shared.expiries.delete(this);
    if (this.room && this.conn) this.room.handleClose(this.conn);
  }
}
