import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { createRoomAs, newFile } from './room-flow.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// SCENARIOS 3 in a real project: a run asked about a file deep in the tree. The card's head (state, who
// asked, the file) wrapped "Bob asked" over two lines to leave room for a path cut after its first folder
// ("sparkroom/server/…"), which named no file.

const PATH = 'sparkroom/server/agent/agent-run.ts';
let app: SparkBrowserApp;

beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);

afterAll(async () => {
  await app?.close();
});

/** The head's parts: their text, how many lines each takes, and their vertical centres. */
function head(page: Page) {
  return page.evaluate(() => {
    const part = (sel: string) => {
      const el = document.querySelector(`article.run .run-head ${sel}`) as HTMLElement | null;
      if (!el) return null;
      const r = el.getBoundingClientRect();
      const line = Number.parseFloat(getComputedStyle(el).lineHeight);
      return {
        text: el.textContent,
        title: el.title,
        lines: Math.round(r.height / line),
        middle: Math.round(r.top + r.height / 2),
        right: r.right,
      };
    };
    const card = document.querySelector('article.run')!.getBoundingClientRect();
    return { status: part('.status'), who: part('.run-who'), file: part('.run-file'), cardRight: card.right };
  });
}

describe('a run card’s head (WEB-127)', () => {
  for (const [who, width] of [
    ['Bob', 1440],
    ['Cy', 390],
  ] as const) {
    it(`WEB-127: at ${width} px, who asked stays on one line beside the state, and the file is named by its own name`, async () => {
      const page = (await app.browser.person({ viewport: { width, height: 900 } })).page;
      await createRoomAs(page, app.server.url, who, 'Run cards');
      if (width < 760) await page.click('button.drawer-btn-files');
      await newFile(page, PATH, 'export const run = 1;\n');
      app.fake.enqueue({ text: 'Nothing to change here.\n', tokensPerSecond: 500 });
      if (width < 760) await page.click('button.drawer-btn-spark');
      await page.fill('.prompt-input', 'Anything to tidy?');
      await page.click('button:has-text("Ask Spark")');
      await page.waitForSelector('article.run[data-status="completed"]');
      const parts = await head(page);
      await screenshot(page, `web-127-run-head-${width}`);
      expect(parts.status?.text).toBe('completed');
      expect(parts.who).toMatchObject({ text: `${who} asked`, lines: 1 });
      expect(parts.file).toMatchObject({ text: 'agent-run.ts', title: PATH, lines: 1 });
      // One row: the three centred on the same line, the file inside the card.
      expect(Math.abs(parts.who!.middle - parts.status!.middle)).toBeLessThanOrEqual(1);
      expect(Math.abs(parts.file!.middle - parts.status!.middle)).toBeLessThanOrEqual(1);
      expect(parts.file!.right).toBeLessThanOrEqual(parts.cardRight);
    });
  }

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
