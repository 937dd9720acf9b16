import type { Page, WebSocketRoute } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { CreateRoomResponse, JoinResponse } from '../../schema/protocol.ts';
import { screenshot } from '../helpers/browser.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';
import { KNOWN_FILES } from './big-room.ts';
import { join, useNavigationRoom } from './navigation-room.ts';

// WEB-111 (PERF-51): joining a room of 2,000 files, the page shows the file it opens first before the code doc
// has synced. The tab's code-doc socket goes through a proxy in the page's network (Playwright's
// routeWebSocket) that holds what the server sends until the test lets it through: the loading state is
// then a state the test can read, not a race.
const nav = useNavigationRoom();
const FILE = 'src/app/room-service.ts';

/**
 * The line at the top of the editor's scroller (its text, where it sits in it), the scroller's offset, and
 * where the scroller and the text sit on the page: a jump of any of them is what a person would see.
 */
const topLine = (page: Page) =>
  page.evaluate(() => {
    const scroller = document.querySelector('.cm-scroller') as HTMLElement;
    const box = scroller.getBoundingClientRect();
    const line = [...document.querySelectorAll('.cm-line')].find(
      (l) => l.getBoundingClientRect().bottom > box.top + 1,
    );
    return {
      scrollTop: scroller.scrollTop,
      text: line?.textContent ?? null,
      offset: line ? Math.round(line.getBoundingClientRect().top - box.top) : null,
      scrollerTop: Math.round(box.top),
      textLeft: line ? Math.round(line.getBoundingClientRect().left) : null,
    };
  });

/** Holds what the server sends on the page's code-doc socket until `release` (the review doc's path ends in /review). */
async function holdCodeSync(page: Page): Promise<{ held(): boolean; release(): void }> {
  let held = true;
  const queued: { ws: WebSocketRoute; message: string | Buffer }[] = [];
  await page.routeWebSocket(/\/sync\/[^/?]+\?token=/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      if (held) queued.push({ ws, message });
      else ws.send(message);
    });
  });
  return {
    held: () => held,
    release: () => {
      held = false;
      for (const { ws, message } of queued.splice(0)) ws.send(message);
    },
  };
}

