import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { createRoomAs, newFile, search, toggle } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

const SOURCE = [
  'export function add(a: number, b: number) { return a + b; }',
  'const addAll = (xs: number[]) => xs.reduce(add, 0);',
  'const padding = add(1, 2);',
  '// add once more',
  '',
].join('\n');

let app: BrowserApp;
let ada: Page;

beforeAll(async () => {
  app = await startBrowserApp();
  ({ page: ada } = await app.browser.person({ viewport: { width: 1440, height: 900 } }));
  await createRoomAs(ada, app.server.url, 'Ada', 'Search hits');
  await newFile(ada, 'src/math.ts', SOURCE);
}, 120_000);

afterAll(async () => {
  await app?.close();
});

/** Each mark of `selector` in the editor as `line:column:text` (1-based line, 0-based column). */
const marks = (page: Page, selector: string) =>
  page.$$eval(selector, (els) =>
    els.map((el) => {
      const line = el.closest('.cm-line')!;
      const lines = [...document.querySelectorAll('.cm-content .cm-line')];
      const before = document.createRange();
      before.setStart(line, 0);
      before.setEndBefore(el);
      return `${lines.indexOf(line) + 1}:${before.toString().length}:${el.textContent}`;
    }),
  );

describe('the search marks its matches in the editor (NAV-30)', () => {
  it('NAV-30: with whole word on, the editor marks whole words only (not add in addAll or padding); off, every match; closed, the selection matches come back', async () => {
    await ada.locator('.cm-content').click();
    await ada.keyboard.press('Control+Shift+f');
    await ada.waitForSelector('.search-panel:not([hidden])');
    await toggle(ada, 'wholeWord');
    expect(await search(ada, 'add')).toBe('4 results in 1 file');
    await ada.focus('.search-input');
    await ada.keyboard.press('Enter');
    await ada.waitForSelector('.cm-search-hit-selected');
    // The first result is selected and marked as the current one; the others are the same words only.
    expect(await marks(ada, '.cm-search-hit')).toEqual(['1:16:add', '2:43:add', '3:16:add', '4:3:add']);
    expect(await marks(ada, '.cm-search-hit-selected')).toEqual(['1:16:add']);
    // The selection's own highlighter (substrings: add in addAll, padding) is off while the search shows.
    expect(await marks(ada, '.cm-selectionMatch')).toEqual([]);
    await screenshot(ada, 'nav-30-search-hits-whole-word');

    await toggle(ada, 'wholeWord');
    expect(await search(ada, 'add')).toBe('6 results in 1 file');
    await ada.waitForFunction(() => document.querySelectorAll('.cm-search-hit').length === 6);
    expect(await marks(ada, '.cm-search-hit')).toEqual([
      '1:16:add',
      '2:6:add',
      '2:43:add',
      '3:7:add',
      '3:16:add',
      '4:3:add',
    ]);

    // Match case and regex are the search's too: `Add` matches nothing with match case on.
    await toggle(ada, 'caseSensitive');
    expect(await search(ada, 'Add')).toMatch(/^No results/);
    await ada.waitForFunction(() => document.querySelectorAll('.cm-search-hit').length === 0);
    await toggle(ada, 'caseSensitive');

    // Closed, the editor marks the selection's other occurrences again, as it did before any search.
    await search(ada, 'add');
    await ada.keyboard.press('Escape');
    await ada.waitForSelector('.search-panel', { state: 'hidden' });
    await ada.waitForFunction(() => document.querySelectorAll('.cm-search-hit').length === 0);
    // The first result's `add` is still selected: the library marks it everywhere, inside words too.
    await ada.waitForSelector('.cm-selectionMatch');
    expect(await marks(ada, '.cm-selectionMatch')).toEqual([
      '2:6:add',
      '2:43:add',
      '3:7:add',
      '3:16:add',
      '4:3:add',
    ]);
    expect(await marks(ada, '.cm-search-hit')).toEqual([]);
  }, 60_000);

  it('logged no errors', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
