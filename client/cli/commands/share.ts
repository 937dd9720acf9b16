import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { Role } from '../../../schema/protocol.ts';
import type { RoomConnection, SparkroomClient } from '../../sdk/sparkroom-client.ts';
import { packTarGz } from '../archive-pack.ts';
import { CliError, exitCodes } from '../cli-error.ts';
import type { Command } from '../dispatcher.ts';
import { readGitBase } from '../git-base.ts';
import { inviteLinkOf, roomLinkOf } from '../invite-link.ts';
import { scanFolder } from '../local-files.ts';
import type { Output } from '../output.ts';
import { clientFor, displayName, importLimitsOf, joinWithInvite } from '../session.ts';
import { StopRequest } from '../stop-request.ts';
import { FolderSync } from '../sync/folder-sync.ts';
import { type ShareState, ShareStore } from '../sync/share-state.ts';
import { describeImport, uploadFiles } from '../upload.ts';

export const shareCommand: Command = {
  name: 'share',
  summary: 'share a folder with a room, live, both ways, until Ctrl-C',
  usage: `usage: sparkroom share [DIR] (--server URL [--admin-token T] | --join INVITE_URL) [--name NAME]

Creates a room (or joins one with --join), imports DIR by the import rules, prints the invite links, and
keeps DIR and the room in live two-way sync until Ctrl-C: edits in the room are written to disk within
200 ms, edits on disk (an editor, a formatter, git checkout) reach the room as minimal text edits under
your name. Ignored and binary files stay local; pending Spark suggestions never touch the disk.

Run it again on the same DIR to reconnect to the same room (state in DIR/.sparkroom/, which git ignores):
what changed on either side meanwhile is merged three ways; a true conflict is written with markers and
reported.

  --server URL        the Sparkroom server to create the room on
  --admin-token T     the server's admin token, if creating rooms needs one
  --join INVITE_URL   share into an existing room (an editor or owner invite link)
  --name NAME         your display name (default: git user.name)
  --room-name NAME    the new room's name (default: the folder's name)
  --base REF          set the room's base version from git (git show REF:path for each file), so
                      reviewers see the change from REF as a diff; given again, it replaces the base`,
  options: {
    server: { type: 'string' },
    'admin-token': { type: 'string' },
    join: { type: 'string' },
    name: { type: 'string' },
    'room-name': { type: 'string' },
    base: { type: 'string' },
  },
  async run(args, out) {
    const dir = resolve(args.positionals[0] ?? '.');
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new CliError(`${dir} is not a folder`, exitCodes.usage);
    const store = new ShareStore(dir);
    const state = ShareStore.exists(dir)
      ? await store.load()
      : await firstShare(dir, store, args.values, out);
    const client = clientFor(state.server, state.roomId, state.token);
    await client.roomInfo(); // the token still works, the server is there
    const baseRef = typeof args.values.base === 'string' ? args.values.base : undefined;
    if (baseRef) {
      // Read before anything is sent: a ref git does not know ends the command here, with git's words.
      const files = readGitBase(dir, baseRef, await importLimitsOf(client));
      const body = Readable.toWeb(packTarGz(files)) as unknown as ReadableStream<Uint8Array>;
      const base = await client.setBase(body, { format: 'tar.gz', ref: baseRef });
      out.print(`Base version: ${baseRef} (${base.files} files)`);
    }
    // Listening for Ctrl-C from before the first line below: a stop at any point from here ends cleanly.
    const stop = new StopRequest();
    try {
      return await shareUntilStopped({ dir, store, state, client }, stop, out);
    } finally {
      stop.dispose();
    }
  },
};

interface Share {
  dir: string;
  store: ShareStore;
  state: ShareState;
  client: SparkroomClient;
}

