import { Hono } from 'hono';
import type * as Y from 'yjs';
import { z } from 'zod';
import {
  apiRoutes,
  type CreateRoomResponse,
  type DeleteRoomResponse,
  type FileTextResponse,
  isValidFilePath,
  type JoinResponse,
  type RoomInfo,
  type RoomPolicy,
  roles,
} from '../../schema/protocol.ts';
import { createRoomBody, joinBody, policyBody, warmBody } from '../../schema/rest.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import { fileText, fileTexts } from '../rooms/code-doc-shape.ts';
import { type RoomPreview, type RoomPreviews, textFrom } from '../rooms/room-previews.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { roomIdParam } from '../route-params.ts';
import { type AddressLimit, takeAddressSlot } from './address-limit.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface RoomsRoutesDeps {
  rooms: RoomService;
  registry: RoomRegistry;
  adminToken: string | null;
  /** SPARKROOM_PUBLIC_URL: invite links are built on it (OPS-5) */
  publicUrl?: string | null;
  agentInfo: () => RoomInfo['agent'];
  /**
   * per-address limits on creating rooms, joining (SAFE-42, SAFE-44) and warming a room from its invite's page
   * (PERF-129); none when absent
   */
  addressLimits?: { create: AddressLimit; join: AddressLimit; warm: AddressLimit };
  /** take the client address from X-Forwarded-For (SPARKROOM_TRUST_PROXY) */
  trustProxy?: boolean;
  now?: () => number;
  /** told after the policy changed (every open page follows it live, WEB-11) */
  onPolicyChanged?: (roomId: string, policy: RoomPolicy) => void;
  /** idle rooms' files and first files, answered without a load (PERF-196); none in a cluster */
  previews?: RoomPreviews;
}

const roleParam = z.enum(roles);

/** How long a read of the room's info keeps the room it loaded in memory, for the page's next requests. */
export const ROOM_INFO_HOLD_MS = 3000;

/** The file `asked`, or with none the room's first of the sorted paths (no sort of them all); undefined: none. */
function pickFile(doc: Y.Doc, asked: string | undefined): { file: string; ytext: Y.Text } | undefined {
  if (asked !== undefined) {
    const ytext = fileText(doc, asked);
    return ytext ? { file: asked, ytext } : undefined;
  }
  let first: { file: string; ytext: Y.Text } | undefined;
  for (const [file, ytext] of fileTexts(doc))
    if (first === undefined || file < first.file) first = { file, ytext };
  return first;
}

/**
 * PERF-196: the room's files and the file `asked` (undefined: not asked; '' or a file the room does not
 * have: its first) from the preview of a room out of memory, or undefined when the preview cannot say (no
 * preview, or another file of the room asked for).
 */
function fromPreview(
  preview: RoomPreview | undefined,
  asked: string | undefined,
): { files: string[]; first: FileTextResponse | null | undefined } | undefined {
  if (!preview) return undefined;
  const files = [...preview.files];
  if (asked === undefined) return { files, first: undefined };
  const other = asked !== preview.first?.file && preview.files.includes(asked);
  return other ? undefined : { files, first: preview.first };
}

/**
 * How long a warm (PERF-129) keeps the room loaded: the person reads the invite page and types a name, then
 * the room page's reads (its info holds the room in turn, PERF-114) find it loaded.
 */
export const ROOM_WARM_HOLD_MS = 20_000;

