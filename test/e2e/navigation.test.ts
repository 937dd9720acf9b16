import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, type HistoryResponse } from '../../schema/protocol.ts';
import { screenshot } from '../helpers/browser.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';
import { type BigRoom, KNOWN_FILES, makeBigRoom } from './big-room.ts';
import { search, toggle } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// Issue 13: finding one's way in a real project, on a room of 2,000 files made by the test.

let app: BrowserApp;
let room: BigRoom;
let ada: Page;

beforeAll(async () => {
  app = await startBrowserApp();
  room = await makeBigRoom(app.server.url);
}, 180_000);

afterAll(async () => {
  await app?.close();
  room?.cleanup();
});

/** The line the cursor is on, as the editor's gutter shows it. */
const cursorLine = (page: Page) =>
  page.evaluate(() => Number(document.querySelector('.cm-activeLineGutter')?.textContent ?? 0));
const openPath = (page: Page) => page.textContent('.file-bar .file-path');

async function join(page: Page, name: string): Promise<void> {
  await page.goto(room.editorLink);
  await page.fill('#display-name', name);
  await page.click('button[type=submit]');
  await page.waitForSelector('.pill-online', { timeout: 30_000 });
  await page.waitForSelector('.cm-content', { timeout: 30_000 });
}

describe('quick open, go to line, go to symbol, outline (NAV-1..NAV-5)', () => {
  it('NAV-1, NAV-2: Ctrl+P finds a file among 2,000 by a fuzzy fragment, keyboard only; recent files first', async () => {
    ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await join(ada, 'Ada');
    await ada.locator('.cm-content').click();
    await ada.keyboard.press('Control+p');
    await ada.waitForSelector('dialog.palette[open]');
    expect(await ada.evaluate(() => document.activeElement?.classList.contains('palette-input'))).toBe(true);
    expect(await ada.textContent('.palette-note')).toContain('2,000 files');
    await ada.keyboard.type('rmsrv');
    await ada.waitForSelector('.palette-item[aria-selected="true"]');
    const first = await ada.textContent('.palette-item[aria-selected="true"]');
    expect(first).toContain('room-service.ts');
    expect(first).toContain('src/app');
    // The matched letters are marked.
    expect(
      await ada.$$eval('.palette-item[aria-selected="true"] mark', (ms) =>
        ms.map((m) => m.textContent).join(''),
      ),
    ).toBe('rmsrv');
    await screenshot(ada, 'nav-01-quick-open');
    await ada.keyboard.press('Enter');
    await ada.waitForSelector('dialog.palette', { state: 'detached' });
    expect(await openPath(ada)).toBe('src/app/room-service.ts');
    // The focus went to the editor: typing there is the next thing people do.
    expect(await ada.evaluate(() => document.activeElement?.closest('.cm-editor') !== null)).toBe(true);

    // Open a second one with arrows, then the recent files come first, newest first.
    await ada.keyboard.press('Control+p');
    await ada.keyboard.type('guide');
    await ada.keyboard.press('Enter');
    await ada.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent === 'docs/guide.md',
    );
    await ada.keyboard.press('Control+p');
    await ada.waitForSelector('.palette-item');
    const listed = await ada.$$eval('.palette-item', (items) =>
      items
        .slice(0, 3)
        .map(
          (li) =>
            `${li.querySelector('.palette-detail')?.textContent}/${li.querySelector('.palette-label')?.textContent}`,
        ),
    );
    // The file already open is listed after the other recent one: Ctrl+P, Enter goes back.
    expect(listed[0]).toBe('src/app/room-service.ts');
    expect(listed[1]).toBe('docs/guide.md');
    await ada.keyboard.press('ArrowDown');
    await ada.keyboard.press('ArrowUp');
    await ada.keyboard.press('Enter');
    await ada.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent === 'src/app/room-service.ts',
    );
    // Escape closes without moving, and gives the focus back.
    await ada.keyboard.press('Control+p');
    await ada.keyboard.press('Escape');
    await ada.waitForSelector('dialog.palette', { state: 'detached' });
    expect(await openPath(ada)).toBe('src/app/room-service.ts');
  }, 90_000); // the first page joins and syncs the 2,000 files: on a loaded machine that alone can take 30 s

  it('NAV-3: Ctrl+G goes to a line (and a column), also from inside the editor', async () => {
    await ada.locator('.cm-content').click();
    await ada.keyboard.press('Control+g');
    await ada.waitForSelector('dialog.palette[open]');
    expect(await ada.inputValue('.palette-input')).toBe(':');
    await ada.keyboard.type('130');
    expect(await ada.textContent('.palette-item')).toContain('Go to line 130');
    expect(await ada.textContent('.palette-item .palette-detail')).toContain('setting line 130');
    await ada.keyboard.press('Enter');
    await ada.waitForSelector('dialog.palette', { state: 'detached' });
    expect(await cursorLine(ada)).toBe(130);
    // The line is on screen, not just the cursor somewhere below.
    const visible = await ada.evaluate(() => {
      const line = [...document.querySelectorAll('.cm-activeLine')][0]?.getBoundingClientRect();
      const box = document.querySelector('.cm-scroller')?.getBoundingClientRect();
      return line && box ? line.top >= box.top && line.bottom <= box.bottom : false;
    });
    expect(visible).toBe(true);
    // Past the end goes to the last line, and says so.
    await ada.keyboard.press('Control+g');
    await ada.keyboard.type('99999');
    expect(await ada.textContent('.palette-item')).toMatch(/the file has \d+ lines/);
    await ada.keyboard.press('Escape');
  });

  it('NAV-4, NAV-5: Ctrl+Shift+O goes to a symbol from the syntax tree; the outline lists them', async () => {
    await ada.keyboard.press('Control+Shift+o');
    await ada.waitForSelector('.palette-item');
    const kinds = await ada.$$eval('.palette-item', (items) =>
      items.map(
        (li) =>
          `${li.querySelector('.palette-badge')?.textContent}:${li.querySelector('.palette-label')?.textContent}`,
      ),
    );
    expect(kinds).toContain('class:RoomService');
    expect(kinds).toContain('method:close');
    expect(kinds).toContain('interface:RoomOptions');
    expect(kinds).toContain('function:startRoomService');
    expect(kinds).toContain('function:loadConfig');
    await ada.keyboard.type('strs');
    expect(await ada.textContent('.palette-item[aria-selected="true"] .palette-label')).toBe(
      'startRoomService',
    );
    await screenshot(ada, 'nav-02-go-to-symbol');
    await ada.keyboard.press('Enter');
    expect(await cursorLine(ada)).toBe(141);

    // The outline: the open file's symbols, nested; a click jumps.
    const outline = await ada.$$eval('.outline-item', (items) =>
      items.map((b) => `${b.querySelector('.outline-name')?.textContent}@${b.getAttribute('data-line')}`),
    );
    expect(outline.slice(0, 4)).toEqual(['RoomOptions@3', 'capacity@5', 'RoomService@8', 'rooms@9']);
    await ada.click('.outline-item:has-text("close")');
    expect(await cursorLine(ada)).toBe(15);
    await screenshot(ada, 'nav-03-outline');
    // Markdown headings in a Markdown file.
    await ada.keyboard.press('Control+p');
    await ada.keyboard.type('guide.md');
    await ada.keyboard.press('Enter');
    await ada.waitForFunction(
      () =>
        [...document.querySelectorAll('.outline-name')].map((n) => n.textContent).join(',') ===
        'Guide,Install,Deploy',
    );
  });

  it('logged no errors so far', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});

