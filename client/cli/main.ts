import { explain } from './cli-error.ts';
import { commitCommand } from './commands/commit.ts';
import { pullCommand } from './commands/pull.ts';
import { pushCommand } from './commands/push.ts';
import { shareCommand } from './commands/share.ts';
import { type Command, dispatch } from './dispatcher.ts';
import { consoleOutput, type Output } from './output.ts';

/** Every subcommand, one module each. Add a command by adding its module and one line here. */
export const commands: Command[] = [shareCommand, pullCommand, pushCommand, commitCommand];

/**
 * Runs `sparkroom ARGS...` and returns the exit code (bin.mjs sets it; tests call this directly).
 * `more`: commands bin.mjs adds from outside client/ (the server's doctor and backup).
 */
export async function main(
  argv: string[],
  out: Output = consoleOutput(),
  more: readonly Command[] = [],
): Promise<number> {
  try {
    return await dispatch([...commands, ...more], argv, out);
  } catch (err) {
    const failure = explain(err, serverOf(argv));
    out.error(`sparkroom: ${failure.message}`);
    return failure.exitCode;
  }
}

function serverOf(argv: string[]): string | null {
  const i = argv.indexOf('--server');
  if (i >= 0) return argv[i + 1] ?? null;
  const link = argv.find((a) => /^https?:\/\//.test(a));
  try {
    return link ? new URL(link).origin : null;
  } catch {
    return null;
  }
}
