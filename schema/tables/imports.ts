import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

// Imports into a room's code doc (IO-7): every archive or folder import inserts its text under a Yjs clientID
// of its own, bound to the person who imported (client_bindings), so blame finds "imported by whom, when"
// from this one row per import instead of a row per file. Times are integer ms since the epoch.
export const imports = sqliteTable(
  'imports',
  {
    docName: text('doc_name').notNull(),
    // The Yjs clientID the import's text was inserted under (unique per import within the document).
    client: integer('client').notNull(),
    id: text('id').notNull(),
    userId: text('user_id').notNull(),
    // 'zip' | 'tar.gz'
    source: text('source').notNull(),
    files: integer('files').notNull(),
    bytes: integer('bytes').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.docName, t.client] })],
);
