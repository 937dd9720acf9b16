import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// WEB-43 in Chromium: the theme follows the system setting, a toggle overrides it and is remembered, and
// both themes keep text readable (WCAG contrast measured from computed colours).

const SOURCE = `export function add(a: number, b: number): number {
  return a - b;
}
`;
const FIX = `Fixing the sign.
*** Begin Patch
*** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
 }
*** End Patch
`;

let app: SparkBrowserApp;

beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);

afterAll(() => app?.close());

interface Measured {
  theme: string | undefined;
  bodyBg: string;
  bodyContrast: number;
  editorBg: string;
  codeContrast: number;
  keywordContrast: number;
  proposalContrast: number;
  acceptContrast: number;
  buttonContrast: number;
}

/** Computed colours and WCAG contrast ratios of the parts people read, translucent layers composited. */
function measure(page: Page): Promise<Measured> {
  return page.evaluate(() => {
    type RGBA = [number, number, number, number];
    const parse = (c: string): RGBA => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const p = m[1]!
        .split(/[ ,/]+/)
        .filter(Boolean)
        .map(Number);
      return [p[0]!, p[1]!, p[2]!, p[3] ?? 1];
    };
    const over = (top: RGBA, under: RGBA): RGBA => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i]! * a + under[i]! * (1 - a)).concat(1) as RGBA;
    };
    /** The background an element's text is drawn on: every ancestor's layer composited. */
    const background = (el: Element): RGBA => {
      const layers: RGBA[] = [];
      for (let e: Element | null = el; e; e = e.parentElement)
        layers.push(parse(getComputedStyle(e).backgroundColor));
      let out: RGBA = [255, 255, 255, 1];
      for (const layer of layers.reverse()) out = over(layer, out);
      return out;
    };
    const lum = (c: RGBA) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    };
    const contrast = (el: Element | null) => {
      if (!el) return 0;
      const bg = background(el);
      const fg = over(parse(getComputedStyle(el).color), bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      return Math.round(((a! + 0.05) / (b! + 0.05)) * 100) / 100;
    };
    const keyword =
      [...document.querySelectorAll('.cm-line span')].find((s) => s.textContent === 'export') ?? null;
    return {
      theme: document.documentElement.dataset.theme,
      bodyBg: getComputedStyle(document.body).backgroundColor,
      bodyContrast: contrast(document.querySelector('.room-name')),
      editorBg: getComputedStyle(document.querySelector('.cm-editor')!).backgroundColor,
      codeContrast: contrast(document.querySelector('.cm-line')),
      keywordContrast: contrast(keyword),
      proposalContrast: contrast(document.querySelector('.cm-spark-text')),
      acceptContrast: contrast(document.querySelector('.cm-spark-btn-accept')),
      buttonContrast: contrast(document.querySelector('.theme-toggle')),
    };
  });
}

describe('dark and light themes (WEB-43)', () => {
  let ada: Page;

  it('with the system set to dark, the room opens dark', async () => {
    ada = (await app.browser.person({ viewport: { width: 1360, height: 820 } })).page;
    await ada.emulateMedia({ colorScheme: 'dark' });
    await ada.goto(`${app.server.url}/`);
    expect(await ada.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await ada.fill('#your-name', 'Ada');
    await ada.fill('#room-name', 'Themes');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    await ada.click('button[aria-label="New file"]');
    await ada.fill('.tree-input', 'src/math.ts');
    await ada.press('.tree-input', 'Enter');
    await ada.waitForSelector('.file-path:text("src/math.ts")');
    await ada.click('.cm-content');
    await ada.keyboard.insertText(SOURCE);
    app.fake.enqueue({ text: FIX, tokensPerSecond: 2000 });
    await ada.fill('.prompt-input', 'Fix add');
    await ada.click('button:text("Ask Spark")');
    await ada.waitForSelector('.cm-spark-badge:text("proposed")', { timeout: 15_000 });
    await ada.waitForFunction(() =>
      [...document.querySelectorAll('.cm-line span')].some((s) => s.textContent === 'export'),
    );
    expect(await ada.locator('.theme-toggle').textContent()).toBe('◐ Auto');
  });

  it('WEB-43: dark colours everywhere people read, each with enough contrast', async () => {
    const m = await measure(ada);
    expect(m.theme).toBe('dark');
    expect(m.bodyBg).toBe('rgb(1, 4, 9)');
    expect(m.editorBg).toBe('rgb(13, 17, 23)');
    expect(m.bodyContrast).toBeGreaterThanOrEqual(7);
    expect(m.codeContrast).toBeGreaterThanOrEqual(7);
    expect(m.keywordContrast).toBeGreaterThanOrEqual(4.5);
    expect(m.proposalContrast).toBeGreaterThanOrEqual(4.5);
    expect(m.acceptContrast).toBeGreaterThanOrEqual(4.5);
    expect(m.buttonContrast).toBeGreaterThanOrEqual(4.5);
    await screenshot(ada, '47-theme-dark');
  });

  it('WEB-43: the toggle picks light over the system setting, remembered across a reload', async () => {
    await ada.click('.theme-toggle');
    await ada.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    expect(await ada.locator('.theme-toggle').textContent()).toBe('☀ Light');
    const m = await measure(ada);
    expect(m.editorBg).toBe('rgb(255, 255, 255)');
    expect(m.bodyBg).toBe('rgb(246, 247, 249)');
    expect(m.bodyContrast).toBeGreaterThanOrEqual(7);
    expect(m.codeContrast).toBeGreaterThanOrEqual(7);
    expect(m.keywordContrast).toBeGreaterThanOrEqual(4.5);
    expect(m.proposalContrast).toBeGreaterThanOrEqual(4.5);
    expect(m.acceptContrast).toBeGreaterThanOrEqual(4.5);
    await screenshot(ada, '48-theme-light');

    await ada.reload();
    await ada.waitForSelector('.pill-online');
    expect(await ada.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(await ada.locator('.theme-toggle').textContent()).toBe('☀ Light');
    // Light -> dark -> auto (the system's dark again).
    await ada.click('.theme-toggle');
    expect(await ada.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await ada.click('.theme-toggle');
    expect(await ada.locator('.theme-toggle').textContent()).toBe('◐ Auto');
    await ada.emulateMedia({ colorScheme: 'light' });
    await ada.waitForFunction(() => document.documentElement.dataset.theme === 'light');
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