async function shareUntilStopped(
  { dir, store, state, client }: Share,
  stop: StopRequest,
  out: Output,
): Promise<number> {
  out.print(`Sharing ${dir}`);
  out.print(`Room: ${state.roomName} ${roomLinkOf(state.server, state.roomId)}`);
  for (const role of ['editor', 'viewer'] as Role[]) {
    const invite = state.invites[role];
    if (invite) out.print(`Invite (${role}): ${invite}`);
  }
  const conn = client.connect();
  let closed: { dispose(): void } | undefined;
  try {
    // A refusal while connecting is synced()'s error (exit code "access"), not a stop.
    await Promise.race([synced(conn), stop.stopped]);
    if (stop.requested) {
      out.print('Stopped before the room was in sync; nothing was changed on either side.');
      return exitCodes.ok;
    }
    closed = stopOnRefusal(conn, stop, out);
    const sync = new FolderSync({
      dir,
      store,
      doc: conn.codeDoc,
      files: conn.files,
      limits: await importLimitsOf(client),
      log: (line) => out.error(line),
    });
    const report = await sync.start();
    for (const path of report.merged) out.print(`merged changes from both sides: ${path}`);
    for (const path of report.conflicts) out.print(`CONFLICT ${path}: written with conflict markers`);
    if (!stop.requested) out.print('Live: edits go both ways. Press Ctrl-C to stop.');
    await stop.stopped;
    await sync.stop();
    out.print('Stopped sharing; the room keeps its files.');
    return report.conflicts.length > 0 ? exitCodes.conflicts : exitCodes.ok;
  } finally {
    closed?.dispose();
    conn.destroy();
  }
}

async function firstShare(
  dir: string,
  store: ShareStore,
  values: Record<string, unknown>,
  out: Output,
): Promise<ShareState> {
  const name = displayName(typeof values.name === 'string' ? values.name : undefined);
  const join = typeof values.join === 'string' ? values.join : undefined;
  const server = typeof values.server === 'string' ? values.server.replace(/\/+$/, '') : undefined;
  let state: ShareState;
  if (join) {
    const { parsed, joined } = await joinWithInvite(join, name);
    state = {
      version: 1,
      server: parsed.server,
      roomId: parsed.roomId,
      roomName: joined.room.name,
      token: joined.token,
      user: joined.user,
      invites: {},
    };
  } else {
    if (!server)
      throw new CliError('--server URL (to create a room) or --join INVITE_URL is required', exitCodes.usage);
    const adminToken = typeof values['admin-token'] === 'string' ? values['admin-token'] : undefined;
    const roomName = typeof values['room-name'] === 'string' ? values['room-name'] : basename(dir);
    const created = await clientFor(server).createRoom(roomName, adminToken ? { adminToken } : {});
    const joined = await clientFor(server).forRoom(created.roomId).join(created.invites.owner, name);
    state = {
      version: 1,
      server,
      roomId: created.roomId,
      roomName: created.name,
      token: joined.token,
      user: joined.user,
      invites: {
        // OPS-5: links for colleagues use the server's public address when it has one.
        editor: inviteLinkOf(created.publicUrl ?? server, created.roomId, created.invites.editor),
        viewer: inviteLinkOf(created.publicUrl ?? server, created.roomId, created.invites.viewer),
      },
    };
  }
  const client = clientFor(state.server, state.roomId, state.token);
  const scan = await scanFolder(dir, await importLimitsOf(client));
  const result = await uploadFiles(client, scan.files, out);
  for (const line of describeImport(result)) out.print(line);
  // Saved only after the import: a share that failed before this point starts afresh next time.
  await store.save(state);
  return state;
}

function synced(conn: RoomConnection): Promise<void> {
  if (conn.codeProvider.synced) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onSync = (isSynced: boolean) => {
      if (!isSynced) return;
      conn.codeProvider.off('sync', onSync);
      conn.codeProvider.off('connection-close', onClose);
      resolve();
    };
    const onClose = (event: CloseEvent | null) => {
      const code = event?.code ?? 0;
      if (code >= 4400 && code < 4500) {
        conn.codeProvider.off('sync', onSync);
        conn.codeProvider.off('connection-close', onClose);
        reject(new CliError(`the room refused the connection: ${event?.reason || code}`, exitCodes.access));
      }
    };
    conn.codeProvider.on('sync', onSync);
    conn.codeProvider.on('connection-close', onClose);
  });
}

/** Stops the share when the room closes the connection for good (a 44xx: revoked, too large). */
function stopOnRefusal(conn: RoomConnection, stop: StopRequest, out: Output): { dispose(): void } {
  const onClose = (event: CloseEvent | null) => {
    const code = event?.code ?? 0;
    if (code >= 4400 && code < 4500) {
      out.error(`the room closed the connection: ${event?.reason || code}`);
      stop.stop();
    }
  };
  conn.codeProvider.on('connection-close', onClose);
  return { dispose: () => conn.codeProvider.off('connection-close', onClose) };
}
