import { and, eq, exists, gte, inArray, isNotNull, lt, or, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { attribution, runEvents, runMessages, runs, suggestions } from '../../schema/tables/agent.ts';
import { assignmentCopies, assignments, roomModes } from '../../schema/tables/classroom.ts';
import { clientBindings } from '../../schema/tables/client-bindings.ts';
import { docLog, docSnapshotParts, docSnapshots, docUpdates } from '../../schema/tables/docs.ts';
import { historyEntries, historyFiles, historyTexts } from '../../schema/tables/history.ts';
import { imports } from '../../schema/tables/imports.ts';
import { baseFiles, roomBases, threads, verdicts } from '../../schema/tables/review.ts';
import { invites, members, rooms } from '../../schema/tables/rooms.ts';
import type { RoomPurger } from '../auth/room-store.ts';
import type { Database } from './database.ts';

/**
 * Deletes a room's content from every table in one transaction: its documents (the code doc is named by
 * the room id, every other doc of the room by `roomId/...`), their clientID bindings, attribution and import
 * records, the agent's runs, messages, suggestions and events, its threads, verdicts, base version and
 * history, and its members and invites. The rooms row stays as the
 * tombstone. Runs only after the room is out of memory with nothing left to write (RoomService.deleteRoom).
 */
export class SqliteRoomPurger implements RoomPurger {
  readonly #database: Pick<Database, 'db'>;

  constructor(database: Pick<Database, 'db'>) {
    this.#database = database;
  }

  async purgeRoom(roomId: string): Promise<void> {
    this.#database.db.transaction((tx) => {
      tx.delete(docUpdates).where(docsOf(docUpdates.docName, roomId)).run();
      // PERF-164: the room's rows not yet moved out of the commit log (a scan of the log: it has no key)
      tx.delete(docLog).where(docsOf(docLog.docName, roomId)).run();
      tx.delete(docSnapshots).where(docsOf(docSnapshots.docName, roomId)).run();
      tx.delete(docSnapshotParts).where(docsOf(docSnapshotParts.docName, roomId)).run();
      tx.delete(clientBindings).where(docsOf(clientBindings.docName, roomId)).run();
      tx.delete(attribution).where(docsOf(attribution.docName, roomId)).run();
      tx.delete(imports).where(docsOf(imports.docName, roomId)).run();
      const runIds = tx.select({ id: runs.id }).from(runs).where(eq(runs.roomId, roomId)).all();
      // In slices: SQLite bounds the number of parameters in one statement.
      for (let i = 0; i < runIds.length; i += 500) {
        const slice = runIds.slice(i, i + 500).map((r) => r.id);
        tx.delete(runMessages).where(inArray(runMessages.runId, slice)).run();
      }
      tx.delete(runs).where(eq(runs.roomId, roomId)).run();
      tx.delete(suggestions).where(eq(suggestions.roomId, roomId)).run();
      tx.delete(runEvents).where(eq(runEvents.roomId, roomId)).run();
      tx.delete(threads).where(eq(threads.roomId, roomId)).run();
      tx.delete(verdicts).where(eq(verdicts.roomId, roomId)).run();
      tx.delete(historyFiles).where(eq(historyFiles.roomId, roomId)).run();
      tx.delete(historyEntries).where(eq(historyEntries.roomId, roomId)).run();
      tx.delete(historyTexts).where(eq(historyTexts.roomId, roomId)).run();
      tx.delete(baseFiles).where(eq(baseFiles.roomId, roomId)).run();
      tx.delete(roomBases).where(eq(roomBases.roomId, roomId)).run();
      // A deleted copy leaves its assignment's dashboard; a deleted template takes its assignments along
      // (the copies stay: they are the students' rooms, and the teacher still owns them).
      tx.delete(roomModes).where(eq(roomModes.roomId, roomId)).run();
      tx.delete(assignmentCopies).where(eq(assignmentCopies.roomId, roomId)).run();
      tx.delete(assignments).where(eq(assignments.templateRoomId, roomId)).run();
      tx.delete(members).where(eq(members.roomId, roomId)).run();
      tx.delete(invites).where(eq(invites.roomId, roomId)).run();
    });
  }

  async purgeUnfinished(): Promise<number> {
    // Every room is created with its invites and the purge deletes them last, so a tombstone that still
    // has invite rows was never purged (markDeleted only revokes them).
    const db = this.#database.db;
    const left = db
      .select({ id: rooms.id })
      .from(rooms)
      .where(
        and(
          isNotNull(rooms.deletedAt),
          exists(db.select({ one: invites.token }).from(invites).where(eq(invites.roomId, rooms.id))),
        ),
      )
      .all();
    for (const { id } of left) await this.purgeRoom(id);
    return left.length;
  }
}

/**
 * The room's documents: its id, or its id then '/' (room ids never contain '/'). Written as a range so
 * the primary keys on doc_name serve it; '0' is the character after '/'.
 */
function docsOf(column: SQLiteColumn, roomId: string): SQL | undefined {
  return or(eq(column, roomId), and(gte(column, `${roomId}/`), lt(column, `${roomId}0`)));
}
