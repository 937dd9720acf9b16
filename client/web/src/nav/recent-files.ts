/** How many recent files a room remembers. */
const KEEP = 50;

/**
 * The files this person opened in a room, most recent first, kept in localStorage per room so quick open
 * lists them first after a reload too (NAV-2). Storage failures (private mode, quota) only lose the list.
 */
export class RecentFiles {
  private list: string[];
  private readonly key: string;

  constructor(
    roomId: string,
    private readonly storage: Storage | null = safeStorage(),
  ) {
    this.key = `sparkroom:recent:${roomId}`;
    this.list = readList(this.storage, this.key);
  }

  get paths(): readonly string[] {
    return this.list;
  }

  opened(path: string): void {
    this.list = [path, ...this.list.filter((p) => p !== path)].slice(0, KEEP);
    try {
      this.storage?.setItem(this.key, JSON.stringify(this.list));
    } catch {
      // Quota or private mode: the list lives for this page only.
    }
  }

  /** A file was renamed or deleted: follow the rename, forget the deleted one. */
  moved(from: string, to: string | null): void {
    this.list = this.list.flatMap((p) => (p === from ? (to === null ? [] : [to]) : [p]));
  }
}

function readList(storage: Storage | null, key: string): string[] {
  try {
    const raw = storage?.getItem(key);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed)
      ? parsed.filter((p): p is string => typeof p === 'string').slice(0, KEEP)
      : [];
  } catch {
    return [];
  }
}

export function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
