import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { cursorLine, join, openPath, useNavigationRoom } from './navigation-room.ts';

const nav = useNavigationRoom();
let ada: Page;

describe('quick open, go to line, go to symbol, outline (NAV-1..NAV-5)', () => {
  it('NAV-1, NAV-2: Ctrl+P finds a file among 2,000 by a fuzzy fragment, keyboard only; recent files first', async () => {
    ada = (await nav.app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await join(ada, nav.room, 'Ada');
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

  it('WEB-128: Ctrl+G, then ":12" as the shortcut list writes it (the colon typed again) goes to line 12', async () => {
    await ada.locator('.cm-content').click();
    await ada.keyboard.press('Control+g');
    await ada.waitForSelector('dialog.palette[open]');
    await ada.keyboard.type(':12');
    expect(await ada.inputValue('.palette-input')).toBe('::12');
    expect(await ada.textContent('.palette-item .palette-label')).toBe('Go to line 12');
    await ada.keyboard.type(':5');
    expect(await ada.textContent('.palette-item .palette-label')).toBe('Go to line 12, column 5');
    await ada.keyboard.press('Enter');
    await ada.waitForSelector('dialog.palette', { state: 'detached' });
    expect(await cursorLine(ada)).toBe(12);
    const line = await ada.evaluate(() => {
      const active = document.querySelector('.cm-activeLine')?.getBoundingClientRect();
      const box = document.querySelector('.cm-scroller')?.getBoundingClientRect();
      const number = document.querySelector('.cm-activeLineGutter');
      return {
        inView: !!active && !!box && active.top >= box.top && active.bottom <= box.bottom,
        number: number?.textContent,
        besideNumber: !!active && !!number && Math.abs(number.getBoundingClientRect().top - active.top) <= 1,
      };
    });
    expect(line).toEqual({ inView: true, number: '12', besideNumber: true });
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
    expect(nav.app.browser.consoleErrors).toEqual([]);
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
    bob = (await nav.app.browser.person({ viewport: { width: 1280, height: 800 } })).page;
    await join(bob, nav.room, 'Bob');
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
    expect(nav.app.browser.consoleErrors).toEqual([]);
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
    cy = (await nav.app.browser.person({ viewport: { width: 390, height: 844 } })).page;
    await join(cy, nav.room, 'Cy Longname-Wellington');
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
    expect(nav.app.browser.consoleErrors).toEqual([]);
  });
});
