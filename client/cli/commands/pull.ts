import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { CliError, exitCodes } from '../cli-error.ts';
import type { Command } from '../dispatcher.ts';
import { optionalString } from '../dispatcher.ts';
import { parseInviteLink } from '../invite-link.ts';
import { clientFor, displayName, joinWithInvite } from '../session.ts';
import { atomicWrite, inside } from '../sync/share-state.ts';

export const pullCommand: Command = {
  name: 'pull',
  summary: "write a room's files into a folder",
  usage: `usage: sparkroom pull INVITE_OR_ROOM_URL DIR [--name NAME] [--token TOKEN] [--force]

Downloads the room's accepted code (never pending suggestions) and writes it into DIR, byte for byte.
DIR must be empty or not exist, unless --force (then files of the room replace files of the same name).

  --name NAME     your display name when joining with an invite (default: git user.name)
  --token TOKEN   a personal token, to pull with a room link (/r/ROOM) instead of an invite
  --force         write into a folder that is not empty`,
  options: { name: { type: 'string' }, token: { type: 'string' }, force: { type: 'boolean' } },
  async run(args, out) {
    const [link, target] = args.positionals;
    if (!link || !target)
      throw new CliError(`pull needs a link and a folder\n\n${pullCommand.usage}`, exitCodes.usage);
    const dir = resolve(target);
    if (existsSync(dir) && readdirSync(dir).length > 0 && args.values.force !== true) {
      throw new CliError(`${dir} is not empty (use --force to write into it)`, exitCodes.usage);
    }
    const token = optionalString(args, 'token');
    const parsed = parseInviteLink(link);
    const client = token
      ? clientFor(parsed.server, parsed.roomId, token)
      : (await joinWithInvite(link, displayName(optionalString(args, 'name')))).client;
    const res = await client.exportArchive('tar.gz');
    if (!res.body) throw new CliError('the server sent no archive', exitCodes.failed);
    await mkdir(dir, { recursive: true });
    const tmp = resolve(dir, '.sparkroom-pull-tmp');
    await mkdir(tmp, { recursive: true });
    let received = 0;
    let written = 0;
    const writes: Promise<void>[] = [];
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (entry.type !== 'File') {
          entry.resume();
          return;
        }
        // The server's paths pass the room's rules; they are checked again before touching the disk.
        const full = inside(dir, entry.path);
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => {
          writes.push(
            atomicWrite(tmp, full, Buffer.concat(chunks).toString('utf8')).then(() => void written++),
          );
        });
      },
    });
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        out.progress('downloading', received, null);
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
        counter,
        createGunzip(),
        parser as unknown as NodeJS.WritableStream,
      );
      await Promise.all(writes);
    } finally {
      out.progressDone();
      const { rm } = await import('node:fs/promises');
      await rm(tmp, { recursive: true, force: true });
    }
    out.print(`wrote ${written} files into ${dir}`);
    return exitCodes.ok;
  },
};
