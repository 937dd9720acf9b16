import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** process.memoryUsage() of a contender, taken right after two full garbage collections. */
export interface MemoryUsage {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** of heapUsed: compiled code (V8's code spaces), shared by every room and grown by the JIT as it warms */
  codeBytes: number;
}

export interface ServerProcessOptions {
  name: string;
  /** node arguments after the runtime flags: the entry module (run under tsx) and its arguments */
  entry: string;
  cwd: string;
  env: Record<string, string>;
  /** the line the server prints once it listens; group 1 is the port */
  ready: RegExp;
  /** extra node flags, e.g. --cpu-prof */
  nodeFlags?: string[];
  /** how long the start may take (default 90 s) */
  startTimeoutMs?: number;
}

const probeUrl = new URL('../peers/memory-probe.ts', import.meta.url).href;
/** Every contender's entry runs as `npm start` runs the server: TypeScript through our loader (PERF-45). */
const loaderUrl = new URL('../../scripts/ts-register.mjs', import.meta.url).href;

/** Every server still running, killed if the harness exits early (Ctrl-C, a crash) so none is orphaned. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
/**
 * A start under V8's code log (bench/v8-tierup.ts: every compiled function written to a file) took over 30 s
 * on a 2-core machine at load 18; a server that never starts is still reported, only later.
 */
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * A contender's server in its own process, spawned as `node` itself (not through a wrapper) so its pid is
 * the server: /proc samples and SIGKILL reach the process that holds the documents. Every contender gets
 * the same preload, a memory probe that answers over the IPC channel after forcing a GC.
 */
export class ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  private readonly exited: Promise<number | null>;
  private tail = '';

  private constructor(name: string, child: ChildProcess, port: number, exited: Promise<number | null>) {
    this.name = name;
    this.child = child;
    this.pid = child.pid!;
    this.port = port;
    this.exited = exited;
  }

  static start(opts: ServerProcessOptions): Promise<ServerProcess> {
    const child = spawn(
      process.execPath,
      ['--expose-gc', ...(opts.nodeFlags ?? []), '--import', loaderUrl, '--import', probeUrl, opts.entry],
      { cwd: opts.cwd, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    live.add(child);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        live.delete(child);
        resolve(code);
      }),
    );
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stderr?.on('data', keep);
    return new Promise<ServerProcess>((resolve, reject) => {
      const timeoutMs = opts.startTimeoutMs ?? START_TIMEOUT_MS;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${opts.name} did not start within ${timeoutMs} ms:\n${tail}`));
      }, timeoutMs);
      let seen = '';
      const onOut = (chunk: Buffer) => {
        keep(chunk);
        seen += chunk.toString();
        const m = opts.ready.exec(seen);
        if (!m) return;
        clearTimeout(timer);
        child.stdout?.off('data', onOut);
        child.stdout?.on('data', keep);
        const proc = new ServerProcess(opts.name, child, Number(m[1]), exited);
        child.stderr?.on('data', (c: Buffer) => {
          proc.tail = (proc.tail + c.toString()).slice(-4000);
        });
        resolve(proc);
      };
      child.stdout?.on('data', onOut);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${opts.name} exited with ${code} before listening:\n${tail}`));
      });
    });
  }

  /** The last few KB the server wrote to stderr after starting (for failure reports). */
  get output(): string {
    return this.tail;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  memory(): Promise<MemoryUsage> {
    return this.ask<MemoryUsage>({ type: 'memory' }, 'usage');
  }

  /** Starts watching the server's own event loop (SAFE-170); resolves once the watch has its first sample. */
  async watchLoopDelay(): Promise<void> {
    await this.ask({ type: 'loop-delay-start' }, 'started');
  }

  /** The server's longest event-loop delay since watchLoopDelay, in ms, as it measured it itself. */
  loopDelayMs(): Promise<number> {
    return this.ask<number>({ type: 'loop-delay' }, 'maxMs');
  }

  /** Writes a heap snapshot of the server to `path` (bench/heap-diff.ts), after a forced GC. */
  async heapSnapshot(path: string): Promise<void> {
    await this.ask({ type: 'heap-snapshot', snapshot: path }, 'path');
  }

  /** How many documents a peer launcher that answers `{type:'documents'}` holds in memory now. */
  documents(): Promise<number> {
    return this.ask<number>({ type: 'documents' }, 'count');
  }

  /** Sends `msg` over the IPC channel and resolves with `field` of the first answer of the same type. */
  private ask<T>(msg: { type: string; [k: string]: unknown }, field: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onMessage = (answer: Record<string, unknown> | null) => {
        if (answer?.type !== msg.type || answer[field] === undefined) return;
        this.child.off('message', onMessage);
        resolve(answer[field] as T);
      };
      this.child.on('message', onMessage);
      if (!this.child.send(msg)) {
        this.child.off('message', onMessage);
        reject(new Error(`${this.name}: IPC channel closed`));
      }
    });
  }

  /** SIGTERM (each server's own graceful path: flush, close sockets), SIGKILL if it hangs. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** SIGKILL: the crash a durability claim must survive. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * A clean environment: only what node needs to run, plus the contender's own settings, so variables in
 * the caller's shell (a SPARKROOM_* limit, a PORT) cannot change what is measured.
 */
function childEnv(own: Record<string, string>): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG'];
  const env: Record<string, string> = { NODE_ENV: 'production' };
  for (const k of keep) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...own };
}

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
