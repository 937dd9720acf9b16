import type BetterSqlite3 from 'better-sqlite3';

/**
 * Counts the transactions run on one SQLite connection (SAFE-173: a commit each, so an fsync each with
 * synchronous=FULL). Every store makes its transactions through `transaction` (better-sqlite3's own, or
 * drizzle's on top of it), so the connection is wrapped before the stores are built on it.
 */
export function countTransactions(sqlite: BetterSqlite3.Database): { n: number } {
  const commits = { n: 0 };
  const transaction = sqlite.transaction.bind(sqlite);
  sqlite.transaction = ((fn: (...args: never[]) => unknown) => {
    const tx = transaction(fn);
    const counted = <A extends never[], R>(run: (...args: A) => R) => {
      return (...args: A): R => {
        commits.n++;
        return run(...args);
      };
    };
    return Object.assign(counted(tx), {
      deferred: counted(tx.deferred),
      immediate: counted(tx.immediate),
      exclusive: counted(tx.exclusive),
    });
  }) as typeof sqlite.transaction;
  return commits;
}
