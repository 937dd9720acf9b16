import type BetterSqlite3 from 'better-sqlite3';
import type { ClientBinding } from '../rooms/doc-store.ts';

/**
 * The client_bindings table (schema/tables/client-bindings.ts) as SqliteDocStore writes it: inside the group
 * commit's transaction (ROOM-13), one bound statement per new clientID and a read only for one that was
 * already bound. It owns no transaction: the caller's makes the bindings durable with the updates that use them.
 */
export class SqliteClientBindings {
  readonly #insert: BetterSqlite3.Statement;
  readonly #owner: BetterSqlite3.Statement;
  readonly #list: BetterSqlite3.Statement;

  constructor(sqlite: BetterSqlite3.Database) {
    this.#insert = sqlite.prepare(
      'INSERT INTO client_bindings (doc_name, client_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.#owner = sqlite.prepare('SELECT user_id FROM client_bindings WHERE doc_name = ? AND client_id = ?');
    this.#list = sqlite.prepare('SELECT client_id, user_id FROM client_bindings WHERE doc_name = ?');
  }

  /** Binds each clientID to its first user (first come, first served); answers those another user held. */
  bind(docName: string, bindings: readonly ClientBinding[]): Map<number, string> {
    const taken = new Map<number, string>();
    for (const { clientId, userId } of bindings) {
      if (this.#insert.run(docName, clientId, userId).changes > 0) continue;
      const owner = (this.#owner.get(docName, clientId) as { user_id: string } | undefined)?.user_id;
      if (owner !== undefined && owner !== userId) taken.set(clientId, owner);
    }
    return taken;
  }

  list(docName: string): Map<number, string> {
    const rows = this.#list.all(docName) as { client_id: number; user_id: string }[];
    return new Map(rows.map((r) => [r.client_id, r.user_id]));
  }
}
