import type { AppendResult, ClientBinding, DocStore, DocWrite, StoredDoc } from './doc-store.ts';

/**
 * Hooks for tests of the code that uses a store: each runs before the operation and may throw (a failed
 * write) or return a promise the test resolves later (a slow disk, to observe queued frames or batching).
 */
export interface MemoryDocStoreHooks {
  beforeLoad?: (docName: string) => void | Promise<void>;
  beforeAppend?: (docName: string, updates: readonly Uint8Array[]) => void | Promise<void>;
  beforeCompact?: (docName: string, throughSeq: number) => void | Promise<void>;
}

interface MemoryDoc {
  snapshot: Uint8Array | null;
  throughSeq: number;
  log: { seq: number; data: Uint8Array }[];
  lastSeq: number;
  logBytes: number;
}

/**
 * The in-memory twin of SqliteDocStore, held to the same contract suite. It copies bytes in and out (into
 * plain Uint8Arrays: `Buffer#slice` would share memory) so a caller that reuses or mutates a buffer sees the
 * same behaviour as with a real store.
 */
export class MemoryDocStore implements DocStore {
  readonly #docs = new Map<string, MemoryDoc>();
  /** doc name -> clientID -> user id */
  readonly #bindings = new Map<string, Map<number, string>>();
  readonly #hooks: MemoryDocStoreHooks;

  constructor(hooks: MemoryDocStoreHooks = {}) {
    this.#hooks = hooks;
  }

  async load(docName: string): Promise<StoredDoc> {
    await this.#hooks.beforeLoad?.(docName);
    const doc = this.#docs.get(docName);
    if (!doc) return { updates: [], lastSeq: 0, logBytes: 0 };
    const updates = doc.log.map((row) => new Uint8Array(row.data));
    if (doc.snapshot) updates.unshift(new Uint8Array(doc.snapshot));
    return { updates, lastSeq: doc.lastSeq, logBytes: doc.logBytes };
  }

  async append(docName: string, updates: Uint8Array[]): Promise<AppendResult> {
    // Copy before awaiting the hook: the batch is what the caller passed at the call, as with SQLite.
    const copies = updates.map((u) => new Uint8Array(u));
    await this.#hooks.beforeAppend?.(docName, copies);
    return this.#write(docName, copies);
  }

  async appendMany(writes: readonly DocWrite[]): Promise<AppendResult[]> {
    const copies = writes.map((w) => ({
      docName: w.docName,
      updates: w.updates.map((u) => new Uint8Array(u)),
      bindings: (w.bindings ?? []).map((b) => ({ ...b })),
    }));
    // Every hook runs before anything is written, so one failing document fails the whole commit, its
    // bindings included.
    for (const w of copies) await this.#hooks.beforeAppend?.(w.docName, w.updates);
    return copies.map((w) => {
      const result = this.#write(w.docName, w.updates);
      const taken = this.#bind(w.docName, w.bindings);
      return taken.size > 0 ? { ...result, taken } : result;
    });
  }

  async listClientBindings(docName: string): Promise<Map<number, string>> {
    return new Map(this.#bindings.get(docName));
  }

  /** First come, first served; answers the clientIDs someone else held. */
  #bind(docName: string, bindings: readonly ClientBinding[]): Map<number, string> {
    const taken = new Map<number, string>();
    if (bindings.length === 0) return taken;
    let owners = this.#bindings.get(docName);
    if (!owners) {
      owners = new Map();
      this.#bindings.set(docName, owners);
    }
    for (const { clientId, userId } of bindings) {
      const owner = owners.get(clientId);
      if (owner === undefined) owners.set(clientId, userId);
      else if (owner !== userId) taken.set(clientId, owner);
    }
    return taken;
  }

  #write(docName: string, copies: Uint8Array[]): AppendResult {
    if (copies.length === 0) {
      const known = this.#docs.get(docName);
      return { lastSeq: known?.lastSeq ?? 0, logBytes: known?.logBytes ?? 0 };
    }
    const doc = this.#doc(docName);
    for (const data of copies) {
      doc.lastSeq += 1;
      doc.log.push({ seq: doc.lastSeq, data });
      doc.logBytes += data.byteLength;
    }
    return { lastSeq: doc.lastSeq, logBytes: doc.logBytes };
  }

  async compact(docName: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    const copy = new Uint8Array(snapshot);
    await this.#hooks.beforeCompact?.(docName, throughSeq);
    const doc = this.#doc(docName);
    if (!Number.isSafeInteger(throughSeq) || throughSeq < doc.throughSeq || throughSeq > doc.lastSeq) {
      throw new Error(
        `cannot compact ${docName} through seq ${throughSeq}: it must lie between the snapshot's seq ` +
          `${doc.throughSeq} and the last seq ${doc.lastSeq}`,
      );
    }
    doc.snapshot = copy;
    doc.throughSeq = throughSeq;
    doc.log = doc.log.filter((row) => row.seq > throughSeq);
    doc.logBytes = doc.log.reduce((sum, row) => sum + row.data.byteLength, 0);
  }

  /** Names of the documents stored so far (for tests that check what was persisted). */
  docNames(): string[] {
    return [...this.#docs.keys()];
  }

  #doc(docName: string): MemoryDoc {
    let doc = this.#docs.get(docName);
    if (!doc) {
      doc = { snapshot: null, throughSeq: 0, log: [], lastSeq: 0, logBytes: 0 };
      this.#docs.set(docName, doc);
    }
    return doc;
  }
}
