import type { Command } from '../../client/cli/dispatcher.ts';
import { loadToolConfig } from '../config.ts';

/*
 * Commands that look after a server rather than share a folder with one. They read the server's
 * environment variables and its modules, so they live on the server side and are handed to the CLI's
 * dispatcher by client/cli/bin.mjs (the composition root); client/cli itself still imports nothing from
 * server/ (STYLE.md's dependency direction). Each loads its module only when run, so `sparkroom push`
 * does not pay for the model SDK or SQLite.
 */

const doctorUsage = `usage: sparkroom doctor [--json]

Checks the model connection the server would use, with the same environment variables (SPARK_API,
SPARK_BASE_URL, SPARK_API_KEY, SPARK_MODEL): reachable, API key accepted, API mode accepted, model found,
streaming works, time to first token and tokens/s. Sends one tiny streaming request (16 tokens).

  --json   print the report as JSON

exit codes: 0 Spark is ready, 1 a step failed, 2 usage or invalid configuration`;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the connection to the model (run where the server runs, with its environment)',
  usage: doctorUsage,
  options: { json: { type: 'boolean' } },
  async run(args, out) {
    let config: ReturnType<typeof loadToolConfig>;
    try {
      config = loadToolConfig(process.env);
    } catch (err) {
      out.error(`sparkroom doctor: ${(err as Error).message}`);
      return 2;
    }
    const { runDoctor } = await import('./doctor-command.ts');
    return runDoctor(config.agent, out, { json: args.values.json === true });
  },
};

/** Every server-side command, in the order `sparkroom --help` lists them. */
export const opsCommands: Command[] = [doctorCommand];
