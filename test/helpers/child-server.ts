import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MANY_CLIENTS_FROM_ONE_ADDRESS, TEST_SECRET } from './test-server.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const LISTENING = /Sparkroom listening on (http:\/\/[^\s"]+)/;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The real server as a separate process (`node --import ./scripts/ts-register.mjs server/main.ts`, as `npm start` runs it), for crash and signal tests. */
export interface ChildServer {
  url: string;
  /** ws://host:port/sync */
  syncUrl: string;
  dataDir: string;
  child: ChildProcess;
  /** resolves when the process has exited */
  exited: Promise<ChildExit>;
  /** everything the process wrote to stderr so far (for failure messages) */
  stderr(): string;
  /** sends a signal and waits for the exit */
  kill(signal: NodeJS.Signals): Promise<ChildExit>;
}

export interface ChildServerOptions {
  dataDir: string;
  /** extra environment (limits, admin token); the child gets no other variables from this process */
  env?: Record<string, string>;
  startTimeoutMs?: number;
  /** run the child as this user (and group): root drops privileges to test permission failures */
  runAs?: { uid: number; gid: number };
}

/**
 * Spawns the server with PORT=0 and waits for its "Sparkroom listening on http://HOST:PORT" line. The child's
 * environment is built from scratch so a developer's SPARK_API_KEY or LOG_LEVEL never leaks into a test.
 */
export function startChildServer(opts: ChildServerOptions): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', './scripts/ts-register.mjs', 'server/main.ts'], {
    cwd: repoRoot,
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      SPARKROOM_DATA: opts.dataDir,
      SPARKROOM_SECRET: TEST_SECRET,
      LOG_LEVEL: 'silent',
      ...MANY_CLIENTS_FROM_ONE_ADDRESS,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child server did not start within ${opts.startTimeoutMs ?? 20_000} ms:\n${stderr}`));
    }, opts.startTimeoutMs ?? 20_000);
    child.stdout?.setEncoding('utf8');
    const onData = (chunk: string) => {
      stdout += chunk;
      const match = LISTENING.exec(stdout);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      // Keep draining stdout so a chatty child never blocks on a full pipe.
      child.stdout?.resume();
      const url = match[1];
      resolve({
        url,
        syncUrl: `${url.replace(/^http/, 'ws')}/sync`,
        dataDir: opts.dataDir,
        child,
        exited,
        stderr: () => stderr,
        async kill(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    exited.then(
      (exit) => {
        clearTimeout(timer);
        reject(new Error(`child server exited (${exit.code ?? exit.signal}) before listening:\n${stderr}`));
      },
      (err: unknown) => reject(err),
    );
  });
}
