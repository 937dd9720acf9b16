import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { createRoomAs, newFile } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// WEB-134: the Spark panel's "About …" line keeps the file's name and the lines asked about whole, on a row
// of its own above the buttons; the folders give way. Beside the buttons a deep path in a real project read
// "About sparkroo…" and never reached the file.

let app: BrowserApp;

beforeAll(async () => {
  app = await startBrowserApp();
}, 120_000);

afterAll(() => app?.close());

const DEEP = 'server/rooms/very/deep/folder/structure/agent-run-with-a-long-name.ts';

/** The context line's parts: their text, whether each is drawn whole inside the line, and the buttons' rows. */
function contextLine(page: Page) {
  return page.$eval('.prompt-context', (line) => {
    const box = line.getBoundingClientRect();
    const part = (sel: string) => {
      const el = line.querySelector<HTMLElement>(sel)!;
      const r = el.getBoundingClientRect();
      return {
        text: el.textContent,
        whole: el.scrollWidth <= el.clientWidth + 1 && r.left >= box.left - 1 && r.right <= box.right + 1,
      };
    };
    const ask = line.parentElement!.querySelector('.btn.primary, button:last-child')!.getBoundingClientRect();
    const form = line.closest('.prompt-row')!.getBoundingClientRect();
    return {
      text: line.textContent,
      title: line.getAttribute('title'),
      dir: part('.ctx-dir'),
      name: part('.ctx-name'),
      // the line above the buttons, the buttons inside the row's right edge
      aboveButtons: box.bottom <= ask.top + 1,
      buttonsInside: ask.right <= form.right + 1,
    };
  });
}

describe("the Spark panel's context line (WEB-134)", () => {
  it('WEB-134: a deep path keeps its file name and lines in view above the buttons; the folders are cut', async () => {
    const ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await createRoomAs(ada, app.server.url, 'Ada', 'Deep paths');
    await newFile(ada, DEEP, 'export const one = 1;\nexport const two = 2;\n');
    await ada.waitForFunction(
      (t) => document.querySelector('.prompt-context')?.textContent === t,
      `About ${DEEP}`,
    );
    let line = await contextLine(ada);
    expect(line.title).toBe(`About ${DEEP}`);
    expect(line.name).toEqual({ text: 'agent-run-with-a-long-name.ts', whole: true });
    expect(line.dir.text).toBe('server/rooms/very/deep/folder/structure/');
    expect(line.dir.whole).toBe(false);
    expect(line.aboveButtons).toBe(true);
    expect(line.buttonsInside).toBe(true);

    // Two lines selected: the file's name and the lines stay whole together.
    await ada.keyboard.press('Control+Home');
    await ada.keyboard.press('Shift+ArrowDown');
    await ada.keyboard.press('Shift+End');
    await ada.waitForFunction(
      (t) => document.querySelector('.prompt-context')?.textContent === t,
      `About ${DEEP}, lines 1–2`,
    );
    line = await contextLine(ada);
    expect(line.name).toEqual({ text: 'agent-run-with-a-long-name.ts, lines 1–2', whole: true });
    expect(line.dir.whole).toBe(false);
    await screenshot(ada, '65-prompt-context-deep-path');
  });
});
