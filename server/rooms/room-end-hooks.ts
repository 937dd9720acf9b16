/**
 * How a room ends on this node, for the services that must stop their work in it first: deleted by its owner
 * (every run stopped before the room is evicted), or lost to another node (runs abandoned at once, writing
 * nothing more: CLUSTER-51). The room service and the cluster announce these before the agent exists, so the
 * agent registers here once it is built, as it registers `RoomRegistry.onLoad` for rooms that load.
 */
export class RoomEndHooks {
  private readonly deletedHooks: ((roomId: string) => Promise<void>)[] = [];
  private readonly lostHooks: ((roomId: string, reason: string) => void)[] = [];

  /** `fn` runs, and is awaited, before a deleted room is evicted. */
  onDeleted(fn: (roomId: string) => Promise<void>): void {
    this.deletedHooks.push(fn);
  }

  /** `fn` runs synchronously when this node loses a room's lease, before the room is evicted. */
  onLost(fn: (roomId: string, reason: string) => void): void {
    this.lostHooks.push(fn);
  }

  async deleted(roomId: string): Promise<void> {
    for (const fn of this.deletedHooks) await fn(roomId);
  }

  lost(roomId: string, reason: string): void {
    for (const fn of this.lostHooks) fn(roomId, reason);
  }
}
