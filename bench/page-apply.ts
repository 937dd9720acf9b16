import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../schema/protocol.ts';
import { syntheticTree } from '../test/helpers/project-tree.ts';

/**
 * PERF-138: what applying a big room's whole document costs a page, in Chromium, with and without a
 * listener on the doc's 'update' event (Yjs encodes each transaction again for such listeners), alternated
 * in one page. `npx tsx bench/page-apply.ts [files] [mb] [pairs]`.
 */
const [files = 2000, mb = 15, pairs = 6] = process.argv.slice(2).map(Number);
const doc = new Y.Doc();
const map = doc.getMap<Y.Text>(CODE_FILES_KEY);
for (const [path, text] of Object.entries(syntheticTree(files, mb * 2 ** 20)))
  map.set(path, new Y.Text(text));
const update = Y.encodeStateAsUpdate(doc);
const yjs = await build({
  stdin: { contents: "import * as Y from 'yjs'; globalThis.Y = Y;", resolveDir: import.meta.dirname },
  bundle: true,
  write: false,
  format: 'iife',
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.route('http://bench.test/**', (r) =>
    new URL(r.request().url()).pathname === '/update'
      ? r.fulfill({ body: Buffer.from(update), contentType: 'application/octet-stream' })
      : r.fulfill({ body: '<!doctype html><title>apply</title>', contentType: 'text/html' }),
  );
  await page.goto('http://bench.test/');
  await page.addScriptTag({ content: yjs.outputFiles[0]!.text });
  await page.evaluate(async () => {
    const g = globalThis as unknown as { update: Uint8Array };
    g.update = new Uint8Array(await (await fetch('/update')).arrayBuffer());
  });
  console.log(`${files} files, ${(update.length / 2 ** 20).toFixed(1)} MB update`);
  const ms: Record<'with' | 'without', number[]> = { with: [], without: [] };
  for (let i = 0; i < pairs; i++) {
    for (const listen of [true, false]) {
      const took = await page.evaluate((listen) => {
        const g = globalThis as unknown as { Y: typeof Y; update: Uint8Array };
        const d = new g.Y.Doc();
        if (listen) d.on('update', () => undefined);
        const t0 = performance.now();
        g.Y.applyUpdate(d, g.update, 'server');
        return performance.now() - t0;
      }, listen);
      ms[listen ? 'with' : 'without'].push(took);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const k of ['with', 'without'] as const)
    console.log(
      `${k} an 'update' listener: median ${median(ms[k]).toFixed(0)} ms, all ${ms[k].map((x) => x.toFixed(0)).join(' ')}`,
    );
  const ratios = ms.with.map((w, i) => ms.without[i]! / w);
  console.log(`without / with, per pair: ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
} finally {
  await browser.close();
}
