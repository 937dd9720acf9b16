import type { MigrateReport } from '../persistence/sqlite-to-pg.ts';

/** `sparkroom migrate`'s report as a person reads it: per table what was copied and checked, then what next. */
export function describeMigration(r: MigrateReport): string[] {
  const width = Math.max(...r.tables.map((t) => t.table.length), 5);
  const lines = [
    `Copied ${r.source} into ${r.target} in ${(r.ms / 1000).toFixed(1)} s:`,
    `  ${'table'.padEnd(width)}  ${'rows'.padStart(9)}  ${'MB'.padStart(8)}  ${'batches'.padStart(7)}  check`,
  ];
  for (const t of r.tables) {
    if (t.joinedInto) {
      lines.push(`  ${t.table.padEnd(width)}  joined into ${t.joinedInto} (one whole snapshot per document)`);
      continue;
    }
    lines.push(
      `  ${t.table.padEnd(width)}  ${String(t.rows).padStart(9)}  ${(t.bytes / 1024 / 1024).toFixed(2).padStart(8)}  ` +
        `${String(t.batches).padStart(7)}  ${t.verified ? 'same rows' : 'DIFFERENT'}`,
    );
  }
  lines.push(
    `${r.rooms} room${r.rooms === 1 ? '' : 's'} and ${r.documents} document${r.documents === 1 ? '' : 's'}; ` +
      'every table was read back from PostgreSQL and matches the source row for row.',
  );
  if (r.badChecksums.length > 0) {
    lines.push(
      `Warning: ${r.badChecksums.length} stored document row(s) do not match their checksum, in the source as in ` +
        `the copy (their rooms will not load): ${r.badChecksums.slice(0, 5).join('; ')}`,
    );
  }
  if (r.signingKey.kind === 'file') {
    lines.push(
      `People's tokens and invite links are signed with the key in ${r.signingKey.path}: start every node with ` +
        'SPARKROOM_SECRET set to its contents.',
    );
  } else if (r.signingKey.kind === 'backup') {
    lines.push(
      'The signing key is inside this backup file: `sparkroom restore` it into a data directory to get ' +
        'secret.key, and start every node with SPARKROOM_SECRET set to its contents.',
    );
  } else {
    lines.push('Start every node with the SPARKROOM_SECRET the single server used, so tokens keep working.');
  }
  return lines;
}
