import { integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { bytea, int8 } from './columns.ts';

// The document aggregate on PostgreSQL, the twin of schema/tables/docs.ts: a snapshot plus an append-only log.

export const docUpdates = pgTable(
  'doc_updates',
  {
    docName: text('doc_name').notNull(),
    seq: int8('seq').notNull(),
    data: bytea('data').notNull(),
    // CRC-32 of data, checked at load (SAFE-38); null for rows written before the column existed.
    crc32: int8('crc32'),
  },
  (t) => [primaryKey({ columns: [t.docName, t.seq] })],
);

export const docSnapshots = pgTable('doc_snapshots', {
  docName: text('doc_name').primaryKey(),
  data: bytea('data').notNull(),
  throughSeq: int8('through_seq').notNull(),
  // CRC-32 of data, checked at load (SAFE-38); null for snapshots written before the column existed.
  crc32: int8('crc32'),
  // ROOM-30's parts (see schema/tables/docs.ts). The PostgreSQL store writes every snapshot whole (gen null,
  // parts 0): its write is a send on a socket that never holds the event loop. The columns and the parts
  // table keep the two dialects the same shape (CLUSTER-4).
  gen: int8('gen'),
  parts: integer('parts').notNull().default(0),
});

export const docSnapshotParts = pgTable(
  'doc_snapshot_parts',
  {
    docName: text('doc_name').notNull(),
    gen: int8('gen').notNull(),
    part: integer('part').notNull(),
    data: bytea('data').notNull(),
    crc32: int8('crc32').notNull(),
  },
  (t) => [primaryKey({ columns: [t.docName, t.gen, t.part] })],
);

/**
 * The fencing number of the node that may write a room's documents (CLUSTER). Only present when nodes share
 * the database through Redis leases: every append of a fenced room raises or keeps the number in the same
 * transaction and fails when a newer owner already wrote a higher one, so a node that lost its lease (paused,
 * partitioned) can never write again, whatever it still believes.
 */
export const roomFences = pgTable('room_fences', {
  roomId: text('room_id').primaryKey(),
  fence: int8('fence').notNull(),
});
