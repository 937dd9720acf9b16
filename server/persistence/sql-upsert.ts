/** `INSERT ... ON CONFLICT (keys) DO UPDATE SET` every other column; `columns` maps column -> parameter name. */
export function upsert(table: string, keys: string[], columns: Record<string, string>): string {
  // Quoted, because some column names (end) are SQL keywords.
  const names = Object.keys(columns);
  const set = names
    .filter((column) => !keys.includes(column))
    .map((column) => `"${column}" = excluded."${column}"`)
    .join(', ');
  return (
    `INSERT INTO ${table} (${names.map((n) => `"${n}"`).join(', ')}) ` +
    `VALUES (${names.map((n) => `@${columns[n]}`).join(', ')}) ` +
    `ON CONFLICT (${keys.map((k) => `"${k}"`).join(', ')}) DO UPDATE SET ${set}`
  );
}
