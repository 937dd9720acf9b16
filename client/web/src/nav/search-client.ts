import type * as Y from 'yjs';
import type { SearchLimits, SearchQuery, SearchResult } from './search-engine.ts';
import type { SearchWorkerAnswer, SearchWorkerRequest } from './search-worker.ts';

/** A search that has not answered after this long is stopped (its worker ended), ms (SAFE-80). */
export const SEARCH_TIMEOUT_MS = 3000;
/** A newer search waits behind a running one only this long before the old one is cut off, ms. */
const SUPERSEDE_AFTER_MS = 200;

export type SearchAnswer = SearchResult | { error: string };

interface Pending {
  id: number;
  since: number;
  timer: ReturnType<typeof setTimeout>;
  resolve(answer: SearchAnswer | null): void;
}

/**
 * The page's side of search across files: a Web Worker holding a copy of every file (sent once, then
 * only what changed), so a search never holds the page, and one that runs too long (a hostile regular
 * expression) is ended with its worker and reported, never waited for (SAFE-80).
 */
export class SearchClient {
  private worker: Worker | null = null;
  private readonly dirty = new Set<string>();
  private nextId = 1;
  private pending: Pending | null = null;
  private observing = false;
  private readonly onChange = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
    for (const e of events) {
      if (e.target === this.files) for (const key of e.changes.keys.keys()) this.dirty.add(key);
      else if (typeof e.path[0] === 'string') this.dirty.add(e.path[0]);
    }
  };

  constructor(
    private readonly files: Y.Map<Y.Text>,
    private readonly makeWorker: () => Worker = () =>
      new Worker(new URL('./search-worker.ts', import.meta.url), { type: 'module' }),
  ) {}

  /**
   * Runs a search; resolves with its result, an error (bad regex, timeout), or null when a newer search
   * replaced it before it answered.
   */
  search(query: SearchQuery, limits: SearchLimits): Promise<SearchAnswer | null> {
    const worker = this.ensureWorker();
    this.flush();
    if (this.pending) {
      const old = this.pending;
      // A search still running after a while may be a runaway: cut it off rather than queue behind it.
      if (performance.now() - old.since > SUPERSEDE_AFTER_MS) this.restart();
      this.settle(old, null);
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.restart();
        this.settle(this.pending, {
          error: `the search took longer than ${SEARCH_TIMEOUT_MS / 1000} s and was stopped: make the regular expression simpler or more specific`,
        });
      }, SEARCH_TIMEOUT_MS);
      this.pending = { id, since: performance.now(), timer, resolve };
      this.post({ type: 'search', id, query, limits }, this.worker ?? worker);
    });
  }

  destroy(): void {
    // Only a client that searched observes the files (Yjs logs an error for removing an absent handler).
    if (this.observing) this.files.unobserveDeep(this.onChange);
    this.observing = false;
    if (this.pending) this.settle(this.pending, null);
    this.worker?.terminate();
    this.worker = null;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.makeWorker();
    worker.onmessage = (e: MessageEvent<SearchWorkerAnswer>) => {
      const p = this.pending;
      if (e.data.type === 'result' && p && p.id === e.data.id) this.settle(p, e.data.result);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      if (this.pending) this.settle(this.pending, { error: `the search failed: ${e.message}` });
      this.restart();
    };
    this.worker = worker;
    if (!this.observing) {
      this.files.observeDeep(this.onChange);
      this.observing = true;
    }
    this.dirty.clear();
    const all: [string, string][] = [];
    for (const [path, text] of this.files) all.push([path, text.toString()]);
    this.post({ type: 'reset', files: all }, worker);
    return worker;
  }

  /** Sends the files changed since the last search (a deleted one as null). */
  private flush(): void {
    if (this.dirty.size === 0 || !this.worker) return;
    const changed: [string, string | null][] = [];
    for (const path of this.dirty) changed.push([path, this.files.get(path)?.toString() ?? null]);
    this.dirty.clear();
    this.post({ type: 'update', files: changed }, this.worker);
  }

  /** Ends the worker (a runaway search with it) and starts a fresh one with the current files. */
  private restart(): void {
    this.worker?.terminate();
    this.worker = null;
    this.ensureWorker();
  }

  private settle(p: Pending, answer: SearchAnswer | null): void {
    clearTimeout(p.timer);
    if (this.pending === p) this.pending = null;
    p.resolve(answer);
  }

  private post(msg: SearchWorkerRequest, worker: Worker): void {
    worker.postMessage(msg);
  }
}
