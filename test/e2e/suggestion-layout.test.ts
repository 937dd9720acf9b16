import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_DIR, screenshot } from '../helpers/browser.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// Issue 10, bugs 2, 3, 4 and 7, measured in Chromium: where the proposal widget sits, whether the line
// numbers stay on their lines, whether a hunk's buttons stay on screen beside a long line, and whether the
// "Accept all" label stays readable on hover. Bounding boxes, not only existence.

const fn = (name: string, body: string) =>
  `export function ${name}(a: number, b: number): number {\n  ${body}\n}\n`;
const LONG = `export const banner = '${'a very long line that runs far past the right edge of the editor '.repeat(6)}';\n`;
const SOURCE = [
  fn('add', 'return a - b;'),
  fn('sub', 'return a + b;'),
  ...Array.from({ length: 12 }, (_, i) => `// filler line ${i + 1}\n`),
  LONG,
  fn('mul', 'return a * b * 1;'),
  fn('div', 'return a / b;'),
].join('\n');

/** Two hunks whose replaced ranges end with a newline (whole functions), one right under the long line. */
const REPLY = `Fixing add and mul.
*** Begin Patch
*** Update File: src/calc.ts
@@
-export function add(a: number, b: number): number {
-  return a - b;
-}
+export function add(a: number, b: number): number {
+  return a + b;
+}
@@
-export function mul(a: number, b: number): number {
-  return a * b * 1;
-}
+export function mul(a: number, b: number): number {
+  return a * b;
+}
*** End Patch
`;

/** A function, and a reply that only inserts a line before its body (at the start of a line, WEB-77). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the file's TypeScript source, with a template literal in it
const GREET = 'export function greet(name: string): string {\n  return `hi ${name}`;\n}\n';
const INSERT_REPLY = `A comment for greet.
*** Begin Patch
*** Update File: src/greet.ts
@@
 export function greet(name: string): string {
+  // Say hello by name.
   return \`hi \${name}\`;
 }
*** End Patch
`;

let app: SparkBrowserApp;
const measured: Record<string, unknown> = {};

beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);

afterAll(async () => {
  writeFileSync(join(ARTIFACTS_DIR, 'suggestion-layout.json'), `${JSON.stringify(measured, null, 2)}\n`);
  await app?.close();
});

/** Every rendered line's top beside the top of the line-number element that names it. */
function gutterOffsets(page: Page): Promise<{ line: number; lineTop: number; numberTop: number }[]> {
  return page.evaluate(() => {
    const view = document.querySelector('.cm-editor');
    if (!view) return [];
    const numbers = new Map<number, number>();
    for (const el of view.querySelectorAll('.cm-lineNumbers .cm-gutterElement')) {
      const n = Number(el.textContent);
      if (Number.isInteger(n) && n > 0) numbers.set(n, el.getBoundingClientRect().top);
    }
    const out: { line: number; lineTop: number; numberTop: number }[] = [];
    const content = view.querySelector('.cm-content');
    const lines = content ? [...content.querySelectorAll(':scope > .cm-line')] : [];
    // The first rendered line's number is the first number in the gutter (the viewport starts there).
    const first = Math.min(...numbers.keys());
    lines.forEach((el, i) => {
      const top = numbers.get(first + i);
      if (top !== undefined)
        out.push({ line: first + i, lineTop: el.getBoundingClientRect().top, numberTop: top });
    });
    return out;
  });
}

