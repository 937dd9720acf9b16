import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './scenarios/browser-pages.ts';

/**
 * Why the browser scenario's typist page costs more CPU than the watcher's while both draw the same Spark
 * stream: the typist's editor has the focus. Without the app or CodeMirror, one Chromium page with a
 * contenteditable root holding a non-editable block that grows by 40 lines per animation frame (2,400 lines,
 * as a streaming proposal widget grows inside CodeMirror's content), is measured with the root focused and
 * not, and with the growing block outside the root. Main-thread and renderer CPU from CDP
 * `Performance.getMetrics`. Usage: npx tsx bench/focused-editable-cpu.ts [ROUNDS]
 */
const rounds = Number(process.argv[2] ?? 2);
const inside =
  '<div id=ed contenteditable=true><div>line one</div><div id=w contenteditable=false></div><div>after</div></div>';
const outside = '<div id=ed contenteditable=true><div>line one</div><div>after</div></div><div id=w></div>';
// A string, not a function: tsx's compiled functions reference a helper the page does not have.
const grow = `new Promise((done) => {
  const w = document.getElementById('w') ?? window.w;
  let n = 0;
  const tick = () => {
    for (let i = 0; i < 40; i++) {
      const d = document.createElement('div');
      d.textContent = 'const value' + n + ' = input * ' + n + ' + ' + n++ + '; // streamed code';
      w.append(d);
    }
    if (n < 2400) requestAnimationFrame(tick);
    else done();
  };
  requestAnimationFrame(tick);
})`;
// Variants of where the growing text lives while the editable root keeps a block of the text's height:
// a placeholder inside the root whose height follows a positioned layer outside it (read by a
// ResizeObserver, as CodeMirror reads a widget's height after layout), and a shadow root inside the root.
const layered =
  '<div style="position:relative"><div id=ed contenteditable=true><div>line one</div>' +
  '<div id=p contenteditable=false></div><div>after</div></div>' +
  '<div id=w style="position:absolute;left:0;right:0;top:0"></div></div>';
const follow = `{
  const w = document.getElementById('w');
  const p = document.getElementById('p');
  w.style.top = p.offsetTop + 'px';
  new ResizeObserver(() => { p.style.height = w.offsetHeight + 'px'; }).observe(w);
}`;
const shadow =
  '<div id=ed contenteditable=true><div>line one</div><div id=host contenteditable=false></div><div>after</div></div>';
const attach = `{
  const host = document.getElementById('host');
  const root = host.attachShadow({ mode: 'open' });
  const w = document.createElement('div');
  w.id = 'w';
  root.append(w);
  window.w = w;
}`;
const cases = [
  { name: 'growing block inside the editable, not focused', html: inside, focus: false },
  { name: 'growing block inside the editable, focused', html: inside, focus: true },
  { name: 'growing block outside the editable, focused', html: outside, focus: true },
  {
    name: 'layer outside the editable, placeholder of its height inside, focused',
    html: layered,
    focus: true,
    setup: follow,
  },
  {
    name: 'growing block in a shadow root inside the editable, focused',
    html: shadow,
    focus: true,
    setup: attach,
  },
];
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const page = await browser.newPage();
      await page.setContent(`<div style="white-space:pre;font:13px monospace">${c.html}</div>`);
      if (c.setup) await page.evaluate(c.setup);
      if (c.focus) await page.focus('#ed');
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      const read = async () => {
        const { metrics } = await cdp.send('Performance.getMetrics');
        const of = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
        return { main: of('ThreadTime'), renderer: of('ProcessTime') };
      };
      const before = await read();
      await page.evaluate(grow);
      const after = await read();
      console.log(
        `${c.name}: main thread ${(after.main - before.main).toFixed(0)} ms, renderer ` +
          `${(after.renderer - before.renderer).toFixed(0)} ms`,
      );
      await page.close();
    }
  }
} finally {
  await browser.close();
}