const resultFiles = (page: Page) =>
  page.$$eval('.search-file', (els) =>
    els.map((e) => `${e.getAttribute('data-path')}:${e.querySelector('.count')?.textContent}`),
  );

describe('search across files (NAV-6..NAV-10, SAFE-80)', () => {
  it('NAV-6: Ctrl+Shift+F searches all 2,000 files; results grouped by file with line previews', async () => {
    await ada.locator('.cm-content').click();
    await ada.keyboard.press('Control+Shift+f');
    await ada.waitForSelector('.search-panel:not([hidden])');
    expect(await ada.evaluate(() => document.activeElement?.classList.contains('search-input'))).toBe(true);
    expect(await search(ada, 'needle')).toBe('10 results in 2 files');
    expect(await resultFiles(ada)).toEqual(['src/search/needles.ts:8', 'src/search/other-needle.ts:2']);
    const rows = await ada.$$eval('.search-line', (els) =>
      els.map(
        (e) =>
          `${e.getAttribute('data-line')}|${e.querySelector('.search-preview')?.textContent}|${[...e.querySelectorAll('mark')].map((m) => m.textContent).join(',')}`,
      ),
    );
    expect(rows[3]).toBe('4|  return needle + Needle; // needle_count|needle,Needle,needle');
    await screenshot(ada, 'nav-04-search');
  });

  it('NAV-7: match case, whole word and regex, each alone and together', async () => {
    await toggle(ada, 'caseSensitive');
    expect(await search(ada, 'needle')).toBe('7 results in 2 files');
    await toggle(ada, 'caseSensitive');
    await toggle(ada, 'wholeWord');
    expect(await search(ada, 'needle')).toBe('5 results in 2 files');
    await toggle(ada, 'wholeWord');
    await toggle(ada, 'regex');
    expect(await search(ada, 'needle\\d+')).toBe('2 results in 1 file');
    expect(await ada.$$eval('.search-line mark', (ms) => ms.map((m) => m.textContent))).toEqual([
      'needle42',
      'needle7',
    ]);
    // A broken regex says why, at once.
    expect(await search(ada, 'needle(')).toMatch(/not a valid regular expression/);
    await toggle(ada, 'caseSensitive');
    await toggle(ada, 'wholeWord');
    expect(await search(ada, 'Needle|needle\\d')).toBe('3 results in 1 file');
    await toggle(ada, 'caseSensitive');
    await toggle(ada, 'wholeWord');
    await toggle(ada, 'regex');
  });

  it('NAV-9: Enter jumps to the first result, arrows and Enter to any other', async () => {
    await search(ada, 'needle');
    await ada.focus('.search-input');
    await ada.keyboard.press('Enter');
    await ada.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent === 'src/search/needles.ts',
    );
    expect(await cursorLine(ada)).toBe(1);
    expect(await ada.evaluate(() => document.activeElement?.closest('.cm-editor') !== null)).toBe(true);
    // Back to the results with the keyboard: the 6th line's row.
    await ada.focus('.search-input');
    await ada.keyboard.press('ArrowDown'); // the file header
    for (let i = 0; i < 5; i++) await ada.keyboard.press('ArrowDown');
    expect(await ada.evaluate(() => (document.activeElement as HTMLElement).dataset.line)).toBe('6');
    await ada.keyboard.press('Enter');
    expect(await cursorLine(ada)).toBe(6);
  });

  it('NAV-8: a search matching tens of thousands of lines lists 1,000 and says how many more', async () => {
    const summary = await search(ada, 'export');
    const total = Number((summary.split(' ')[0] ?? '').replace(/,/g, ''));
    expect(summary).toMatch(/^[\d,]+ results in 1,998 files$/);
    expect(total).toBeGreaterThan(10_000);
    expect(await ada.$$eval('.search-line', (els) => els.length)).toBe(1000);
    expect(await ada.textContent('.search-more')).toContain(
      `${(total - 1000).toLocaleString('en-US')} more results`,
    );
    await screenshot(ada, 'nav-05-search-capped');
  });

  it('SAFE-80: a catastrophic regex never freezes the page; it is stopped and said so', async () => {
    await toggle(ada, 'regex');
    await ada.fill('.search-input', '(a+)+$');
    // While the worker spins, the page answers at once.
    await ada.waitForFunction(
      () => document.querySelector<HTMLElement>('.search-panel')?.dataset.state === 'searching',
    );
    const t0 = Date.now();
    expect(await ada.evaluate(() => 1 + 1)).toBe(2);
    await ada.keyboard.press('Control+p');
    await ada.waitForSelector('dialog.palette[open]');
    await ada.keyboard.press('Escape');
    expect(Date.now() - t0).toBeLessThan(2000);
    await screenshot(ada, 'nav-06-search-runaway');
    await ada.waitForFunction(
      () => document.querySelector<HTMLElement>('.search-panel')?.dataset.state === 'error',
      null,
      {
        timeout: 10_000,
      },
    );
    expect(await ada.textContent('.search-summary')).toMatch(/took longer than 3 s and was stopped/);
    // The next search works (a fresh worker with the files).
    expect(await search(ada, 'needle\\d')).toBe('2 results in 1 file');
    await toggle(ada, 'regex');
  });

  it('NAV-27: replace the checked matches across files as one change, then revert it as one', async () => {
    const watcher = connectClient(
      `${app.server.url.replace(/^http/, 'ws')}/sync`,
      room.roomId,
      room.owner.token,
    );
    try {
      await whenSynced(watcher);
      const needles = KNOWN_FILES['src/search/needles.ts']!;
      const other = KNOWN_FILES['src/search/other-needle.ts']!;
      await ada.focus('.search-input');
      await ada.keyboard.press('Control+Shift+h');
      await ada.waitForSelector('.replace-bar:not([hidden])');
      expect(await ada.evaluate(() => document.activeElement?.classList.contains('replace-input'))).toBe(
        true,
      );
      await toggle(ada, 'wholeWord');
      expect(await search(ada, 'needle')).toBe('5 results in 2 files');
      // Every match starts checked; line 1 of needles.ts ("export const Needle = 1;") is unchecked.
      expect(
        await ada.$$eval('.replace-check', (bs) => bs.every((b) => (b as HTMLInputElement).checked)),
      ).toBe(true);
      await ada.click('.replace-check[aria-label="Replace on line 1 of src/search/needles.ts"]');
      await ada.fill('.replace-input', 'pin');
      expect(await ada.getAttribute('.replace-all', 'title')).toContain(
        'Replace 4 checked matches in 2 files',
      );
      await ada.click('.replace-all');
      await ada.waitForFunction(
        () => document.querySelector<HTMLElement>('.replace-bar')?.dataset.state === 'replaced',
      );
      expect(await ada.textContent('.replace-status')).toBe('Replaced 4 matches in 2 files.Revert');
      // Both files changed for everyone, line 1 left alone.
      const replaced = needles
        .split('\n')
        .map((line, i) =>
          i === 0 ? line : line.replace(/(?<![A-Za-z0-9_$])needle(?![A-Za-z0-9_$])/gi, 'pin'),
        )
        .join('\n');
      expect(replaced).toContain('export const Needle = 1;\nexport const pin = 2;');
      await watcher.waitForText('src/search/needles.ts', (t) => t === replaced);
      await watcher.waitForText(
        'src/search/other-needle.ts',
        (t) => t === 'export const otherNeedle = "pin";\n',
      );
      // Searched again, the list shows what is left: the unchecked Needle.
      await ada.waitForFunction(
        () => document.querySelector('.search-summary')?.textContent === '1 result in 1 file',
      );
      // One history entry, by Ada.
      const history = await fetch(`${app.server.url}${apiPaths.history(room.roomId)}`, {
        headers: { authorization: `Bearer ${room.owner.token}` },
      }).then((r) => r.json() as Promise<HistoryResponse>);
      expect(history.entries[0]).toMatchObject({
        kind: 'change',
        by: { name: 'Ada' },
        summary: 'Replace “needle” → “pin” in 2 files (4 matches)',
        files: [
          { path: 'src/search/needles.ts', change: 'changed' },
          { path: 'src/search/other-needle.ts', change: 'changed' },
        ],
      });
      await screenshot(ada, 'nav-07-replaced');

      await ada.click('.replace-revert');
      await ada.waitForFunction(
        () => document.querySelector<HTMLElement>('.replace-bar')?.dataset.state === 'reverted',
      );
      expect(await ada.textContent('.replace-status')).toBe('Reverted: 2 files as they were.');
      await watcher.waitForText('src/search/needles.ts', (t) => t === needles);
      await watcher.waitForText('src/search/other-needle.ts', (t) => t === other);
      await ada.waitForFunction(
        () => document.querySelector('.search-summary')?.textContent === '5 results in 2 files',
      );
      await screenshot(ada, 'nav-08-replace-reverted');

      // History lists the replace as one change by Ada, and its revert; "Revert this change" on the revert
      // brings the replace back as one, and on that entry takes it out again.
      await ada.click('.topbar button:text("History")');
      await ada.waitForSelector('dialog.history-dialog[open] .history-entry');
      const summaries = () =>
        ada.$$eval('.history-entry', (es) =>
          es.map(
            (e) =>
              `${e.querySelector('.history-summary')?.textContent} / ${e.querySelector('.history-who')?.textContent}`,
          ),
        );
      expect((await summaries()).slice(0, 2)).toEqual([
        'Reverted “Replace “needle” → “pin” in 2 files (4 matches)” / Ada',
        'Replace “needle” → “pin” in 2 files (4 matches) / Ada',
      ]);
      await ada.click('.history-entry[data-kind="revert"] .history-entry-main');
      await ada.click('.history-revert');
      await watcher.waitForText('src/search/needles.ts', (t) => t === replaced);
      await watcher.waitForText(
        'src/search/other-needle.ts',
        (t) => t === 'export const otherNeedle = "pin";\n',
      );
      await ada.waitForFunction(() =>
        document
          .querySelector('.history-entry.active .history-summary')
          ?.textContent?.startsWith('Reverted “Reverted'),
      );
      await screenshot(ada, 'nav-09-history-revert');
      await ada.click('.history-revert');
      await watcher.waitForText('src/search/needles.ts', (t) => t === needles);
      await watcher.waitForText('src/search/other-needle.ts', (t) => t === other);
      await ada.keyboard.press('Escape');
      await ada.waitForSelector('dialog.history-dialog', { state: 'detached' });
      await ada.click('.replace-toggle');
      await ada.waitForSelector('.replace-bar', { state: 'hidden' });
      expect(await ada.$$eval('.replace-check', (bs) => bs.length)).toBe(0);
      await toggle(ada, 'wholeWord');
    } finally {
      watcher.destroy();
    }
  });

  it('closes', async () => {
    await ada.click('button[aria-label="Close search"]');
    await ada.waitForSelector('.search-panel', { state: 'hidden' });
    expect(await ada.isVisible('.files-panel')).toBe(true);
  });
});

