import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

// Restart tests need a Redis and a PostgreSQL of their own: the machine's shared ones (test-services.ts) serve
// every other test at the same time and are never stopped. These are the same Debian binaries, started on a
// free loopback port with their data in a temp directory, stopped and started again by the test, and removed.

/** A loopback port nothing listens on now (the OS picks it; the server binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A server process the test stops and starts again on the same port. */
export interface PrivateServer {
  url: string;
  /** stops the process (`how`: a clean shutdown, or SIGKILL) and waits for its exit */
  stop(how?: 'clean' | 'kill'): Promise<void>;
  /** starts it again on the same port and waits until it answers */
  start(): Promise<void>;
  /** stops it and removes its files */
  close(): Promise<void>;
}

/** How long a start may take on a loaded 2-core machine. */
const START_TIMEOUT_MS = 60_000;

async function waitUntil(what: string, ready: () => Promise<boolean>, proc: () => ChildProcess | null) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (await ready()) return;
    const p = proc();
    if (p === null || p.exitCode !== null || p.signalCode !== null)
      throw new Error(`${what} exited at start`);
    if (Date.now() > deadline) throw new Error(`${what} did not answer within ${START_TIMEOUT_MS} ms`);
    // Polling a process that announces nothing we could wait on; the timeout only bounds a hang.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function exitOf(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => p.once('exit', () => resolve()));
}

/**
 * The lifecycle both private servers share: spawn, wait until `ready`, stop with the server's own signals
 * (`clean`: its orderly shutdown; `kill`: a crash), and on close stop the way `closeWith` says and remove `dir`.
 */
async function supervise(opts: {
  what: string;
  url: string;
  dir: string;
  launch: () => ChildProcess;
  ready: () => Promise<boolean>;
  signals: { clean: NodeJS.Signals; kill: NodeJS.Signals };
  closeWith: 'clean' | 'kill';
}): Promise<PrivateServer> {
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = opts.launch();
    await waitUntil(opts.what, opts.ready, () => proc);
  };
  const stop = async (how: 'clean' | 'kill' = 'clean') => {
    const p = proc;
    proc = null;
    if (!p) return;
    p.kill(opts.signals[how]);
    await exitOf(p);
  };
  await start();
  return {
    url: opts.url,
    start,
    stop,
    async close() {
      await stop(opts.closeWith);
      rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}

/** `redis-server` on a free port, keeping nothing on disk (a restart starts empty, as a cache-only Redis does). */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const ping = async () => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  };
  return supervise({
    what: 'redis-server',
    url,
    dir,
    launch: () =>
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: 'ignore' },
      ),
    ready: ping,
    signals: { clean: 'SIGTERM', kill: 'SIGKILL' },
    closeWith: 'kill',
  });
}

/** The newest PostgreSQL server binaries of Debian's packages. */
function pgBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('no PostgreSQL under /usr/lib/postgresql');
  return join('/usr/lib/postgresql', versions[0]!, 'bin', name);
}

/** PostgreSQL refuses to run as root: as root, run it as the postgres user. */
function pgUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A PostgreSQL cluster of its own (initdb into a temp directory) on a free port, trust auth for the postgres
 * user on loopback. Its data survives `stop` and `start`, as a restarted database server's does.
 */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-pg-'));
  const data = join(dir, 'data');
  const user = pgUser();
  mkdirSync(data);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(data, user.uid, user.gid);
  }
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(pgBin('initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'], {
    stdio: 'ignore',
    ...as,
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const ready = async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  };
  return supervise({
    what: 'postgres',
    url,
    dir,
    launch: () =>
      spawn(
        pgBin('postgres'),
        ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
        { stdio: 'ignore', ...as },
      ),
    ready,
    // SIGINT is PostgreSQL's fast shutdown, SIGQUIT its immediate one (a crash: recovery replays the WAL at
    // the next start); either way what was committed stays.
    signals: { clean: 'SIGINT', kill: 'SIGQUIT' },
    closeWith: 'clean',
  });
}
