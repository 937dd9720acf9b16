import { pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { int8 } from './columns.ts';

// Which user owns a Yjs clientID in a document: the twin of schema/tables/client-bindings.ts.
export const clientBindings = pgTable(
  'client_bindings',
  {
    docName: text('doc_name').notNull(),
    // Yjs clientIDs are unsigned 32-bit numbers, past int4's range: int8.
    clientId: int8('client_id').notNull(),
    userId: text('user_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.docName, t.clientId] })],
);
