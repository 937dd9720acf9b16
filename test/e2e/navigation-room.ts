import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type BigRoom, makeBigRoom } from './big-room.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// Issue 13: finding one's way in a real project, on a room of 2,000 files made by the test.

export interface NavigationRoom {
  app: BrowserApp;
  room: BigRoom;
}

/** A server with its web client and a room of 2,000 files for the file's tests; closed after them. */
export function useNavigationRoom(): NavigationRoom {
  const it = {} as NavigationRoom;
  beforeAll(async () => {
    it.app = await startBrowserApp();
    it.room = await makeBigRoom(it.app.server.url);
  }, 180_000);
  afterAll(async () => {
    await it.app?.close();
    it.room?.cleanup();
  });
  return it;
}

/** The line the cursor is on, as the editor's gutter shows it. */
export const cursorLine = (page: Page) =>
  page.evaluate(() => Number(document.querySelector('.cm-activeLineGutter')?.textContent ?? 0));
export const openPath = (page: Page) => page.textContent('.file-bar .file-path');

/** Joins the room as an editor named `name`, and waits for the editor. */
export async function join(page: Page, room: BigRoom, name: string): Promise<void> {
  await page.goto(room.editorLink);
  await page.fill('#display-name', name);
  await page.click('button[type=submit]');
  await page.waitForSelector('.pill-online', { timeout: 30_000 });
  await page.waitForSelector('.cm-content', { timeout: 30_000 });
}
