import type { Table } from 'drizzle-orm';
import * as pgAgent from '../../schema/pg-tables/agent.ts';
import * as pgClassroom from '../../schema/pg-tables/classroom.ts';
import * as pgBindings from '../../schema/pg-tables/client-bindings.ts';
import * as pgDocs from '../../schema/pg-tables/docs.ts';
import * as pgHistory from '../../schema/pg-tables/history.ts';
import * as pgImports from '../../schema/pg-tables/imports.ts';
import * as pgReview from '../../schema/pg-tables/review.ts';
import * as pgRooms from '../../schema/pg-tables/rooms.ts';
import * as agent from '../../schema/tables/agent.ts';
import * as classroom from '../../schema/tables/classroom.ts';
import * as bindings from '../../schema/tables/client-bindings.ts';
import * as docs from '../../schema/tables/docs.ts';
import * as history from '../../schema/tables/history.ts';
import * as imports from '../../schema/tables/imports.ts';
import * as review from '../../schema/tables/review.ts';
import * as rooms from '../../schema/tables/rooms.ts';

/** One table as both dialects declare it: the same name and the same column keys (OPS-20). */
export interface TablePair {
  name: string;
  sqlite: Table;
  pg: Table;
  /** a bigserial column whose sequence must continue after the copied rows */
  serial?: string;
  /** not copied row for row: its rows are joined into the named table's (and read by no PostgreSQL store) */
  joinedInto?: string;
}

/**
 * Every table the SQLite store holds, with its PostgreSQL twin, in an order that satisfies the foreign keys
 * (rooms before invites and members). The migration refuses a source table that is not listed, so a table
 * added later without a line here fails loudly (and migration-tables.test.ts fails first).
 */
export const migrationTables: TablePair[] = [
  { name: 'rooms', sqlite: rooms.rooms, pg: pgRooms.rooms },
  { name: 'invites', sqlite: rooms.invites, pg: pgRooms.invites },
  { name: 'members', sqlite: rooms.members, pg: pgRooms.members },
  { name: 'client_bindings', sqlite: bindings.clientBindings, pg: pgBindings.clientBindings },
  { name: 'doc_snapshots', sqlite: docs.docSnapshots, pg: pgDocs.docSnapshots },
  // ROOM-30: the SQLite store keeps a large snapshot in parts; the PostgreSQL store reads snapshots whole, so
  // the migration joins each snapshot's parts into its row (sqlite-to-pg.ts) and copies no part.
  {
    name: 'doc_snapshot_parts',
    sqlite: docs.docSnapshotParts,
    pg: pgDocs.docSnapshotParts,
    joinedInto: 'doc_snapshots',
  },
  { name: 'doc_updates', sqlite: docs.docUpdates, pg: pgDocs.docUpdates },
  // PERF-164: rows of the commit log not yet moved (a server stopped by a crash) are doc_updates' rows; the
  // migration copies them into PostgreSQL's doc_updates with the others (sqlite-to-pg.ts).
  { name: 'doc_log', sqlite: docs.docLog, pg: pgDocs.docUpdates, joinedInto: 'doc_updates' },
  { name: 'runs', sqlite: agent.runs, pg: pgAgent.runs },
  { name: 'run_messages', sqlite: agent.runMessages, pg: pgAgent.runMessages },
  { name: 'suggestions', sqlite: agent.suggestions, pg: pgAgent.suggestions, serial: 'seq' },
  { name: 'run_events', sqlite: agent.runEvents, pg: pgAgent.runEvents, serial: 'seq' },
  { name: 'attribution', sqlite: agent.attribution, pg: pgAgent.attribution },
  { name: 'imports', sqlite: imports.imports, pg: pgImports.imports },
  { name: 'threads', sqlite: review.threads, pg: pgReview.threads },
  { name: 'verdicts', sqlite: review.verdicts, pg: pgReview.verdicts },
  { name: 'room_bases', sqlite: review.roomBases, pg: pgReview.roomBases },
  { name: 'base_files', sqlite: review.baseFiles, pg: pgReview.baseFiles },
  { name: 'history_entries', sqlite: history.historyEntries, pg: pgHistory.historyEntries, serial: 'seq' },
  { name: 'history_files', sqlite: history.historyFiles, pg: pgHistory.historyFiles },
  { name: 'history_texts', sqlite: history.historyTexts, pg: pgHistory.historyTexts },
  { name: 'room_modes', sqlite: classroom.roomModes, pg: pgClassroom.roomModes },
  { name: 'assignments', sqlite: classroom.assignments, pg: pgClassroom.assignments },
  { name: 'assignment_copies', sqlite: classroom.assignmentCopies, pg: pgClassroom.assignmentCopies },
];

/** PostgreSQL-only tables a migration empties with --replace and otherwise leaves alone. */
export const pgOnlyTables = ['room_fences'] as const;

/** Every table object each dialect's schema files export (for the completeness test). */
export const declaredTables = {
  sqlite: [agent, classroom, bindings, docs, history, imports, review, rooms],
  pg: [pgAgent, pgClassroom, pgBindings, pgDocs, pgHistory, pgImports, pgReview, pgRooms],
};
