import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './scenarios/browser-scenario.ts';

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
  const w = document.getElementById('w');
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
const cases = [
  { name: 'growing block inside the editable, not focused', html: inside, focus: false },
  { name: 'growing block inside the editable, focused', html: inside, focus: true },
  { name: 'growing block outside the editable, focused', html: outside, focus: true },
];

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const page = await browser.newPage();
      await page.setContent(`<div style="white-space:pre;font:13px monospace">${c.html}</div>`);
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
