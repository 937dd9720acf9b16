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

const backupUsage = `usage: sparkroom backup FILE

Writes a consistent copy of the server's database to FILE while the server runs (SQLite's online backup
API: every committed change, the WAL's included, as one moment), with the signing key inside, so tokens
people hold keep working after a restore. Reads SPARKROOM_DATA like the server. FILE is created 0600:
it holds every room's code and the key, so keep it as private as the data directory.

When the key comes from SPARKROOM_SECRET instead of the data directory, it is not in the file: keep
that value with your backups yourself.

exit codes: 0 written, 1 failed, 2 usage`;

export const backupCommand: Command = {
  name: 'backup',
  summary: "copy the server's database (and signing key) to FILE while it runs",
  usage: backupUsage,
  options: {},
  async run(args, out) {
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1) {
      out.error(backupUsage);
      return 2;
    }
    const dataDir = toolDataDir(out);
    if (dataDir === null) return 2;
    const { backupDatabase } = await import('../persistence/sqlite-backup.ts');
    try {
      const r = await backupDatabase(dataDir, file, {
        onProgress: (done, total) => out.progress('Backing up', done * 4096, total * 4096),
      });
      out.progressDone();
      out.print(
        `Backed up ${r.rooms} room${r.rooms === 1 ? '' : 's'} (${(r.bytes / 1024 / 1024).toFixed(1)} MB) to ${r.file} in ${(r.ms / 1000).toFixed(1)} s.`,
      );
      out.print(
        r.keyIncluded
          ? 'The signing key is inside: keep the file private.'
          : 'The signing key comes from SPARKROOM_SECRET and is not in the file: keep that value with your backups.',
      );
      return 0;
    } catch (err) {
      out.progressDone();
      out.error(`sparkroom backup: ${(err as Error).message}`);
      return 1;
    }
  },
};

const restoreUsage = `usage: sparkroom restore FILE [--force]

Puts a backup made by \`sparkroom backup\` in place as the database of SPARKROOM_DATA, with its signing
key. Stop the server first. The backup is checked before anything is touched. A database already there
is kept (renamed beside it, with its WAL) and replaced only with --force.

  --force   replace the database that is there

exit codes: 0 restored, 1 failed, 2 usage`;

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'put a backup in place as the database (server stopped)',
  usage: restoreUsage,
  options: { force: { type: 'boolean' } },
  async run(args, out) {
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1) {
      out.error(restoreUsage);
      return 2;
    }
    const dataDir = toolDataDir(out);
    if (dataDir === null) return 2;
    const { restoreDatabase } = await import('../persistence/sqlite-backup.ts');
    try {
      const r = restoreDatabase(file, dataDir, { force: args.values.force === true });
      out.print(`Restored ${r.rooms} room${r.rooms === 1 ? '' : 's'} into ${r.database}.`);
      if (r.replaced) out.print(`The database that was there is kept as ${r.replaced}.`);
      out.print(
        r.keyRestored
          ? 'The signing key came back with it: existing tokens and invite links work.'
          : 'The backup holds no signing key: start the server with the SPARKROOM_SECRET it used.',
      );
      return 0;
    } catch (err) {
      out.error(`sparkroom restore: ${(err as Error).message}`);
      return 1;
    }
  },
};

const migrateUsage = `usage: sparkroom migrate [--from DATA_DIR_OR_FILE] [--to postgres://...] [--schema NAME] [--replace]

Copies everything a single-node server keeps in its SQLite file (rooms, people, invites, every document's
updates and snapshots, attribution, runs, suggestions, threads, verdicts, base versions, history,
classroom data) into PostgreSQL, for a move to several nodes. Stop the server first: what it writes after
the copy started is not copied.

The copy is one PostgreSQL transaction: after any failure the target holds nothing of it, and running the
command again starts over. The source is read in batches (at most 500 rows or about 8 MB each), never whole.
Before committing, every table is read back from PostgreSQL and compared with the source, row for row.

  --from     the data directory (its sparkroom.db) or an SQLite file such as a file of sparkroom backup;
             default SPARKROOM_DATA, as the server resolves it
  --to       the PostgreSQL URL; default SPARKROOM_DATABASE_URL
  --schema   the schema the nodes will use; default SPARKROOM_DATABASE_SCHEMA, else public
  --replace  the target already holds Sparkroom data: replace it (default: refuse and write nothing)
  --json     print the report as JSON

Afterwards start the nodes with SPARKROOM_DATABASE_URL (and the same SPARKROOM_SECRET as every node: when
the single server kept its signing key in DATA_DIR/secret.key, give that value, or people's tokens and
invite links stop working).

exit codes: 0 copied and verified, 1 failed or refused (nothing written), 2 usage`;

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'copy the SQLite store into PostgreSQL (to run several nodes), verified, all or nothing',
  usage: migrateUsage,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    schema: { type: 'string' },
    replace: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args, out) {
    if (args.positionals.length > 0) {
      out.error(migrateUsage);
      return 2;
    }
    const str = (name: string) => {
      const v = args.values[name];
      return typeof v === 'string' && v.length > 0 ? v : undefined;
    };
    const from = str('from') ?? toolDataDir(out);
    if (from === null) return 2;
    const to = str('to') ?? process.env.SPARKROOM_DATABASE_URL;
    if (!to || !/^postgres(ql)?:\/\//.test(to)) {
      out.error('sparkroom migrate: --to postgres://... is required (or SPARKROOM_DATABASE_URL)');
      return 2;
    }
    const schema = str('schema') ?? process.env.SPARKROOM_DATABASE_SCHEMA;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      out.error('sparkroom migrate: --schema must be a lower-case SQL name');
      return 2;
    }
    const { migrateSqliteToPg, MigrateError } = await import('../persistence/sqlite-to-pg.ts');
    const { describeMigration } = await import('./migrate-report.ts');
    try {
      const report = await migrateSqliteToPg({
        from,
        to,
        schema,
        replace: args.values.replace === true,
        onProgress: (bytes) => out.progress('Copied', bytes, null),
      });
      out.progressDone();
      if (args.values.json === true) out.print(JSON.stringify(report, null, 2));
      else for (const line of describeMigration(report)) out.print(line);
      return 0;
    } catch (err) {
      out.progressDone();
      const known = err instanceof MigrateError;
      out.error(`sparkroom migrate: ${known ? err.message : ((err as Error).stack ?? String(err))}`);
      return 1;
    }
  },
};

/** SPARKROOM_DATA resolved as the server resolves it, or null after saying what is wrong. */
function toolDataDir(out: { error(line: string): void }): string | null {
  try {
    return loadToolConfig(process.env).dataDir;
  } catch (err) {
    out.error(`sparkroom: ${(err as Error).message}`);
    return null;
  }
}

/** Every server-side command, in the order `sparkroom --help` lists them. */
export const opsCommands: Command[] = [doctorCommand, backupCommand, restoreCommand, migrateCommand];
