import { ROOM_ID_PATTERN } from '../../../schema/protocol.ts';

/** The pages of the app. Invite tokens travel in the URL hash, which browsers never send to a server. */
export type Route =
  | { page: 'start' }
  | { page: 'join'; roomId: string; invite: string | null }
  | { page: 'room'; roomId: string }
  | { page: 'assignment'; assignmentId: string; code: string | null }
  | { page: 'not-found' };

export function parseRoute(pathname: string, hash: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'start' };
  const a = /^\/a\/([A-Za-z0-9_-]{1,80})\/?$/.exec(pathname);
  if (a) {
    const code = new URLSearchParams(hash.replace(/^#/, '')).get('code');
    return { page: 'assignment', assignmentId: a[1]!, code: code || null };
  }
  const m = /^\/(join|r)\/([^/]+)\/?$/.exec(pathname);
  if (!m) return { page: 'not-found' };
  const roomId = decodeURIComponent(m[2]!);
  if (!ROOM_ID_PATTERN.test(roomId)) return { page: 'not-found' };
  if (m[1] === 'r') return { page: 'room', roomId };
  const invite = new URLSearchParams(hash.replace(/^#/, '')).get('invite');
  return { page: 'join', roomId, invite: invite || null };
}

export const inviteUrl = (origin: string, roomId: string, invite: string) =>
  `${origin}/join/${encodeURIComponent(roomId)}#invite=${encodeURIComponent(invite)}`;

export const roomPath = (roomId: string) => `/r/${encodeURIComponent(roomId)}`;
