import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The web client bundle: `npm run build:web` writes client/web/dist, which the server serves.
 * `npx vite --config client/web/vite.config.ts` runs it with hot reload against a server on :8787.
 */
export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: true,
  },
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
