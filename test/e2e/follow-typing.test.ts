import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { editorText } from './editor-text.ts';
import { createRoomWithInvites, joinAs, newFile } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// SCENARIOS 2 on a phone: Cy (a viewer, 390 px wide) follows Ada, who types at the end of a long line. Her
// cursor is anchored to the character after it, so her presence does not change while her text grows: the
// follower's view stayed where her cursor was when she started, and her words ran off its right edge.

let app: BrowserApp;

beforeAll(async () => {
  app = await startBrowserApp();
}, 120_000);

afterAll(async () => {
  await app?.close();
});

const LONG = `export const note = 'a line long enough to run past a phone: ${'word '.repeat(16).trim()}';`;

/** Where the remote caret and its name flag are in the scroller's visible part, on the follower's page. */
function caretInView(page: Page) {
  return page.evaluate(() => {
    const caret = document.querySelector('.cm-remote-caret');
    const flag = document.querySelector('.cm-remote-flag');
    const gutters = document.querySelector('.cm-gutters');
    const scroller = document.querySelector('.cm-scroller');
    if (!caret || !flag || !gutters || !scroller) return null;
    const c = caret.getBoundingClientRect();
    const f = flag.getBoundingClientRect();
    const left = gutters.getBoundingClientRect().right;
    const right = scroller.getBoundingClientRect().right;
    return {
      caret: c.left >= left && c.right <= right,
      flag: f.left >= left && f.right <= right,
      name: flag.textContent,
    };
  });
}

describe('following someone who types (WEB-124)', () => {
  it('WEB-124: the follower sees the caret and name of the person they follow while that person types at the end of a long line', async () => {
    const ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    const { viewer } = await createRoomWithInvites(ada, app.server.url, 'Ada', 'Following');
    await newFile(ada, 'note.ts', `${LONG}\n\nexport const other = 1;\n`);

    const cy = (await app.browser.person({ viewport: { width: 390, height: 844 } })).page;
    await joinAs(cy, viewer, 'Cy');
    await cy.waitForFunction(() => document.querySelector('.cm-content')?.textContent?.includes('other'));
    await cy.click('button.drawer-btn-files');
    await cy.click('.people-panel .person:has-text("Ada") .follow-btn');
    await cy.waitForSelector('.follow-banner:has-text("Following Ada")');
    // Escape closes the drawer: the editor is what Cy looks at.
    await cy.keyboard.press('Escape');

    // Ada goes to the end of the long line: Cy's view scrolls there.
    await ada.keyboard.press('Control+Home');
    await ada.keyboard.press('End');
    await cy.waitForFunction(() => (document.querySelector('.cm-scroller')?.scrollLeft ?? 0) > 0);
    // Then she types on; her cursor stays before the same character (the line's end) all along.
    const typed = ' // and then she wrote a good many words more';
    await ada.keyboard.type(typed);
    await cy.waitForFunction((t) => document.querySelector('.cm-content')?.textContent?.includes(t), typed);
    expect((await editorText(cy))?.split('\n')[0]).toBe(`${LONG}${typed}`);
    // The view follows her words: her caret and her name are inside Cy's view, not past its right edge.
    await cy.waitForFunction(() => {
      const caret = document.querySelector('.cm-remote-caret')?.getBoundingClientRect();
      const scroller = document.querySelector('.cm-scroller')?.getBoundingClientRect();
      return caret !== undefined && scroller !== undefined && caret.right <= scroller.right;
    });
    await screenshot(cy, 'follow-typing-long-line-390');
    expect(await caretInView(cy)).toEqual({ caret: true, flag: true, name: 'Ada' });
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
