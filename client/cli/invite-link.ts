import { ROOM_ID_PATTERN } from '../../schema/protocol.ts';
import { CliError, exitCodes } from './cli-error.ts';

export interface InviteLink {
  /** http(s)://host:port of the server */
  server: string;
  roomId: string;
  /** the invite token (null for a plain room URL, /r/ROOM) */
  invite: string | null;
}

/** Reads an invite link (`https://host/join/ROOM#invite=TOKEN`) or a room link (`https://host/r/ROOM`). */
export function parseInviteLink(link: string): InviteLink {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new CliError(`"${link}" is not a link: paste the invite link the room gave you`, exitCodes.usage);
  }
  const m = /^\/(join|r)\/([^/]+)\/?$/.exec(url.pathname);
  const roomId = m ? decodeURIComponent(m[2]!) : '';
  if (!m || !ROOM_ID_PATTERN.test(roomId) || !/^https?:$/.test(url.protocol)) {
    throw new CliError(`"${link}" is not a Sparkroom invite or room link`, exitCodes.usage);
  }
  const invite = m[1] === 'join' ? new URLSearchParams(url.hash.replace(/^#/, '')).get('invite') : null;
  if (m[1] === 'join' && !invite)
    throw new CliError('the invite link has no invite token (#invite=…)', exitCodes.usage);
  return { server: url.origin, roomId, invite };
}

export const inviteLinkOf = (server: string, roomId: string, invite: string) =>
  `${server}/join/${encodeURIComponent(roomId)}#invite=${encodeURIComponent(invite)}`;
export const roomLinkOf = (server: string, roomId: string) => `${server}/r/${encodeURIComponent(roomId)}`;
