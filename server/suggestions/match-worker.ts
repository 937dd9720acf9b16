import { Worker } from 'node:worker_threads';
import type { FoundMatch } from '../../schema/search-query.ts';
import { AppError } from '../errors.ts';

// Runs a person's regular expression over the files in a thread of its own: JavaScript's engine backtracks,
// so `(a+)+$` over a long line of a's can take minutes; on this thread it holds nothing, and past the time
// limit the thread is ended (SAFE-121). Plain JavaScript evaluated in place (a .ts entry would need a
// loader in the worker). Empty matches are skipped, as the page's search does.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, source, flags, texts, maxMatches }) => {
  const re = new RegExp(source, flags);
  const found = [];
  let count = 0;
  let tooMany = false;
  for (const text of texts) {
    const list = [];
    found.push(list);
    if (tooMany) continue;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) { re.lastIndex++; continue; }
      if (++count > maxMatches) { tooMany = true; break; }
      list.push({ index: m.index, text: m[0], groups: m.slice(1), named: m.groups ? { ...m.groups } : null });
    }
  }
  parentPort.postMessage({ id, found, tooMany });
});
`;

interface Reply {
  id: number;
  found: FoundMatch[][];
  tooMany: boolean;
}

export interface MatchWorkerOptions {
  /** a search still running after this long is ended with its thread, ms */
  timeoutMs: number;
}

/**
 * Finds the matches of a regular expression in texts on a worker thread, one search at a time, each
 * bounded in time. Started on first use, unref'd, restarted after a timeout.
 */
export class MatchWorker {
  readonly #timeoutMs: number;
  #worker: Worker | null = null;
  #nextId = 1;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(opts: MatchWorkerOptions) {
    this.#timeoutMs = opts.timeoutMs;
  }

  /**
   * Every match of `re` (global) in each text, in order. More than `maxMatches` in all answers
   * `tooMany` (the lists then stop short). Rejects with a `bad_request` AppError past the time limit.
   */
  find(
    re: RegExp,
    texts: string[],
    maxMatches: number,
  ): Promise<{ found: FoundMatch[][]; tooMany: boolean }> {
    const run = () => this.#run(re, texts, maxMatches);
    const next = this.#chain.then(run, run);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker) await worker.terminate();
  }

  #run(
    re: RegExp,
    texts: string[],
    maxMatches: number,
  ): Promise<{ found: FoundMatch[][]; tooMany: boolean }> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      const onMessage = (reply: Reply) => {
        if (reply.id !== id) return;
        done();
        resolve({ found: reply.found, tooMany: reply.tooMany });
      };
      const onExit = (code: number) => {
        done();
        if (this.#worker === worker) this.#worker = null;
        reject(new Error(`the match worker exited with code ${code}`));
      };
      const timer = setTimeout(() => {
        done();
        if (this.#worker === worker) this.#worker = null;
        void worker.terminate();
        reject(
          new AppError(
            'bad_request',
            `the regular expression ran longer than ${this.#timeoutMs / 1000} s and was stopped: make it simpler or more specific`,
          ),
        );
      }, this.#timeoutMs);
      worker.on('message', onMessage);
      worker.on('exit', onExit);
      worker.postMessage({ id, source: re.source, flags: re.flags, texts, maxMatches });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('error', () => {
      // The exit that follows rejects the search in flight; the next search starts a new thread.
      if (this.#worker === worker) this.#worker = null;
    });
    this.#worker = worker;
    return worker;
  }
}
