import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The user id that owns the server's own Yjs clientIDs (accepted suggestions are written with them). */
export const SERVER_USER_ID = '@server';

export interface BindingStore {
  /**
   * Binds each clientID to its user, first come first served, in one transaction; returns each clientID's
   * owner after the call (the caller's user, or an earlier owner's).
   */
  bindClients(docName: string, bindings: readonly ClientBinding[]): Promise<Map<number, string>>;
}

export interface ClientBinding {
  clientId: number;
  userId: string;
}

/**
 * Which user each Yjs clientID of one document belongs to (ROOM-7). The first connection to use a
 * clientID claims it; any later use by someone else is an identity mismatch. Kept in memory for the hot
 * path and written to the store in batches (ROOM-13): every claim of one event-loop turn goes in one
 * transaction, run by the group commit just before the updates it made, so it survives restarts and
 * serves blame for human text. One fsync'd transaction per clientID let 10,000 of them in one frame hold
 * the event loop for seconds.
 */
export class ClientBindings {
  private readonly docName: string;
  private readonly byClient: Map<number, string>;
  private readonly store: BindingStore;
  private readonly log: Logger;
  private writes = 0;
  private unsaved: ClientBinding[] = [];
  /**
   * told when a claim waits to be stored (the document's durable path schedules a group commit); null: store
   * next turn. An object with a method, not a closure: a closure kept its whole constructor scope (PERF-84).
   */
  onUnsaved: { schedule(): void } | null = null;

  constructor(docName: string, loaded: Map<number, string>, store: BindingStore, log: Logger) {
    this.docName = docName;
    this.byClient = loaded;
    this.store = store;
    this.log = log;
  }

  /** Throws AppError('identity_mismatch') when the clientID is already someone else's. */
  claim(clientId: number, userId: string): void {
    const owner = this.byClient.get(clientId);
    if (owner === userId) return;
    if (owner !== undefined) {
      throw new AppError('identity_mismatch', `clientID ${clientId} belongs to another participant`);
    }
    this.byClient.set(clientId, userId);
    this.persist(clientId, userId);
  }

  /** Marks a clientID as the server's own, so no client can write as it. */
  reserve(clientId: number): void {
    if (this.byClient.has(clientId)) return;
    this.byClient.set(clientId, SERVER_USER_ID);
    this.persist(clientId, SERVER_USER_ID);
  }

  userOf(clientId: number): string | undefined {
    return this.byClient.get(clientId);
  }

  /** claims waiting for the next flush (not yet handed to the store) */
  get unsavedCount(): number {
    return this.unsaved.length;
  }

  /** claims not yet stored (waiting or being written) */
  get pendingWrites(): number {
    return this.writes + this.unsaved.length;
  }

  private persist(clientId: number, userId: string): void {
    this.unsaved.push({ clientId, userId });
    if (this.unsaved.length > 1) return;
    if (this.onUnsaved) this.onUnsaved.schedule();
    else setImmediate(() => void this.flush());
  }

  /** Stores every waiting claim in one transaction (the group commit calls this). Never rejects. */
  async flush(): Promise<void> {
    if (this.unsaved.length === 0) return;
    const batch = this.unsaved;
    this.unsaved = [];
    this.writes += batch.length;
    try {
      const owners = await this.store.bindClients(this.docName, batch);
      for (const { clientId, userId } of batch) {
        const stored = owners.get(clientId);
        if (stored !== undefined && stored !== userId) {
          this.log.warn({ doc: this.docName, clientId }, 'clientID was bound concurrently by another user');
          this.byClient.set(clientId, stored);
        }
      }
    } catch (err) {
      this.log.error({ err, doc: this.docName, clients: batch.length }, 'binding write failed');
    } finally {
      this.writes -= batch.length;
    }
  }
}
