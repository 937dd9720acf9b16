import { integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { int8 } from './columns.ts';

// Imports into a room's code doc (IO-7): the twin of schema/tables/imports.ts.
export const imports = pgTable(
  'imports',
  {
    docName: text('doc_name').notNull(),
    client: int8('client').notNull(),
    id: text('id').notNull(),
    userId: text('user_id').notNull(),
    source: text('source').notNull(),
    files: integer('files').notNull(),
    bytes: int8('bytes').notNull(),
    at: int8('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.docName, t.client] })],
);
