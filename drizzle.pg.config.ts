import { defineConfig } from 'drizzle-kit';

// The PostgreSQL twin of drizzle.config.ts: same aggregates, pg dialect, its own migrations (CLUSTER-1).
export default defineConfig({
  dialect: 'postgresql',
  schema: './schema/pg-tables/*.ts',
  out: './schema/pg-migrations',
});