describe('the file tree with 2,000 files, and tabs (NAV-11..NAV-13)', () => {
  let bob: Page;

  it('NAV-12: the tree draws only the rows in view, scrolls to the last file, and filters', async () => {
    const inDom = await ada.$$eval('.files-panel .tree-row', (rows) => rows.length);
    expect(inDom).toBeGreaterThan(10);
    expect(inDom).toBeLessThan(120);
    // The tree scrolls in its own box; the last file is reachable.
    await ada.$eval('.files-panel .tree', (t) => {
      t.scrollTop = t.scrollHeight;
    });
    await ada.waitForSelector('.tree-file[data-path="src/search/other-needle.ts"]');
    expect(await ada.$$eval('.files-panel .tree-row', (rows) => rows.length)).toBeLessThan(120);
    // Filter: only the paths that contain it, their folders open.
    await ada.fill('.tree-filter', 'needle');
    await ada.waitForFunction(() => document.querySelectorAll('.files-panel .tree-file').length === 2);
    expect(
      await ada.$$eval('.files-panel .tree-row', (rows) =>
        rows.map(
          (r) => `${r.querySelector('.tree-icon')?.textContent}${r.querySelector('.tree-name')?.textContent}`,
        ),
      ),
    ).toEqual(['▾src', '▾search', '·needles.ts', '·other-needle.ts']);
    expect(await ada.textContent('.files-panel .tree-count')).toBe('2 of 2000');
    await screenshot(ada, 'nav-07-tree-filter');
    // ↓ from the filter into the rows, Enter opens.
    await ada.focus('.tree-filter');
    await ada.keyboard.press('ArrowDown');
    await ada.keyboard.press('ArrowDown');
    await ada.keyboard.press('ArrowDown');
    await ada.keyboard.press('Enter');
    await ada.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent === 'src/search/needles.ts',
    );
    await ada.fill('.tree-filter', '');
  });

  it('NAV-13: folders collapse and stay so after a reload', async () => {
    await ada.$eval('.files-panel .tree', (t) => {
      t.scrollTop = 0;
    });
    await ada.click('.tree-folder[data-folder="src/module-0"]');
    await ada.waitForSelector('.tree-folder[data-folder="src/module-0"][aria-expanded="false"]');
    expect(await ada.$('.tree-file[data-path="src/module-0/file-0.ts"]')).toBeNull();
    await ada.reload();
    await ada.waitForSelector('.pill-online', { timeout: 30_000 });
    await ada.waitForSelector('.tree-folder[data-folder="src/module-0"][aria-expanded="false"]');
    expect(await ada.$('.tree-file[data-path="src/module-0/file-0.ts"]')).toBeNull();
    // Left/Right on a folder row opens and closes it from the keyboard.
    await ada.focus('.tree-folder[data-folder="src/module-0"]');
    await ada.keyboard.press('ArrowRight');
    await ada.waitForSelector('.tree-file[data-path="src/module-0/file-0.ts"]');
  });

  it('NAV-11: tabs: several files open, one shown; they survive a reload; close one', async () => {
    const tabs = () =>
      ada.$$eval('.tab', (els) =>
        els.map(
          (e) => `${e.getAttribute('data-path')}${e.getAttribute('aria-selected') === 'true' ? '*' : ''}`,
        ),
      );
    // The reload kept the tabs opened so far.
    const before = await tabs();
    expect(before).toContain('src/app/room-service.ts');
    expect(before).toContain('docs/guide.md');
    expect(before.some((t) => t.startsWith('src/search/needles.ts'))).toBe(true);
    await ada.click('.tab[data-path="docs/guide.md"]');
    await ada.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent === 'docs/guide.md',
    );
    expect(await ada.getAttribute('.tab[data-path="docs/guide.md"]', 'aria-selected')).toBe('true');
    // Keyboard: → to the next tab, Enter shows it.
    await ada.focus('.tab[data-path="docs/guide.md"]');
    await ada.keyboard.press(before[0]?.startsWith('docs/guide.md') ? 'ArrowRight' : 'ArrowLeft');
    await ada.keyboard.press('Enter');
    await ada.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent !== 'docs/guide.md',
    );
    // Closing the shown tab shows its neighbour.
    const shown = await openPath(ada);
    await ada.click(`.tab[data-path="${shown}"] .tab-close`);
    await ada.waitForFunction((p) => document.querySelector(`.tab[data-path="${p}"]`) === null, shown);
    expect(await openPath(ada)).not.toBe(shown);
    expect((await tabs()).length).toBe(before.length - 1);
  });

  it('NAV-11: the tab of the file the person I follow is in is marked, and follows them', async () => {
    bob = (await app.browser.person({ viewport: { width: 1280, height: 800 } })).page;
    await join(bob, 'Bob');
    await ada.waitForSelector('.people-panel :text("Bob")');
    await ada.click('.people-panel .person:has-text("Bob") .follow-btn');
    // Bob opens a file: Ada's editor goes there, and its tab says she follows him, in his colour.
    await bob.keyboard.press('Control+p');
    await bob.keyboard.type('other-needle');
    await bob.keyboard.press('Enter');
    await ada.waitForSelector('.tab.followed[data-path="src/search/other-needle.ts"]');
    expect(await ada.textContent('.tab.followed .tab-follow')).toBe('following');
    expect(await openPath(ada)).toBe('src/search/other-needle.ts');
    await screenshot(ada, 'nav-08-tabs-following');
    // Bob moves on: the mark moves with him.
    await bob.keyboard.press('Control+p');
    await bob.keyboard.type('guide.md');
    await bob.keyboard.press('Enter');
    await ada.waitForSelector('.tab.followed[data-path="docs/guide.md"]');
    expect(await ada.$$eval('.tab.followed', (els) => els.length)).toBe(1);
  });

  it('NAV-17, NAV-18: Bob sees that Ada follows him, and stops her; her page says so', async () => {
    await bob.waitForSelector('.followers-bar:not([hidden])');
    expect(await bob.textContent('.followers-text')).toBe('Ada is following you.');
    await screenshot(bob, 'nav-09-followed-by');
    await bob.click('.followers-bar button:has-text("Stop them following")');
    await ada.waitForSelector('.follow-banner', { state: 'hidden' });
    await ada.waitForSelector('.toast:has-text("Bob stopped you following them.")');
    await bob.waitForSelector('.followers-bar', { state: 'hidden' });
    // Following again later works (the old request does not end the new follow), and Bob sees it.
    await ada.click('.people-panel .person:has-text("Bob") .follow-btn');
    await bob.waitForSelector('.followers-bar:not([hidden])');
    await ada.waitForTimeout(300);
    expect(await ada.isVisible('.follow-banner')).toBe(true);
    await ada.click('.follow-banner button');
    await bob.waitForSelector('.followers-bar', { state: 'hidden' });
  });

  it('PERF-40: a presence change that moves no one leaves the tree as drawn; a move draws the dot at once', async () => {
    await ada.$eval('.files-panel .tree', (t) => {
      t.scrollTop = 0;
    });
    await ada.click('.cm-content');
    const frames = (page: Page) =>
      page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await frames(ada);
    const tagged = await ada.$$eval('.files-panel .tree-row', (rows) => {
      for (const r of rows) (r as HTMLElement).dataset.probe = '1';
      return rows.length;
    });
    expect(tagged).toBeGreaterThan(10);
    // Ada's own cursor moves: her presence changes, the room page asks the tree to redraw, nothing in it
    // changed, and the rows are the same elements.
    await ada.keyboard.press('ArrowDown');
    await ada.keyboard.press('ArrowDown');
    await frames(ada);
    expect(await ada.$$eval('.files-panel .tree-row[data-probe]', (rows) => rows.length)).toBe(tagged);
    // Bob moves to another file: his dot leaves one row and appears on the other.
    expect(await ada.$('.tree-file[data-path="docs/guide.md"] .dot[title="Bob"]')).not.toBeNull();
    await bob.keyboard.press('Control+p');
    await bob.keyboard.type('room-service');
    await bob.keyboard.press('Enter');
    await ada.waitForSelector('.tree-file[data-path="src/app/room-service.ts"] .dot[title="Bob"]');
    expect(await ada.$('.tree-file[data-path="docs/guide.md"] .dot[title="Bob"]')).toBeNull();
    expect(
      await ada.$$eval('.files-panel .tree-file .tree-name', (names) =>
        names.slice(0, 3).map((n) => n.textContent),
      ),
    ).toEqual(['guide.md', 'room-service.ts', 'file-0.ts']);
  });

  it('logged no errors so far (2)', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});

