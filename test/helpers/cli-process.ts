import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../client/cli/bin.mjs', import.meta.url));

/** The real `sparkroom` CLI as a child process, started the way a user starts it (node client/cli/bin.mjs). */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves with the first stdout match of `pattern` (rejects if the process exits first) */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** resolves with the exit code */
  exited: Promise<number>;
  /** Ctrl-C, then the exit code */
  interrupt(): Promise<number>;
}

export function startCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): CliProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (!m) return;
          done();
          resolve(m);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern} in CLI output:\n${out}\n${err}`));
        }, timeoutMs);
        const onExit = (code: number) => {
          done();
          reject(new Error(`CLI exited ${code} before ${pattern}:\n${out}\n${err}`));
        };
        const done = () => {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
          child.off('exit', onExit);
        };
        waiters.push(check);
        child.once('exit', onExit);
        check();
      });
    },
    async interrupt() {
      child.kill('SIGINT');
      return exited;
    },
  };
}

/** Runs a CLI command to its end; returns exit code and output. */
export async function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = startCli(args, opts);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Resolves when the file's content satisfies `predicate` (watching its folder; no polling sleeps). */
export function waitForFile(
  path: string,
  predicate: (content: string | null) => boolean,
  timeoutMs = 10_000,
): Promise<string | null> {
  const read = () => (existsSync(path) ? readFileSync(path, 'utf8') : null);
  return new Promise((resolve, reject) => {
    let watcher: ReturnType<typeof watch> | null = null;
    const finish = (value: string | null, error?: Error) => {
      clearTimeout(timer);
      watcher?.close();
      if (error) reject(error);
      else resolve(value);
    };
    const check = () => {
      try {
        const content = read();
        if (predicate(content)) finish(content);
      } catch {
        // mid-rename: the next event checks again
      }
    };
    const timer = setTimeout(
      () => finish(null, new Error(`timed out waiting for ${path}; it holds: ${JSON.stringify(read())}`)),
      timeoutMs,
    );
    // Watch the nearest existing folder: the file (or its folder) may not exist yet.
    let dir = dirname(path);
    while (!existsSync(dir)) dir = dirname(dir);
    watcher = watch(dir, { recursive: true }, check);
    check();
  });
}

export { join };
