import type pg from 'pg';

/**
 * Everything PostgreSQL holds of one room, table by table, as sorted row text: equal before and after a write
 * that must have been refused whole (CLUSTER-50). Run messages are keyed by run, so the room's runs' messages.
 */
export async function roomRows(pool: pg.Pool, roomId: string): Promise<Record<string, string>> {
  const byRoom = [
    'runs',
    'run_events',
    'suggestions',
    'threads',
    'verdicts',
    'room_modes',
    'assignment_copies',
    'history_texts',
    'history_entries',
    'history_files',
    'room_bases',
    'base_files',
  ].map((t) => [t, `SELECT t::text AS r FROM ${t} t WHERE room_id = $1`] as const);
  const byDoc = ['attribution', 'imports', 'client_bindings', 'doc_updates', 'doc_snapshots'].map(
    (t) =>
      [t, `SELECT t::text AS r FROM ${t} t WHERE doc_name = $1 OR starts_with(doc_name, $1 || '/')`] as const,
  );
  const messages = [
    'run_messages',
    'SELECT t::text AS r FROM run_messages t WHERE run_id IN (SELECT id FROM runs WHERE room_id = $1)',
  ] as const;
  const out: Record<string, string> = {};
  for (const [table, query] of [...byRoom, ...byDoc, messages]) {
    const res = await pool.query<{ r: string }>(`${query} ORDER BY 1`, [roomId]);
    out[table] = res.rows.map((x) => x.r).join('\n');
  }
  return out;
}
