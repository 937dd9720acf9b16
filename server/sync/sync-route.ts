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
import type { RoomSocket } from '../rooms/room-socket.ts';
import { roomIdParam } from '../route-params.ts';
import { sendShared } from './framed-send.ts';
import { LiveSockets } from './live-sockets.ts';
import { stopParsing } from './stop-parsing.ts';

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
/** setTimeout's largest delay; a token valid for longer is checked again when this passes */
const MAX_TIMER_MS = 2 ** 31 - 1;

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

  const attach = (ws: WebSocket, authUser: AuthUser, kind: DocKind): void => {
    let user = authUser;
    let graceTimer: NodeJS.Timeout | null = null;
    let refused = false;
    let expiryTimer: NodeJS.Timeout | null = null;
    const socket: RoomSocket = {
      send: (data) => ws.send(data),
      sendShared: (message) => sendShared(ws, message, plainBelow),
      close: (code, reason) => {
        if (ws.readyState === ws.CLOSED) return;
        ws.close(code, reason);
        graceTimer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      },
      // Frames behind a refusal are neither parsed nor handled (SAFE-136).
      stopReading: () => {
        refused = true;
        stopParsing(ws);
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
    };
    let room: Room | null = null;
    let conn: Connection | null = null;
    let queue: Uint8Array[] | null = [];
    let gone = false;

    ws.on('message', (data, isBinary) => {
      if (refused) return;
      if (!isBinary) {
        const err = new AppError('malformed_frame', 'text frames are not part of the y-websocket protocol');
        socket.close(err.closeCode, err.message);
        return;
      }
      const bytes = toBytes(data);
      if (room && conn) room.handleMessage(conn, bytes);
      else if (queue) {
        queue.push(bytes);
        if (queue.length > maxQueued) {
          const err = new AppError('rate_limited', 'too many frames before the room finished loading');
          socket.close(err.closeCode, err.message);
        }
      }
    });
    // Access changes reach this socket through the directory, loaded room or not (AUTH-5..7, SAFE-43).
    const closeWith = (code: number, reason: string) => {
      if (room && conn) {
        conn.close(code, reason);
        room.handleClose(conn);
      } else socket.close(code, reason);
      gone = true;
    };
    const forget = sockets.add({
      roomId: user.roomId,
      userId: user.id,
      setRole: (role: Role) => {
        user = { ...user, role };
        if (room && conn) room.changeRole(conn, role);
      },
      close: closeWith,
    });
    // AUTH-8: the token is checked again when it expires; the socket closes then (4401), not at the
    // next reconnect days later.
    const watchExpiry = () => {
      const left = user.expiresAt - now();
      if (left <= 0) {
        const err = new AppError('unauthorized', 'your access expired: open your invite link again');
        closeWith(err.closeCode, err.message);
        return;
      }
      expiryTimer = setTimeout(watchExpiry, Math.min(left, MAX_TIMER_MS));
      expiryTimer.unref();
    };
    watchExpiry();

    ws.on('close', () => {
      gone = true;
      forget();
      if (graceTimer) clearTimeout(graceTimer);
      if (expiryTimer) clearTimeout(expiryTimer);
      if (room && conn) room.handleClose(conn);
    });
    ws.on('error', (err) => deps.log.debug({ err, user: user.id }, 'socket error'));

    // Frames wait in `queue` while the room loads (ROOM-4); the load is shared with every other join.
    deps.registry.acquire(user.roomId).then(
      ({ room: loaded, release }) => {
        try {
          if (gone) return;
          room = loaded;
          conn = loaded.handleConnect(user, kind, socket);
          const waiting = queue ?? [];
          queue = null;
          for (const frame of waiting) loaded.handleMessage(conn, frame);
        } catch (err) {
          const appErr = toAppError(err);
          socket.close(appErr.closeCode, appErr.message);
        } finally {
          release();
        }
      },
      (err: unknown) => {
        const appErr = toAppError(err);
        socket.close(appErr.closeCode, appErr.message);
      },
    );
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
