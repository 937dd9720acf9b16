import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { AppError } from '../errors.ts';

/**
 * The fencing number this process holds for the room a document (or the room itself: a room id is its code
 * doc's name) belongs to, or null when writes to it are not fenced (a single node). Supplied by the cluster
 * part (server/cluster/), so the stores never learn about Redis; in cluster mode it throws `fenced` for a room
 * this node does not hold, or whose lease it can no longer be sure of (CLUSTER-8).
 */
export type FenceOf = (docName: string) => { roomId: string; fence: number } | null;

/** What the PostgreSQL stores need of the cluster to fence the writes of a room (CLUSTER-9, CLUSTER-50). */
export interface Fencing {
  fenceOf: FenceOf;
  /**
   * PostgreSQL refused a write of the room made with `fence` because a newer owner's number is stored: this
   * node lost the room, whatever its lease clock says, unless it has taken the room back since with a newer
   * number (a refusal that comes back late must not give that one up). Called once per refused write.
   */
  refused?: (roomId: string, fence: number, reason: string) => void;
}

export const NO_FENCING: Fencing = { fenceOf: () => null };

/**
 * The fencing check of one room, inside the caller's transaction: raise the stored number to ours or keep it.
 * The row lock it takes orders this write against a new owner's claim (claimFence waits for this transaction,
 * or this one sees the higher number and is refused). Same statement as the doc store's appends.
 */
const RAISE_OR_KEEP =
  'INSERT INTO room_fences (room_id, fence) VALUES ($1, $2) ON CONFLICT (room_id) DO UPDATE ' +
  'SET fence = excluded.fence WHERE room_fences.fence <= excluded.fence RETURNING fence';

function refusal(fencing: Fencing, f: { roomId: string; fence: number }): AppError {
  const reason = `this node no longer owns room ${f.roomId}: a newer owner holds it`;
  fencing.refused?.(f.roomId, f.fence, reason);
  return new AppError('fenced', reason);
}

/** Thrown inside a transaction whose fencing check failed, so it rolls back; turned into `fenced` outside. */
class FenceRefused extends Error {}

/**
 * Runs `write` for `rooms` (one room id, or several for a batch that spans rooms) fenced (CLUSTER-50): when
 * this node holds fencing numbers for them, in one transaction that first checks each, so a node that lost
 * its lease writes nothing at all (the transaction rolls back whole, `fenced`, close 4509). Unfenced rooms
 * (a single node) run `write` as they did before.
 */
export async function fencedWrite<T>(
  db: NodePgDatabase,
  fencing: Fencing,
  rooms: string | readonly string[],
  write: (db: NodePgDatabase) => Promise<T>,
): Promise<T> {
  // Before any I/O: a room this node does not hold (or no longer surely holds) throws `fenced` here. In room
  // order, as the appends lock fence rows, so two writers never wait on each other in a cycle.
  const ids = typeof rooms === 'string' ? [rooms] : [...new Set(rooms)].sort();
  const fences = ids.map((id) => fencing.fenceOf(id)).filter((f) => f !== null);
  if (fences.length === 0) return write(db);
  let refused: { roomId: string; fence: number } | null = null;
  try {
    return await db.transaction(async (tx) => {
      for (const f of fences) {
        const res = await tx.execute(
          sql`INSERT INTO room_fences (room_id, fence) VALUES (${f.roomId}, ${f.fence}) ON CONFLICT (room_id) DO UPDATE SET fence = excluded.fence WHERE room_fences.fence <= excluded.fence RETURNING fence`,
        );
        if (res.rowCount === 0) {
          refused = f;
          throw new FenceRefused();
        }
      }
      // A drizzle transaction offers the query builder of the database it belongs to.
      return write(tx as unknown as NodePgDatabase);
    });
  } catch (err) {
    if (err instanceof FenceRefused && refused !== null) throw refusal(fencing, refused);
    throw err;
  }
}

/**
 * The same check on a raw pool client inside a transaction the caller opened (stores on the pool rather than
 * the query builder), for the fencing number `fencing.fenceOf` gave when the write was asked. Throws `fenced`
 * when refused; the caller's rollback then undoes everything.
 */
export async function checkFenceOn(
  client: pg.PoolClient,
  fencing: Fencing,
  f: ReturnType<FenceOf>,
): Promise<void> {
  if (f === null) return;
  const res = await client.query(RAISE_OR_KEEP, [f.roomId, f.fence]);
  if (res.rowCount === 0) throw refusal(fencing, f);
}

/** The room a document belongs to: its name up to the first '/' (room ids never contain '/'). */
export function roomOfDoc(docName: string): string {
  const slash = docName.indexOf('/');
  return slash < 0 ? docName : docName.slice(0, slash);
}
