import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, exitCodes } from '../cli-error.ts';
import type { Command } from '../dispatcher.ts';
import { optionalString, requireString } from '../dispatcher.ts';
import { scanFolder } from '../local-files.ts';
import { displayName, importLimitsOf, joinWithInvite } from '../session.ts';
import { describeImport, uploadFiles } from '../upload.ts';

export const pushCommand: Command = {
  name: 'push',
  summary: 'import a folder into a room once (no live sync)',
  usage: `usage: sparkroom push DIR --join INVITE_URL [--name NAME] [--prefix FOLDER/] [--overwrite]

Imports the text files of DIR into the room by the import rules (.gitignore honoured; .git/, node_modules/,
binaries and files over the size cap stay out) and prints what came in and what stayed out.

  --join INVITE_URL   an editor or owner invite link of the room
  --name NAME         your display name in the room (default: git user.name)
  --prefix FOLDER/    put the files in this folder of the room
  --overwrite         replace files that exist in the room (default: report them as conflicts)`,
  options: {
    join: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string' },
    overwrite: { type: 'boolean' },
  },
  async run(args, out) {
    const dir = resolve(args.positionals[0] ?? '.');
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new CliError(`${dir} is not a folder`, exitCodes.usage);
    const link = requireString(args, 'join', 'the invite link of the room to push into');
    const { client } = await joinWithInvite(link, displayName(optionalString(args, 'name')));
    const scan = await scanFolder(dir, await importLimitsOf(client));
    const prefix = optionalString(args, 'prefix');
    const result = await uploadFiles(client, scan.files, out, {
      ...(prefix ? { prefix } : {}),
      overwrite: args.values.overwrite === true,
    });
    for (const line of describeImport(result)) out.print(line);
    return result.conflicts.length > 0 ? exitCodes.conflicts : exitCodes.ok;
  },
};
