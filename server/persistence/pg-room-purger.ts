import { and, eq, exists, isNotNull, or, type SQL, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { attribution, runEvents, runMessages, runs, suggestions } from '../../schema/pg-tables/agent.ts';
import { assignmentCopies, assignments, roomModes } from '../../schema/pg-tables/classroom.ts';
import { clientBindings } from '../../schema/pg-tables/client-bindings.ts';
import { docSnapshots, docUpdates, roomFences } from '../../schema/pg-tables/docs.ts';
import { historyEntries, historyFiles, historyTexts } from '../../schema/pg-tables/history.ts';
import { imports } from '../../schema/pg-tables/imports.ts';
import { baseFiles, roomBases, threads, verdicts } from '../../schema/pg-tables/review.ts';
import { invites, members, rooms } from '../../schema/pg-tables/rooms.ts';
import type { RoomPurger } from '../auth/room-store.ts';
import type { PgDatabase } from './pg-database.ts';

/**
 * The twin of SqliteRoomPurger: deletes a room's content from every table in one transaction; the rooms row
 * stays as the tombstone. The room's fence row goes too: the room never loads again.
 */
export class PgRoomPurger implements RoomPurger {
  readonly #db: NodePgDatabase;

  constructor(database: Pick<PgDatabase, 'db'>) {
    this.#db = database.db;
  }

  async purgeRoom(roomId: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.delete(docUpdates).where(docsOf(docUpdates.docName, roomId));
      await tx.delete(docSnapshots).where(docsOf(docSnapshots.docName, roomId));
      await tx.delete(clientBindings).where(docsOf(clientBindings.docName, roomId));
      await tx.delete(attribution).where(docsOf(attribution.docName, roomId));
      await tx.delete(imports).where(docsOf(imports.docName, roomId));
      await tx
        .delete(runMessages)
        .where(
          sql`${runMessages.runId} IN (SELECT ${runs.id} FROM ${runs} WHERE ${runs.roomId} = ${roomId})`,
        );
      await tx.delete(runs).where(eq(runs.roomId, roomId));
      await tx.delete(suggestions).where(eq(suggestions.roomId, roomId));
      await tx.delete(runEvents).where(eq(runEvents.roomId, roomId));
      await tx.delete(threads).where(eq(threads.roomId, roomId));
      await tx.delete(verdicts).where(eq(verdicts.roomId, roomId));
      await tx.delete(baseFiles).where(eq(baseFiles.roomId, roomId));
      await tx.delete(roomBases).where(eq(roomBases.roomId, roomId));
      await tx.delete(historyFiles).where(eq(historyFiles.roomId, roomId));
      await tx.delete(historyEntries).where(eq(historyEntries.roomId, roomId));
      await tx.delete(historyTexts).where(eq(historyTexts.roomId, roomId));
      await tx.delete(roomModes).where(eq(roomModes.roomId, roomId));
      await tx.delete(assignmentCopies).where(eq(assignmentCopies.roomId, roomId));
      await tx.delete(assignments).where(eq(assignments.templateRoomId, roomId));
      await tx.delete(members).where(eq(members.roomId, roomId));
      await tx.delete(invites).where(eq(invites.roomId, roomId));
      await tx.delete(roomFences).where(eq(roomFences.roomId, roomId));
    });
  }

  async purgeUnfinished(): Promise<number> {
    const db = this.#db;
    const left = await db
      .select({ id: rooms.id })
      .from(rooms)
      .where(
        and(
          isNotNull(rooms.deletedAt),
          exists(db.select({ one: invites.token }).from(invites).where(eq(invites.roomId, rooms.id))),
        ),
      );
    for (const { id } of left) await this.purgeRoom(id);
    return left.length;
  }
}

/** The room's documents: its id, or its id then '/' (room ids never contain '/'), in any collation. */
function docsOf(column: PgColumn, roomId: string): SQL | undefined {
  return or(eq(column, roomId), sql`starts_with(${column}, ${`${roomId}/`})`);
}
