import type { BaseInfo } from '../../schema/protocol.ts';

export interface BaseFile {
  path: string;
  text: string;
}

/**
 * The storage port for a room's base version (CR-12): its description and its files, replaced whole by
 * each upload. Implementations: MemoryBaseStore and SqliteBaseStore, one contract suite.
 */
export interface BaseStore {
  /** replaces the room's base (description and files) in one step */
  setBase(roomId: string, info: BaseInfo, files: BaseFile[]): Promise<void>;
  /** the room's base description, or null when it has none */
  getBaseInfo(roomId: string): Promise<BaseInfo | null>;
  /** the base's files sorted by path ([] when there is no base) */
  getBaseFiles(roomId: string): Promise<BaseFile[]>;
}

export class MemoryBaseStore implements BaseStore {
  readonly #rooms = new Map<string, { info: BaseInfo; files: BaseFile[] }>();

  async setBase(roomId: string, info: BaseInfo, files: BaseFile[]): Promise<void> {
    const sorted = files
      .map((f) => ({ ...f }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    this.#rooms.set(roomId, { info: { ...info }, files: sorted });
  }

  async getBaseInfo(roomId: string): Promise<BaseInfo | null> {
    const base = this.#rooms.get(roomId);
    return base ? { ...base.info } : null;
  }

  async getBaseFiles(roomId: string): Promise<BaseFile[]> {
    return (this.#rooms.get(roomId)?.files ?? []).map((f) => ({ ...f }));
  }
}
