import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { WebSocket } from 'ws';
import { defaultImportLimits, type ImportLimits } from '../../schema/import-rules.ts';
import { SparkroomClient } from '../sdk/sparkroom-client.ts';
import { CliError, exitCodes } from './cli-error.ts';
import { parseInviteLink } from './invite-link.ts';

/** A client for `server`, with the ws package as WebSocket (Node 20 has none built in). */
export function clientFor(server: string, roomId?: string, token?: string): SparkroomClient {
  return new SparkroomClient({
    baseUrl: server,
    ...(roomId ? { roomId } : {}),
    ...(token ? { token } : {}),
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
}

/** The display name: --name, else git's user.name, else the login name. */
export function displayName(explicit: string | undefined): string {
  if (explicit) return explicit;
  try {
    const fromGit = execFileSync('git', ['config', 'user.name'], { encoding: 'utf8' }).trim();
    if (fromGit) return fromGit.slice(0, 60);
  } catch {
    // no git, or no name configured
  }
  return userInfo().username.slice(0, 60) || 'someone';
}

/** Joins a room with an invite link; returns a client speaking for the new member. */
export async function joinWithInvite(link: string, name: string) {
  const parsed = parseInviteLink(link);
  if (!parsed.invite)
    throw new CliError('this is a room link, not an invite link: pass --token or an invite', exitCodes.usage);
  const joined = await clientFor(parsed.server).forRoom(parsed.roomId).join(parsed.invite, name);
  return { parsed, joined, client: clientFor(parsed.server, parsed.roomId, joined.token) };
}

/** The server's import caps (older servers without the route: the defaults). */
export async function importLimitsOf(client: SparkroomClient): Promise<ImportLimits> {
  try {
    return (await client.importRules()).limits;
  } catch {
    return defaultImportLimits;
  }
}
