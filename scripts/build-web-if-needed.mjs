// `npm start`: builds the web client when its sources are newer than the build, then returns. After
// `npm prune --omit=dev` (no vite) an existing build is served as it is (OPS-15), so the same command
// works on a first try and in production.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'client/web/dist/index.html');
const sources = ['client/web', 'client/sdk', 'schema'].map((d) => join(root, d));

/** The newest modification time under `dir`, skipping the build output and dependencies. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
const sourcesAt = Math.max(...sources.filter(existsSync).map(newest));
if (builtAt >= sourcesAt) process.exit(0);

let vite = null;
try {
  vite = await import('vite');
} catch {
  vite = null;
}
if (vite === null) {
  if (builtAt > 0) {
    console.error(
      'web client sources are newer than its build, and vite is not installed: serving the build',
    );
    process.exit(0);
  }
  console.error(
    'Sparkroom could not start: the web client is not built and vite is not installed: run `npm run build` before `npm prune --omit=dev`',
  );
  process.exit(1);
}
await vite.build({ configFile: join(root, 'client/web/vite.config.ts'), logLevel: 'warn' });
