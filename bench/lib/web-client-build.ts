import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const viteConfig = join(root, 'client/web/vite.config.ts');
const builtIndex = join(root, 'client/web/dist/index.html');
/** What the bundle is made of (scripts/build-web-if-needed.mjs watches the same folders) and the lock file. */
const sources = ['client/web', 'client/sdk', 'schema', 'package-lock.json'].map((p) => join(root, p));
/** Outside dist, which the server serves and every vite build empties. */
const stampFile = join(root, 'node_modules/.cache/sparkroom-bench/web-build.json');
let last: { minify: boolean; done: Promise<void> } | null = null;

/**
 * Builds the web client into client/web/dist, where the browser scenarios' server serves it from, once per
 * bench run: the second browser scenario of a full run built the same bundle again (PERF-68). An
 * unminified build (page profiles) replaces a minified one and the other way round. PERF-190: not at all
 * when dist holds this bench's build of the same sources in the same mode (4-6 s of each run at load).
 */
export function buildWebClient(opts: { minify: boolean }): Promise<void> {
  if (last?.minify === opts.minify) return last.done;
  const key = buildKey(opts.minify);
  const done = alreadyBuilt(key)
    ? Promise.resolve()
    : build({
        configFile: viteConfig,
        logLevel: 'warn',
        ...(opts.minify ? {} : { build: { minify: false } }),
      }).then(() => {
        mkdirSync(dirname(stampFile), { recursive: true });
        writeFileSync(stampFile, JSON.stringify({ key, indexMtimeMs: statSync(builtIndex).mtimeMs }));
      });
  last = { minify: opts.minify, done };
  return done;
}

/**
 * True when the stamp names this key and dist/index.html is the one that build wrote: any other build of
 * dist (npm start's, another mode's) rewrites index.html, so its modification time no longer matches.
 */
function alreadyBuilt(key: string): boolean {
  if (!existsSync(builtIndex) || !existsSync(stampFile)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { key?: string; indexMtimeMs?: number };
    return stamp.key === key && stamp.indexMtimeMs === statSync(builtIndex).mtimeMs;
  } catch {
    return false;
  }
}

/** A hash of every source file's path and content, and the mode. */
function buildKey(minify: boolean): string {
  const hash = createHash('sha256').update(`minify=${minify}\n${root}\n`);
  const add = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name === 'dist' || name === 'node_modules') continue;
        add(join(path, name));
      }
    } else hash.update(`${path}\n`).update(readFileSync(path));
  };
  for (const s of sources) if (existsSync(s)) add(s);
  return hash.digest('hex');
}