describe('the first file while a big room syncs (WEB-111, PERF-51)', () => {
  // First in the file: nobody else is in the room yet, so no one's presence dot redraws the strip (as it should)
  // while this test counts its changes.
  it('PERF-156: the tab strip drawn for the loading file is not drawn again when the live file opens at the sync', async () => {
    const { page } = await nav.app.browser.person({ viewport: { width: 1280, height: 800 } });
    const sync = await holdCodeSync(page);
    await page.goto(nav.room.editorLink);
    await page.fill('#display-name', 'Edsger');
    await page.click('button[type=submit]');
    await page.waitForSelector('.cm-editor.cm-loading');
    await page.waitForSelector('.tab-strip .tab[aria-selected="true"]');
    const tabOf = () =>
      page.evaluate(() => {
        const tab = document.querySelector('.tab-strip .tab[aria-selected="true"]') as HTMLElement;
        const box = tab.getBoundingClientRect();
        return {
          path: tab.dataset.path,
          text: tab.textContent,
          left: Math.round(box.left),
          top: Math.round(box.top),
        };
      });
    const before = await tabOf();
    expect(before.path).toBe(await page.textContent('.file-bar .file-path'));
    // Every change of the strip's children from here on is counted.
    await page.evaluate(() => {
      const w = window as unknown as { stripChanges: number };
      w.stripChanges = 0;
      new MutationObserver((records) => {
        w.stripChanges += records.length;
      }).observe(document.querySelector('.tab-strip')!, { childList: true, subtree: true });
    });
    sync.release();
    await page.waitForSelector('.cm-editor:not(.cm-loading) .cm-content[contenteditable="true"]', {
      timeout: 60_000,
    });
    expect(await page.textContent('.file-bar .file-path')).toBe(before.path);
    expect(await tabOf()).toEqual(before);
    expect(await page.evaluate(() => (window as unknown as { stripChanges: number }).stripChanges)).toBe(0);
  }, 180_000);

  it('WEB-123: joined, the address names the first file while it is shown read-only, and the sync’s live open of it does not write the address again', async () => {
    const { page } = await nav.app.browser.person({ viewport: { width: 1280, height: 800 } });
    // Every write of the address through the History API, with the address it wrote.
    await page.addInitScript(() => {
      const w = window as unknown as { addressWrites: string[] };
      w.addressWrites = [];
      const replace = History.prototype.replaceState;
      History.prototype.replaceState = function (
        this: History,
        ...args: Parameters<History['replaceState']>
      ) {
        w.addressWrites.push(String(args[2]));
        replace.apply(this, args);
      };
    });
    const sync = await holdCodeSync(page);
    await page.goto(nav.room.editorLink);
    await page.fill('#display-name', 'Barbara');
    await page.click('button[type=submit]');
    const first = [...nav.room.paths].sort()[0]!;
    const firstLine = KNOWN_FILES[first]!.split('\n')[0]!;
    await page.waitForSelector('.cm-editor.cm-loading');
    await page.waitForFunction(
      (line) => document.querySelector('.cm-content')?.textContent?.includes(line),
      firstLine,
    );
    // Loading, read-only: the file bar, the text and the address name the same file.
    expect(sync.held()).toBe(true);
    expect(await page.textContent('.file-bar .file-path')).toBe(first);
    expect(await page.getAttribute('.cm-content', 'contenteditable')).toBe('false');
    expect(await page.evaluate(() => location.pathname + location.hash)).toBe(
      `/r/${nav.room.roomId}#file=${encodeURIComponent(first)}`,
    );
    const before = await topLine(page);
    expect(before.text).toBe(firstLine);
    await screenshot(page, 'web-123-loading');
    const writes = await page.evaluate(
      () => (window as unknown as { addressWrites: string[] }).addressWrites.length,
    );

    sync.release();
    await page.waitForSelector('.cm-editor:not(.cm-loading) .cm-content[contenteditable="true"]', {
      timeout: 60_000,
    });
    // Live and editable, at the same place, the address as it was and not written again.
    expect(await page.textContent('.file-bar .file-path')).toBe(first);
    // (an earlier test's person may have their caret, with its name flag, in that line now)
    const after = await topLine(page);
    expect({ ...after, text: after.text?.replace(/\u2060[^\u2060]*\u2060/g, '') }).toEqual(before);
    expect(await page.evaluate(() => location.pathname + location.hash)).toBe(
      `/r/${nav.room.roomId}#file=${encodeURIComponent(first)}`,
    );
    expect(
      await page.evaluate(() => (window as unknown as { addressWrites: string[] }).addressWrites.length),
    ).toBe(writes);
    await screenshot(page, 'web-123-live');
  }, 180_000);

  it('WEB-111: shown read-only and marked as loading before the sync, then editable at the same place with edits made meanwhile', async () => {
    const { context, page: first } = await nav.app.browser.person({ viewport: { width: 1280, height: 800 } });
    await join(first, nav.room, 'Ada');
    const page = await context.newPage();

    const sync = await holdCodeSync(page);
    await page.goto(`${nav.app.server.url}/r/${nav.room.roomId}#file=${encodeURIComponent(FILE)}`);

    // Before the sync: the file's text, read-only, and the bar says the room is loading.
    await page.waitForSelector('.cm-editor.cm-loading');
    await page.waitForFunction(() =>
      document.querySelector('.cm-content')?.textContent?.includes('class RoomService'),
    );
    expect(sync.held()).toBe(true);
    expect(await page.textContent('.file-bar .file-path')).toBe(FILE);
    expect(await page.textContent('.file-bar .loading-badge')).toContain(
      'Loading the room: read-only until it is in sync',
    );
    expect(await page.getAttribute('.cm-content', 'contenteditable')).toBe('false');
    expect(await page.getAttribute('.cm-content', 'aria-label')).toBe(
      `Loading, read-only until the room is in sync: ${FILE}`,
    );
    expect(await page.isVisible('.empty-state')).toBe(false);
    // The person scrolls down while it loads.
    await page.evaluate(() => {
      (document.querySelector('.cm-scroller') as HTMLElement).scrollTop = 1000;
    });
    // CodeMirror draws the lines of the new view in a frame after the scroll event: until then no drawn line
    // reaches the top of the view (a full run read the top line as null right after the scroll).
    await page.waitForFunction(() => {
      const scroller = document.querySelector('.cm-scroller') as HTMLElement;
      const top = scroller.getBoundingClientRect().top;
      return (
        scroller.scrollTop === 1000 &&
        [...document.querySelectorAll('.cm-line')].some((l) => l.getBoundingClientRect().bottom > top + 1)
      );
    });
    const before = await topLine(page);
    expect(before.text).toMatch(/^export const setting\d+ = \d+; \/\/ setting line \d+$/);
    await screenshot(page, 'web-111-loading');

    // Someone edits the line at the top of the view meanwhile (at its end: no line above it moves).
    const owner = connectClient(
      `${nav.app.server.url.replace(/^http/, 'ws')}/sync`,
      nav.room.roomId,
      nav.room.owner.token,
    );
    try {
      await new Promise<void>((resolve) => owner.provider.once('sync', () => resolve()));
      const at = KNOWN_FILES[FILE]!.indexOf(before.text!) + before.text!.length;
      owner.edit(FILE, (t) => t.insert(at, ' // edited while you loaded'));

      // The sync goes through: the live editor takes the loading one's place.
      sync.release();
      await page.waitForSelector('.cm-editor:not(.cm-loading) .cm-content[contenteditable="true"]', {
        timeout: 60_000,
      });
      await page.waitForFunction(
        (text) =>
          document.querySelector('.cm-content')?.textContent?.includes(`${text} // edited while you loaded`),
        before.text,
      );
      expect(await page.isVisible('.file-bar .loading-badge')).toBe(false);
      expect(await page.textContent('.file-bar .file-path')).toBe(FILE);
      expect(await page.getAttribute('.cm-content', 'aria-label')).toBe(`Code editor: ${FILE}`);
      const after = await topLine(page);
      expect(after).toEqual({ ...before, text: `${before.text} // edited while you loaded` });
      await screenshot(page, 'web-111-live');

      // Editable now: a click and typing change the file for everyone.
      await page.locator('.cm-line', { hasText: 'edited while you loaded' }).click();
      await page.keyboard.press('End');
      await page.keyboard.type(' // and typed after');
      await owner.waitForText(FILE, (t) => t.includes('edited while you loaded // and typed after'));
    } finally {
      owner.destroy();
    }
  }, 180_000);

  it('PERF-113: the join page loads the room page’s code before the name is sent; joined, the room’s first file is shown', async () => {
    const { page } = await nav.app.browser.person({ viewport: { width: 1280, height: 800 } });
    const roomCode = page.waitForRequest(/\/assets\/room-page-[^/]*\.js$/, { timeout: 15_000 });
    await page.goto(nav.room.editorLink);
    await page.waitForSelector('#display-name');
    // Asked for while the name field waits, before any submit.
    expect(new URL((await roomCode).url()).pathname).toMatch(/^\/assets\/room-page-/);
    await page.fill('#display-name', 'Grace');
    await page.click('button[type=submit]');
    const first = [...nav.room.paths].sort()[0]!;
    await page.waitForFunction(
      (file) => document.querySelector('.file-bar .file-path')?.textContent === file,
      first,
      {
        timeout: 60_000,
      },
    );
    const text = (await page.textContent('.cm-content')) ?? '';
    const known = KNOWN_FILES[first];
    if (known !== undefined) expect(text).toContain(known.split('\n')[0]);
    else expect(text.length).toBeGreaterThan(0);
  }, 120_000);

  it('PERF-129: the invite page has the idle room loaded before the name is sent; joined, its file is shown', async () => {
    const { url, running } = nav.app.server;
    const post = async <T>(path: string, body: unknown): Promise<T> => {
      const res = await fetch(url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBeLessThan(300);
      return (await res.json()) as T;
    };
    const room = await post<CreateRoomResponse>('/api/rooms', { name: 'warm' });
    const owner = await post<JoinResponse>(`/api/rooms/${room.roomId}/join`, {
      invite: room.invites.owner,
      name: 'Owner',
    });
    const writer = connectClient(`${url.replace(/^http/, 'ws')}/sync`, room.roomId, owner.token);
    await whenSynced(writer);
    writer.edit('lib/warm.ts', (t) => t.insert(0, 'export const warm = true;\n'));
    const unloaded = new Promise<void>((resolve) => {
      const off = running.registry.onUnload((id) => {
        if (id !== room.roomId) return;
        off();
        resolve();
      });
    });
    writer.destroy();
    await unloaded;
    expect(running.registry.peek(room.roomId)).toBeUndefined();

    const { page } = await nav.app.browser.person({ viewport: { width: 1280, height: 800 } });
    const warmed = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/warm'), {
      timeout: 15_000,
    });
    await page.goto(`${url}/join/${room.roomId}#invite=${room.invites.viewer}`);
    await page.waitForSelector('#display-name');
    // Nothing sent but the page's own request: the room is in memory while the name is still to type.
    expect((await warmed).status()).toBe(204);
    expect(running.registry.peek(room.roomId)).toBeDefined();
    await page.fill('#display-name', 'Linus');
    await page.click('button[type=submit]');
    await page.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent === 'lib/warm.ts',
      null,
      { timeout: 60_000 },
    );
    await page.waitForFunction(
      () => (document.querySelector('.cm-content')?.textContent ?? '').includes('export const warm = true;'),
      null,
      { timeout: 60_000 },
    );
  }, 120_000);

  it('PERF-131: the invite link’s first script is the join page without the editor’s libraries; its name form shows', async () => {
    const { page } = await nav.app.browser.person({ viewport: { width: 1280, height: 800 } });
    const entry = page.waitForResponse((r) => /\/assets\/index-[^/]*\.js$/.test(new URL(r.url()).pathname));
    await page.goto(nav.room.editorLink);
    await page.waitForSelector('#display-name');
    expect(await page.textContent('button[type=submit]')).toBe('Join room');
    const script = await (await entry).body();
    // Yjs alone is over 80 KB minified; the join page and its calls are under 16 KB.
    expect(script.byteLength).toBeLessThan(32 * 1024);
    expect(script.toString('utf8')).not.toContain('y-websocket');
  }, 60_000);

  it('WEB-117: joined, the first file’s text is shown with no request for it but the room’s info', async () => {
    const { page } = await nav.app.browser.person({ viewport: { width: 1280, height: 800 } });
    const asked: string[] = [];
    page.on('request', (r) => {
      const { pathname } = new URL(r.url());
      if (pathname.startsWith('/api/rooms/')) asked.push(pathname);
    });
    await page.goto(nav.room.editorLink);
    await page.fill('#display-name', 'Barbara');
    await page.click('button[type=submit]');
    const first = [...nav.room.paths].sort()[0]!;
    await page.waitForFunction(
      (file) => document.querySelector('.file-bar .file-path')?.textContent === file,
      first,
      { timeout: 60_000 },
    );
    const known = KNOWN_FILES[first];
    const text = (await page.textContent('.cm-content')) ?? '';
    if (known !== undefined) expect(text).toContain(known.split('\n')[0]);
    else expect(text.length).toBeGreaterThan(0);
    expect(asked.filter((p) => p.endsWith('/file'))).toEqual([]);
  }, 120_000);
});
