import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Writes `.br` and `.gz` beside every text asset, so a static server with precompressed support
 * (@hono/node-server serveStatic `precompressed: true`) sends about a third of the bytes without
 * compressing on each request.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'sparkroom-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    writeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue;
        const data = readFileSync(file);
        if (data.length < 1024) continue;
        writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

/**
 * The web client bundle: `npm run build:web` writes client/web/dist, which the server serves.
 * `npx vite --config client/web/vite.config.ts` runs it with hot reload against a server on :8787.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: true,
    // `npm start` builds first; on a busy machine the bundler's "plugin took long" notes are only noise.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  // Search across files runs in a module worker (client/web/src/nav/search-worker.ts).
  worker: { format: 'es' },
  // One Yjs instance for the app and every y-* package (two copies break `instanceof` checks).
  resolve: { dedupe: ['yjs', 'y-protocols', 'lib0', '@codemirror/state', '@codemirror/view'] },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8787',
      '/sync': { target: 'ws://127.0.0.1:8787', ws: true },
      '/healthz': 'http://127.0.0.1:8787',
    },
  },
});
