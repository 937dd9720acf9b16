import type { ThreadView } from '../../schema/protocol.ts';

/**
 * The storage port for threads on code (CR-3): each thread with its comments, saved whole after every
 * change (a thread is small and bounded, CR-8). The review doc holds the same threads for live pages; this
 * store is what survives without it and what summaries read. Implementations: MemoryThreadStore and
 * SqliteThreadStore, one contract suite.
 */
export interface ThreadStore {
  /** inserts or replaces the thread */
  saveThread(roomId: string, thread: ThreadView): Promise<void>;
  /** the room's threads, oldest first */
  listThreads(roomId: string): Promise<ThreadView[]>;
  /** true when there was such a thread */
  deleteThread(roomId: string, threadId: string): Promise<boolean>;
}

export class MemoryThreadStore implements ThreadStore {
  /** room id -> thread id -> thread; Map order is first-save order */
  readonly #rooms = new Map<string, Map<string, ThreadView>>();

  async saveThread(roomId: string, thread: ThreadView): Promise<void> {
    let threads = this.#rooms.get(roomId);
    if (!threads) {
      threads = new Map();
      this.#rooms.set(roomId, threads);
    }
    threads.set(thread.id, structuredClone(thread));
  }

  async listThreads(roomId: string): Promise<ThreadView[]> {
    const threads = [...(this.#rooms.get(roomId)?.values() ?? [])];
    return threads.sort((a, b) => a.createdAt - b.createdAt).map((t) => structuredClone(t));
  }

  async deleteThread(roomId: string, threadId: string): Promise<boolean> {
    return this.#rooms.get(roomId)?.delete(threadId) ?? false;
  }
}
