import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

// Which user owns a Yjs clientID in a document (first come, first served). Kept for as long as the document,
// because attribution (blame) maps item ids (clientID, clock) back to people through it.
export const clientBindings = sqliteTable(
  'client_bindings',
  {
    docName: text('doc_name').notNull(),
    clientId: integer('client_id').notNull(),
    userId: text('user_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.docName, t.clientId] })],
);