describe('suggestion layout in the browser (WEB-7..WEB-10)', () => {
  let ada: Page;

  it('Ada opens a file with a long line and Spark proposes two hunks', async () => {
    ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await ada.goto(`${app.server.url}/`);
    await ada.fill('#your-name', 'Ada');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    await ada.click('button[aria-label="New file"]');
    await ada.fill('.tree-input', 'src/calc.ts');
    await ada.press('.tree-input', 'Enter');
    await ada.waitForSelector('.file-path:text("src/calc.ts")');
    await ada.click('.cm-content');
    await ada.keyboard.insertText(SOURCE);
    await ada.keyboard.press('Control+Home');
    app.fake.enqueue({ text: REPLY, tokensPerSecond: 3000 });
    await ada.fill('.prompt-input', 'Fix add and mul');
    await ada.click('button:text("Ask Spark")');
    await ada.waitForFunction(
      () => document.querySelectorAll('.cm-spark-badge-proposed').length === 2,
      null,
      {
        timeout: 15_000,
      },
    );
    await screenshot(ada, '30-two-hunks-proposed');
  });

  it('WEB-7: the proposal sits right under the lines it replaces, above the next line', async () => {
    const boxes = await ada.evaluate(() => {
      // The block CodeMirror lays out (the visible card sits 2 px inside it).
      const widget = document.querySelector('.cm-editor .cm-spark-block');
      const lines = [...document.querySelectorAll('.cm-content > .cm-line')];
      const lastStruck = lines.filter((l) => l.querySelector('.cm-spark-deleted')).at(0);
      // add() is three lines; the struck range ends on its closing brace, the blank line follows.
      const closing = lines.find((l) => l.textContent === '}');
      const next = closing?.nextElementSibling?.classList.contains('cm-line')
        ? closing.nextElementSibling
        : closing?.nextElementSibling?.nextElementSibling;
      const box = (el: Element | null | undefined) => {
        const r = el?.getBoundingClientRect();
        return r ? { top: r.top, bottom: r.bottom } : null;
      };
      return {
        widget: box(widget),
        closing: box(closing),
        next: box(next),
        firstStruck: box(lastStruck),
        lineHeight: closing ? closing.getBoundingClientRect().height : 0,
      };
    });
    measured.widget = boxes;
    expect(boxes.widget && boxes.closing && boxes.next).toBeTruthy();
    // Flush under add()'s closing brace (within a pixel), and the blank line after it comes after the widget.
    expect(Math.abs(boxes.widget!.top - boxes.closing!.bottom)).toBeLessThanOrEqual(1);
    expect(boxes.next!.top).toBeGreaterThanOrEqual(boxes.widget!.bottom - 1);
  });

  it('WEB-8: line numbers stay on their lines with suggestions open', async () => {
    const offsets = await gutterOffsets(ada);
    measured.gutter = offsets.map((o) => ({
      line: o.line,
      drift: Math.round((o.numberTop - o.lineTop) * 10) / 10,
    }));
    expect(offsets.length).toBeGreaterThan(20);
    const worst = Math.max(...offsets.map((o) => Math.abs(o.numberTop - o.lineTop)));
    measured.worstGutterDriftPx = worst;
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('WEB-9: a hunk under a long line keeps its buttons on screen', async () => {
    // Scroll to the second hunk (mul), right under the long line.
    await ada.evaluate(() =>
      document.querySelectorAll('.cm-editor .cm-spark-proposal')[1]?.scrollIntoView({ block: 'center' }),
    );
    const geometry = await ada.evaluate(() => {
      const scroller = document.querySelector('.cm-scroller')!.getBoundingClientRect();
      const proposals = [...document.querySelectorAll('.cm-editor .cm-spark-proposal')];
      return proposals.map((p) => {
        const accept = p.querySelector('.cm-spark-btn-accept')!.getBoundingClientRect();
        const reject = p.querySelector('.cm-spark-btn-reject')!.getBoundingClientRect();
        return {
          scrollerLeft: scroller.left,
          scrollerRight: scroller.right,
          accept: { left: accept.left, right: accept.right },
          reject: { left: reject.left, right: reject.right },
        };
      });
    });
    measured.buttons = geometry;
    for (const g of geometry) {
      for (const b of [g.accept, g.reject]) {
        expect(b.left).toBeGreaterThanOrEqual(g.scrollerLeft);
        expect(b.right).toBeLessThanOrEqual(g.scrollerRight);
      }
    }
    await screenshot(ada, '31-hunk-buttons-with-long-line');
  });

  it('WEB-10: the Accept all label stays readable on hover', async () => {
    const button = ada.locator('article.run button.accept').first();
    await button.hover();
    const colours = await button.evaluate((el) => {
      const s = getComputedStyle(el);
      return { color: s.color, background: s.backgroundColor };
    });
    measured.acceptAllHover = colours;
    expect(contrast(colours.color, colours.background)).toBeGreaterThanOrEqual(3);
    await screenshot(ada, '32-accept-all-hover');
  });

  it('WEB-13: the run card links each hunk by file:line; a hunk far down the file is one click away', async () => {
    await ada.evaluate(() => document.querySelector('.cm-scroller')?.scrollTo(0, 0));
    const links = ada.locator('article.run .hunk-link');
    expect(await links.count()).toBe(2);
    expect(await links.nth(0).locator('.hunk-where').textContent()).toBe('src/calc.ts:1');
    const far = await links.nth(1).locator('.hunk-where').textContent();
    expect(far).toMatch(/^src\/calc\.ts:\d+$/);
    const farLine = Number(far!.split(':')[1]);
    expect(farLine).toBeGreaterThan(30);
    await links.nth(1).click();
    // The hunk is on screen, and the cursor is on its first line.
    const where = await ada.evaluate(() => {
      const scroller = document.querySelector('.cm-scroller')!.getBoundingClientRect();
      const widget = document.querySelectorAll('.cm-editor .cm-spark-proposal')[1]!.getBoundingClientRect();
      const active = document.querySelector('.cm-activeLineGutter')?.textContent;
      return { top: widget.top, bottom: widget.bottom, min: scroller.top, max: scroller.bottom, active };
    });
    expect(where.top).toBeGreaterThanOrEqual(where.min);
    expect(where.bottom).toBeLessThanOrEqual(where.max);
    expect(Number(where.active)).toBe(farLine);
  });

  it('WEB-13: an edit under a hunk makes it stale, and its run says so', async () => {
    await ada.locator('article.run .hunk-link').nth(0).click();
    await ada.keyboard.press('End');
    await ada.keyboard.type(' ');
    await ada.waitForSelector('.cm-spark-badge-stale');
    await ada.waitForSelector('article.run .hunk-state-stale');
    expect(await ada.locator('article.run .run-note.warn').first().textContent()).toContain(
      'One hunk is stale',
    );
    await screenshot(ada, '33-stale-hunk-run-says-so');
  });

  it('WEB-77: a proposal that only inserts lines at the start of a line is drawn there, above that line', async () => {
    await ada.click('button[aria-label="New file"]');
    await ada.fill('.tree-input', 'src/greet.ts');
    await ada.press('.tree-input', 'Enter');
    await ada.waitForSelector('.file-path:text("src/greet.ts")');
    await ada.click('.cm-content');
    await ada.keyboard.insertText(GREET);
    await ada.keyboard.press('Control+Home');
    app.fake.enqueue({ text: INSERT_REPLY, tokensPerSecond: 3000 });
    await ada.fill('.prompt-input', 'Comment greet');
    await ada.click('button:text("Ask Spark")');
    await ada.waitForSelector('.cm-spark-proposal:has-text("Say hello by name.") .cm-spark-badge-proposed', {
      timeout: 15_000,
    });
    const boxes = await ada.evaluate(() => {
      const widget = [...document.querySelectorAll('.cm-editor .cm-spark-block')].find((b) =>
        b.textContent?.includes('Say hello by name.'),
      );
      const lines = [...document.querySelectorAll('.cm-content > .cm-line')];
      const box = (el: Element | null | undefined) => {
        const r = el?.getBoundingClientRect();
        return r ? { top: r.top, bottom: r.bottom } : null;
      };
      return {
        widget: box(widget),
        head: box(lines.find((l) => l.textContent?.startsWith('export function greet'))),
        body: box(lines.find((l) => l.textContent?.includes('return `hi'))),
        bodyMarked: lines
          .find((l) => l.textContent?.includes('return `hi'))
          ?.classList.contains('cm-spark-hunk-line'),
      };
    });
    measured.insertAtLineStart = boxes;
    expect(boxes.widget && boxes.head && boxes.body).toBeTruthy();
    // Between the two lines: flush under the function's first line and over the line it goes before, which
    // it does not replace (so it is not marked as part of the hunk).
    expect(Math.abs(boxes.widget!.top - boxes.head!.bottom)).toBeLessThanOrEqual(1);
    expect(Math.abs(boxes.body!.top - boxes.widget!.bottom)).toBeLessThanOrEqual(1);
    expect(boxes.bodyMarked).toBe(false);
    await screenshot(ada, '34-insert-at-line-start');
    // Accepting it puts the line where it was drawn.
    await ada.click('.cm-spark-proposal:has-text("Say hello by name.") .cm-spark-btn-accept');
    await ada.waitForFunction(() =>
      [...document.querySelectorAll('.cm-content > .cm-line')]
        .map((l) => l.textContent)
        .join('\n')
        .startsWith('export function greet(name: string): string {\n  // Say hello by name.\n  return'),
    );
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});

/** WCAG contrast ratio of two `rgb(...)` colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}