/** REST for rooms, invites, joins and policy (ROOM-1, AUTH-*). */
export function roomsRoutes(deps: RoomsRoutesDeps): Hono {
  const app = new Hono();
  const now = deps.now ?? Date.now;
  const trustProxy = deps.trustProxy ?? false;

  app.post(apiRoutes.rooms, async (c) => {
    const asAdmin = deps.adminToken !== null && c.req.header('authorization') === `Bearer ${deps.adminToken}`;
    if (deps.adminToken !== null && !asAdmin) {
      throw new AppError('unauthorized', 'creating rooms needs the admin token on this server');
    }
    const body = await parseBody(c, createRoomBody);
    // The admin is trusted to provision many rooms (a class); the cap still holds for everyone.
    if (!asAdmin && deps.addressLimits)
      await takeAddressSlot(c, deps.addressLimits.create, trustProxy, now());
    const created: CreateRoomResponse = {
      ...(await deps.rooms.createRoom(body.name)),
      publicUrl: deps.publicUrl ?? null,
    };
    return c.json(created, 201);
  });

  app.post(apiRoutes.join, async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const body = await parseBody(c, joinBody);
    // Each join mints a person; bounding joins per address bounds the identities one client can make.
    if (deps.addressLimits) await takeAddressSlot(c, deps.addressLimits.join, trustProxy, now());
    const joined: JoinResponse = await deps.rooms.join(roomId, body.invite, body.name);
    return c.json(joined);
  });

  // PERF-129: an invite's page asks for the room's load before the person has typed a name; the cold load of a
  // big room (0.2-0.8 s for 15 MB) then runs while they type, not after the join. Only with a valid invite, and
  // a load costs memory and CPU: counted per address like joins, on an allowance of its own.
  app.post(apiRoutes.warm, async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const body = await parseBody(c, warmBody);
    if (deps.addressLimits) await takeAddressSlot(c, deps.addressLimits.warm, trustProxy, now());
    await deps.rooms.checkInvite(roomId, body.invite);
    const { release } = await deps.registry.acquire(roomId);
    setTimeout(release, ROOM_WARM_HOLD_MS).unref();
    return c.body(null, 204);
  });

  app.get(apiRoutes.room, async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const user = await bearerUser(c, deps.rooms, roomId);
    const room = await deps.rooms.getRoom(roomId);
    await deps.rooms.touch(roomId, user.id);
    const asked = c.req.query('first');
    // PERF-114: a page asks for the room's info, then its first file and its socket: the room this read
    // loaded stays for them instead of unloading now and loading again (seconds for a big room).
    const hold = ({ release }: { release: () => void }) => setTimeout(release, ROOM_INFO_HOLD_MS).unref();
    // PERF-196: an idle room's info from its preview; the load goes on meanwhile for the page's socket.
    const early =
      deps.registry.peek(roomId) === undefined ? fromPreview(deps.previews?.get(roomId), asked) : undefined;
    let files: string[];
    let first: FileTextResponse | null | undefined;
    if (early) {
      ({ files, first } = early);
      // a failed load is the socket's to report (and the registry logs it); the room's next info is the load's
      // (a room found corrupt since is refused, SAFE-37)
      deps.registry.acquire(roomId).then(hold, () => deps.previews?.forget(roomId));
    } else {
      const acquired = await deps.registry.acquire(roomId);
      const live = acquired.room;
      try {
        files = fileTexts(live.code.doc)
          .map(([path]) => path)
          .sort();
        // WEB-117: a file the room does not have (a stale link) is the room's first, as the page opens it.
        if (asked !== undefined) {
          const named = asked !== '' && isValidFilePath(asked) ? pickFile(live.code.doc, asked) : undefined;
          const picked = named ?? pickFile(live.code.doc, undefined);
          first = picked ? textFrom(picked.file, picked.ytext) : null;
        }
      } finally {
        hold(acquired);
      }
    }
    const members = (await deps.rooms.membersOf(roomId)).map((m) => ({
      id: m.userId,
      name: m.name,
      role: m.role,
      lastSeenAt: m.lastSeenAt,
    }));
    const former = (await deps.rooms.removedMembersOf(roomId)).map((m) => ({ id: m.userId, name: m.name }));
    const info: RoomInfo = {
      id: room.id,
      name: room.name,
      you: { id: user.id, name: user.name, role: user.role },
      members,
      former,
      files,
      policy: room.policy,
      agent: deps.agentInfo(),
      publicUrl: deps.publicUrl ?? null,
      ...(first !== undefined ? { first } : {}),
    };
    return c.json(info);
  });

  // PERF-51: the file a page opens first, shown while the room's document syncs (one file, not the room).
  app.get(apiRoutes.fileText, async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    await bearerUser(c, deps.rooms, roomId);
    await deps.rooms.getRoom(roomId);
    const asked = c.req.query('file');
    if (asked !== undefined && !isValidFilePath(asked))
      throw new AppError('bad_request', 'file must be a valid relative path');
    const { room: live, release } = await deps.registry.acquire(roomId);
    try {
      const picked = pickFile(live.code.doc, asked);
      if (!picked)
        throw new AppError(
          'not_found',
          asked === undefined ? 'this room has no files' : `no file ${asked} in this room`,
        );
      return c.json(textFrom(picked.file, picked.ytext));
    } finally {
      release();
    }
  });

  // SAFE-43: an owner deletes the room; its sockets close with 4410 and its content is purged.
  app.delete(apiRoutes.room, async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const user = await bearerUser(c, deps.rooms, roomId);
    const room = await deps.rooms.getRoom(roomId);
    requirePermission(user, 'manage', room.policy);
    await deps.rooms.deleteRoom(roomId, user);
    const answer: DeleteRoomResponse = { deleted: roomId };
    return c.json(answer);
  });

  app.get(apiRoutes.invites, async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const user = await bearerUser(c, deps.rooms, roomId);
    const room = await deps.rooms.getRoom(roomId);
    requirePermission(user, 'manage', room.policy);
    return c.json({ invites: await deps.rooms.listInvites(roomId) });
  });

  // Revoking an invite link issues a fresh one for the same role; people already in keep their tokens.
  app.delete(apiRoutes.invite, async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const user = await bearerUser(c, deps.rooms, roomId);
    const role = roleParam.safeParse(c.req.param('role'));
    if (!role.success) throw new AppError('bad_request', 'role must be owner, editor or viewer');
    const room = await deps.rooms.getRoom(roomId);
    requirePermission(user, 'manage', room.policy);
    const invite = await deps.rooms.rotateInvite(roomId, role.data);
    return c.json({ role: role.data, invite });
  });

  app.put(apiRoutes.policy, async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const user = await bearerUser(c, deps.rooms, roomId);
    const room = await deps.rooms.getRoom(roomId);
    requirePermission(user, 'manage', room.policy);
    const body = await parseBody(c, policyBody);
    await deps.rooms.setPolicy(roomId, body);
    const { policy } = await deps.rooms.getRoom(roomId);
    deps.onPolicyChanged?.(roomId, policy);
    return c.json({ policy });
  });

  return app;
}
