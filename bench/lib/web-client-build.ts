import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const viteConfig = fileURLToPath(new URL('../../client/web/vite.config.ts', import.meta.url));
let last: { minify: boolean; done: Promise<void> } | null = null;

/**
 * Builds the web client into client/web/dist, where the browser scenarios' server serves it from, once per
 * bench run: the second browser scenario of a full run built the same bundle again (PERF-68). An
 * unminified build (page profiles) replaces a minified one and the other way round.
 */
export function buildWebClient(opts: { minify: boolean }): Promise<void> {
  if (last?.minify === opts.minify) return last.done;
  const done = build({
    configFile: viteConfig,
    logLevel: 'warn',
    ...(opts.minify ? {} : { build: { minify: false } }),
  }).then(() => undefined);
  last = { minify: opts.minify, done };
  return done;
}
