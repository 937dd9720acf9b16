// Module hooks that run the project's TypeScript on Node 20 (registered by ts-register.mjs): each .ts file of
// ours is transformed alone by esbuild, its types removed and nothing else. Why not tsx, as before: tsx always
// asks esbuild to keep function names (`keepNames`), which wraps every function and class in a call that
// redefines its `name`. Every closure the server makes at run time then gets a property array of its own
// (256 B) and pays a defineProperty call: about 28 per loaded room, 7.5 KB of its 31 KB (PERF-70). Nothing
// is renamed here (no bundling, no minifying), so the engine names functions from the source as it would.
// Source maps are inline, so stack traces name .ts lines.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const TS = /\.(?:ts|mts)$/;

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TS.test(new URL(url).pathname) || url.includes('/node_modules/')) {
    return nextLoad(url, context);
  }
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const out = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: path,
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } },
  });
  return { format: 'module', source: out.code, shortCircuit: true };
}
