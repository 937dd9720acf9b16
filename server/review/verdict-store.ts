import type { VerdictView } from '../../schema/protocol.ts';

/**
 * The storage port for verdicts (CR-9): one per person and room. Implementations: MemoryVerdictStore and
 * SqliteVerdictStore, one contract suite.
 */
export interface VerdictStore {
  /** inserts or replaces the person's verdict */
  setVerdict(roomId: string, verdict: VerdictView): Promise<void>;
  /** true when there was one */
  clearVerdict(roomId: string, userId: string): Promise<boolean>;
  /** the room's verdicts, oldest first */
  listVerdicts(roomId: string): Promise<VerdictView[]>;
}

export class MemoryVerdictStore implements VerdictStore {
  readonly #rooms = new Map<string, Map<string, VerdictView>>();

  async setVerdict(roomId: string, verdict: VerdictView): Promise<void> {
    let room = this.#rooms.get(roomId);
    if (!room) {
      room = new Map();
      this.#rooms.set(roomId, room);
    }
    room.set(verdict.userId, { ...verdict });
  }

  async clearVerdict(roomId: string, userId: string): Promise<boolean> {
    return this.#rooms.get(roomId)?.delete(userId) ?? false;
  }

  async listVerdicts(roomId: string): Promise<VerdictView[]> {
    return [...(this.#rooms.get(roomId)?.values() ?? [])].sort((a, b) => a.at - b.at).map((v) => ({ ...v }));
  }
}
