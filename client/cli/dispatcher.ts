import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError, exitCodes } from './cli-error.ts';
import type { Output } from './output.ts';

/** One subcommand: its own module (client/cli/commands/NAME.ts), its help text and its options. */
export interface Command {
  name: string;
  /** one line for `sparkroom --help` */
  summary: string;
  /** the full `sparkroom NAME --help` text */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: ParsedArgs, out: Output): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * The small dispatcher: `sparkroom COMMAND [options]`. Commands register themselves in main.ts, one module
 * each, so a new one (doctor, backup) is a file and a line. Every command gets `--help`.
 */
export async function dispatch(commands: readonly Command[], argv: string[], out: Output): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const wanted = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    out.print(wanted ? wanted.usage : overview(commands));
    return exitCodes.ok;
  }
  if (name === '--version') {
    out.print('sparkroom 0.1.0');
    return exitCodes.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    out.error(`unknown command "${name}"\n\n${overview(commands)}`);
    return exitCodes.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out.print(command.usage);
    return exitCodes.ok;
  }
  let parsed: ParsedArgs;
  try {
    const r = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    parsed = { values: r.values as ParsedArgs['values'], positionals: r.positionals };
  } catch (err) {
    out.error(`${(err as Error).message}\n\n${command.usage}`);
    return exitCodes.usage;
  }
  return command.run(parsed, out);
}

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'sparkroom: bring a project folder into a Sparkroom room and back, and look after a server',
    '',
    'usage: sparkroom COMMAND [options]     (sparkroom COMMAND --help for each)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `exit codes: 0 done, 1 failed, 2 usage, 3 server unreachable, 4 access refused, 5 over a limit, 6 conflicts`,
  ].join('\n');
}

/** Reads a required string option or throws a usage error naming it. */
export function requireString(args: ParsedArgs, name: string, what: string): string {
  const v = args.values[name];
  if (typeof v !== 'string' || v.length === 0)
    throw new CliError(`--${name} is required (${what})`, exitCodes.usage);
  return v;
}

export function optionalString(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
