import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The user id that owns the server's own Yjs clientIDs (accepted suggestions are written with them). */
export const SERVER_USER_ID = '@server';

export interface BindingStore {
  bindClient(docName: string, clientId: number, userId: string): Promise<string>;
}

/**
 * Which user each Yjs clientID of one document belongs to (ROOM-7). The first connection to use a
 * clientID claims it; any later use by someone else is an identity mismatch. Kept in memory for the hot
 * path and written through to the store, so it survives restarts and serves blame for human text.
 */
export class ClientBindings {
  private readonly docName: string;
  private readonly byClient: Map<number, string>;
  private readonly store: BindingStore;
  private readonly log: Logger;
  private writes = 0;

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

  get pendingWrites(): number {
    return this.writes;
  }

  private persist(clientId: number, userId: string): void {
    this.writes++;
    this.store
      .bindClient(this.docName, clientId, userId)
      .then((stored) => {
        if (stored !== userId) {
          this.log.warn({ doc: this.docName, clientId }, 'clientID was bound concurrently by another user');
          this.byClient.set(clientId, stored);
        }
      })
      .catch((err: unknown) => this.log.error({ err, doc: this.docName, clientId }, 'binding write failed'))
      .finally(() => {
        this.writes--;
      });
  }
}