/** Everything of the page that sticks out of a 390 px viewport, and touch targets under 40 px. */
function layoutProblems(page: Page) {
  return page.evaluate(() => {
    const W = window.innerWidth;
    const H = window.innerHeight;
    const overflow: string[] = [];
    const small: string[] = [];
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}[${(el.textContent ?? '').trim().slice(0, 20)}]`;
    if (document.documentElement.scrollWidth > W)
      overflow.push(`document ${document.documentElement.scrollWidth}`);
    for (const el of document.querySelectorAll(
      '.topbar *, .tab-strip, .file-bar, .follow-banner, .followers-bar',
    )) {
      const r = el.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.right > W + 0.5 || r.left < -0.5)
        overflow.push(`${name(el)} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    const targets = document.querySelectorAll(
      'button, select, input, textarea, a[href], [role="tab"], .tree-row, [tabindex="0"]:not(.cm-content)',
    );
    for (const el of targets) {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden') continue;
      if (r.right <= 0 || r.left >= W || r.bottom <= 0 || r.top >= H) continue;
      if (el.closest('.cm-content, .cm-gutters')) continue;
      if (r.height < 39.5 || r.width < 39.5)
        small.push(`${name(el)} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    return { overflow, small };
  });
}

describe('a phone, 390 px wide (NAV-14..NAV-16)', () => {
  let cy: Page;

  it('NAV-14, NAV-15: the top bar fits, the editor fills the width, panels are drawers', async () => {
    cy = (await app.browser.person({ viewport: { width: 390, height: 844 } })).page;
    await join(cy, 'Cy Longname-Wellington');
    await cy.keyboard.press('Control+p');
    await cy.keyboard.type('room-service');
    await cy.keyboard.press('Enter');
    await cy.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent === 'src/app/room-service.ts',
    );
    expect(await layoutProblems(cy)).toEqual({ overflow: [], small: [] });
    const editor = await cy.locator('.cm-editor').boundingBox();
    expect(editor!.x).toBe(0);
    expect(editor!.width).toBeGreaterThan(380);
    expect(await cy.isVisible('.sidebar')).toBe(false);
    await screenshot(cy, 'nav-10-phone');

    // The files drawer: over the editor, inside the viewport; a file opened from it closes it.
    await cy.click('.drawer-btn-files');
    await cy.waitForFunction(() => document.querySelector('.sidebar')?.getBoundingClientRect().left === 0);
    const drawer = await cy.locator('.sidebar').boundingBox();
    expect(drawer!.x + drawer!.width).toBeLessThanOrEqual(390);
    expect(await layoutProblems(cy)).toEqual({ overflow: [], small: [] });
    await screenshot(cy, 'nav-11-phone-files');
    await cy.fill('.tree-filter', 'guide');
    await cy.click('.tree-file[data-path="docs/guide.md"]');
    await cy.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent === 'docs/guide.md',
    );
    await cy.waitForFunction(
      () => getComputedStyle(document.querySelector('.sidebar')!).visibility === 'hidden',
    );

    // The Spark drawer, from the right; Escape closes it.
    await cy.click('.drawer-btn-spark');
    await cy.waitForFunction(() => {
      const r = document.querySelector('.spark-panel')!.getBoundingClientRect();
      return Math.round(r.right) === 390;
    });
    expect(await layoutProblems(cy)).toEqual({ overflow: [], small: [] });
    await screenshot(cy, 'nav-12-phone-spark');
    await cy.keyboard.press('Escape');
    await cy.waitForFunction(
      () => getComputedStyle(document.querySelector('.spark-panel')!).visibility === 'hidden',
    );
  });

  it('NAV-14: following on a phone: the banner fits and the tab is marked', async () => {
    await cy.click('.drawer-btn-files');
    await cy.waitForFunction(() => document.querySelector('.sidebar')?.getBoundingClientRect().left === 0);
    await cy.click('.people-panel .person:has-text("Ada") .follow-btn');
    // Following opens Ada's file, which closes the drawer; if not yet, Escape does.
    await cy.keyboard.press('Escape');
    await ada.keyboard.press('Control+p');
    await ada.keyboard.type('needles.ts');
    await ada.keyboard.press('Enter');
    await cy.waitForSelector('.tab.followed[data-path="src/search/needles.ts"]');
    expect(await layoutProblems(cy)).toEqual({ overflow: [], small: [] });
    await screenshot(cy, 'nav-13-phone-following');
    await cy.click('.follow-banner button');
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
