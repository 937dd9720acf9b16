import type { CheckpointRecord, CheckpointStore, StoredText } from './checkpoint-store.ts';

/** The history store in memory (tests, and the in-process agent core): same contract as SQLite. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly entries = new Map<string, CheckpointRecord[]>();
  private readonly texts = new Map<string, Map<string, string>>();
  private nextSeq = 1;

  async putTexts(roomId: string, texts: readonly StoredText[]): Promise<void> {
    let room = this.texts.get(roomId);
    if (!room) {
      room = new Map();
      this.texts.set(roomId, room);
    }
    for (const t of texts) if (!room.has(t.hash)) room.set(t.hash, t.text);
  }

  async append(entry: Omit<CheckpointRecord, 'seq'>): Promise<CheckpointRecord> {
    const texts = this.texts.get(entry.roomId);
    for (const f of entry.files) {
      for (const hash of [f.before, f.after]) {
        if (hash !== null && !texts?.has(hash)) throw new Error(`text ${hash} is not stored`);
      }
    }
    const stored = structuredClone({ ...entry, seq: this.nextSeq++ });
    const list = this.entries.get(entry.roomId) ?? [];
    list.push(stored);
    this.entries.set(entry.roomId, list);
    return structuredClone(stored);
  }

  async list(roomId: string, page: { before?: number; limit: number }): Promise<CheckpointRecord[]> {
    const before = page.before ?? Number.POSITIVE_INFINITY;
    return (this.entries.get(roomId) ?? [])
      .filter((e) => e.seq < before)
      .reverse()
      .slice(0, page.limit)
      .map((e) => structuredClone(e));
  }

  async get(roomId: string, id: string): Promise<CheckpointRecord | null> {
    const found = (this.entries.get(roomId) ?? []).find((e) => e.id === id);
    return found ? structuredClone(found) : null;
  }

  async readText(roomId: string, hash: string): Promise<string | null> {
    return this.texts.get(roomId)?.get(hash) ?? null;
  }

  async filesAt(roomId: string, seq: number | null): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    const decided = new Set<string>();
    for (const e of this.entries.get(roomId) ?? []) {
      for (const f of e.files) {
        if (decided.has(f.path)) continue;
        if (seq !== null && e.seq >= seq) {
          out.set(f.path, f.before);
          decided.add(f.path);
        } else {
          out.set(f.path, f.after);
        }
      }
    }
    return out;
  }

  /** Drops a room's history (the room was deleted). */
  purgeRoom(roomId: string): void {
    this.entries.delete(roomId);
    this.texts.delete(roomId);
  }
}
