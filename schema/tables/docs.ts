import { blob, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

// The document aggregate: a Yjs document is a snapshot plus an append-only log of updates since it.
// doc_name is the room's doc name (code or review doc), not a foreign key: docs outlive nothing and are
// written on the hot path, where a foreign-key check per row would only cost time.

export const docUpdates = sqliteTable(
  'doc_updates',
  {
    docName: text('doc_name').notNull(),
    // Increases per document across compactions and restarts; never reused.
    seq: integer('seq').notNull(),
    data: blob('data', { mode: 'buffer' }).notNull(),
    // CRC-32 of data, checked at load (SAFE-38); null for rows written before the column existed.
    crc32: integer('crc32'),
  },
  // The primary key serves every query: the log of one doc in order, its max(seq), the delete on compaction.
  (t) => [primaryKey({ columns: [t.docName, t.seq] })],
);

export const docSnapshots = sqliteTable('doc_snapshots', {
  docName: text('doc_name').primaryKey(),
  data: blob('data', { mode: 'buffer' }).notNull(),
  // The last log seq merged into this snapshot; the next update gets a larger seq even if the log is empty.
  throughSeq: integer('through_seq').notNull(),
  // CRC-32 of data, checked at load (SAFE-38); null for snapshots written before the column existed.
  crc32: integer('crc32'),
  // ROOM-30: a snapshot over one part is stored in doc_snapshot_parts under this generation (data is then
  // empty); null for a snapshot held whole in data.
  gen: integer('gen'),
  // how many parts the generation has; 0 for a snapshot held whole in data
  parts: integer('parts').notNull().default(0),
});

// ROOM-30: a large snapshot in parts of at most SNAPSHOT_PART_BYTES, each written in its own short
// transaction before the snapshot row names their generation. Parts of any other generation are leftovers
// (a compaction that did not finish, or a replaced snapshot) and are never read.
export const docSnapshotParts = sqliteTable(
  'doc_snapshot_parts',
  {
    docName: text('doc_name').notNull(),
    gen: integer('gen').notNull(),
    part: integer('part').notNull(),
    data: blob('data', { mode: 'buffer' }).notNull(),
    // CRC-32 of this part's data, checked at load (SAFE-38)
    crc32: integer('crc32').notNull(),
  },
  (t) => [primaryKey({ columns: [t.docName, t.gen, t.part] })],
);

// PERF-164: the commit log. A keystroke's group commit appends its rows here, in rowid order (one or two
// pages a commit, however many documents it carries), and the store moves them into doc_updates in key
// order in one transaction every few hundred commits and before anything reads doc_updates. Rows here have
// the columns and meaning of doc_updates' rows; there is no key on (doc_name, seq) by design: that key's
// pages, one or more for each document in a commit, are what this table saves.
export const docLog = sqliteTable('doc_log', {
  docName: text('doc_name').notNull(),
  seq: integer('seq').notNull(),
  data: blob('data', { mode: 'buffer' }).notNull(),
  crc32: integer('crc32'),
});
