import { bigint, customType } from 'drizzle-orm/pg-core';

// Column kinds shared by the PostgreSQL tables, so each aggregate's file reads like its SQLite twin.

/** Integer ms since the epoch, and sequence numbers: 64-bit in the database, JavaScript numbers in code. */
export const int8 = (name: string) => bigint(name, { mode: 'number' });

/** Yjs updates and snapshots: bytea, read back as a Buffer (a Uint8Array) and written from any Uint8Array. */
export const bytea = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => 'bytea',
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
});
