import { SERVER_ACTOR_ID } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import { type FlatMap, flatGet, flatSet } from '../flat-map.ts';
import type { Logger } from '../log.ts';
import { clientIdKey } from './client-id-key.ts';
import type { ClientBinding } from './doc-store.ts';

/** The user id that owns the server's own Yjs clientIDs (accepted suggestions are written with them). */
export const SERVER_USER_ID = SERVER_ACTOR_ID;

/** no bindings yet: one array for every document (a binding makes a new array, never changes this one) */
const NONE: FlatMap<number, string> = [];

/**
 * Which user each Yjs clientID of one document belongs to (ROOM-7). The first connection to use a
 * clientID claims it; any later use by someone else is an identity mismatch. Kept in memory for the hot
 * path and stored in batches (ROOM-13): the document's next group commit takes every claim made since the
 * last with its updates and writes both in its one transaction (DocWrite.bindings), so a binding survives
 * restarts and serves blame for human text, is durable no later than the updates that use it, and a
 * tab's first edit costs one commit, not two (SAFE-173). One fsync'd transaction per clientID let 10,000 of
 * them in one frame hold the event loop for seconds.
 */
export class ClientBindings {
  private readonly docName: string;
  /**
   * keyed by `clientIdKey` (PERF-133): half of the uint32 clientIDs were a heap number of 16 B each in the
   * map's table, and an idle room binds about four (its people's, the server's of this load and of earlier
   * ones). PERF-154: a flat map (`server/flat-map.ts`): the array of eight is 96 B where a Map and its table
   * of four were 184 B.
   */
  private byClient: FlatMap<number, string> = NONE;
  private readonly log: Logger;
  /** claims handed to the commit in flight */
  private writing: ClientBinding[] | null = null;
  /**
   * claims not yet stored: they ride with the document's next commit, which is the first that can hold
   * anything written under them (SAFE-173), so a claim never costs a commit of its own: not a viewer's
   * presence, not an update held for its parent (ROOM-14), not the server's own clientIDs
   */
  private unsaved: ClientBinding[] | null = null;

  constructor(docName: string, loaded: Map<number, string>, log: Logger) {
    this.docName = docName;
    // PERF-154: the server's id as the one constant, not a string of its own per stored row.
    for (const [clientId, userId] of loaded) {
      this.bind(clientIdKey(clientId), userId === SERVER_USER_ID ? SERVER_USER_ID : userId);
    }
    this.log = log;
  }

  /** the user bound to `key` (a `clientIdKey`) */
  private lookup(key: number): string | undefined {
    return flatGet(this.byClient, key);
  }

  /** Binds `key` (a `clientIdKey`) to `userId`, in place of any binding it had. */
  private bind(key: number, userId: string): void {
    this.byClient = flatSet(this.byClient, key, userId);
  }

  /** Throws AppError('identity_mismatch') when the clientID is already someone else's. */
  claim(clientId: number, userId: string): void {
    const owner = this.lookup(clientIdKey(clientId));
    if (owner === userId) return;
    if (owner !== undefined) {
      throw new AppError('identity_mismatch', `clientID ${clientId} belongs to another participant`);
    }
    this.bind(clientIdKey(clientId), userId);
    this.unsaved ??= [];
    this.unsaved.push({ clientId, userId });
  }

  /** Marks a clientID as the server's own, so no client can write as it. */
  reserve(clientId: number): void {
    if (this.lookup(clientIdKey(clientId)) !== undefined) return;
    this.bind(clientIdKey(clientId), SERVER_USER_ID);
    this.unsaved ??= [];
    this.unsaved.push({ clientId, userId: SERVER_USER_ID });
  }

  userOf(clientId: number): string | undefined {
    return this.lookup(clientIdKey(clientId));
  }

  /**
   * claims being written by the commit in flight. Those still waiting do not hold the document: nothing
   * durable depends on them until an update under them is, and that update's commit takes them.
   */
  get pendingWrites(): number {
    return this.writing?.length ?? 0;
  }

  /** Hands every waiting claim to the commit being built (it writes them with the document's updates). */
  take(): ClientBinding[] | null {
    if (this.unsaved === null) return null;
    this.writing = this.unsaved;
    this.unsaved = null;
    return this.writing;
  }

  /**
   * The commit that carried the claims is durable. `taken`: clientIDs another user bound first (another node
   * of a cluster, between this one's check and its commit): the stored owner wins, later frames are checked
   * against it.
   */
  stored(taken: ReadonlyMap<number, string> | undefined): void {
    const batch = this.writing ?? [];
    this.writing = null;
    if (!taken) return;
    for (const { clientId, userId } of batch) {
      const owner = taken.get(clientId);
      if (owner === undefined || owner === userId) continue;
      this.log.warn({ doc: this.docName, clientId }, 'clientID was bound concurrently by another user');
      this.bind(clientIdKey(clientId), owner);
    }
  }

  /** The commit failed: the room reloads from storage (ROOM-11), which forgets these claims too. */
  failed(): void {
    this.writing = null;
  }
}
