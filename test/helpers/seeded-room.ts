import type { Page } from 'playwright-core';
import type { CreateRoomResponse, JoinResponse, Role } from '../../schema/protocol.ts';
import type { TestBrowser } from './browser.ts';
import { roomsApi } from './test-server.ts';
import { connectClient, whenSynced } from './y-client.ts';

/** 120 numbered lines: long enough that following the teacher's cursor means scrolling. */
export const LESSON = Array.from({ length: 120 }, (_, i) => `const line${i + 1} = ${i + 1};`).join('\n');

export interface SeededRoom {
  room: CreateRoomResponse;
  /** the owner ("Setup") who wrote the file before anyone arrived */
  setup: JoinResponse;
  /** the invite link for `role` */
  link(role: Role): string;
}

/**
 * A room made over REST whose exercise an owner ("Setup") wrote before anyone arrives, as a teacher's
 * class starts: when this resolves the server holds `file` with `text` (a second client read it back), so
 * a page that joins next opens it.
 */
export async function seededRoom(
  baseUrl: string,
  name: string,
  file: string,
  text: string,
): Promise<SeededRoom> {
  const rooms = roomsApi(baseUrl);
  const room = await rooms.createRoom(name);
  const setup = await rooms.join(room.roomId, room.invites.owner, 'Setup');
  const syncUrl = `${baseUrl.replace(/^http/, 'ws')}/sync`;
  const writer = connectClient(syncUrl, room.roomId, setup.token);
  await whenSynced(writer);
  writer.edit(file, (t) => t.insert(0, text));
  const probe = connectClient(syncUrl, room.roomId, setup.token);
  await probe.waitForText(file, (t) => t === text);
  writer.destroy();
  probe.destroy();
  return { room, setup, link: (role) => `${baseUrl}/join/${room.roomId}#invite=${room.invites[role]}` };
}

/** Waits until the page is online and its editor shows `needle`. */
export async function waitOnlineShowing(page: Page, needle: string): Promise<void> {
  await page.waitForSelector('.pill-online', { timeout: 10_000 });
  await page.waitForFunction((n) => document.querySelector('.cm-content')?.textContent?.includes(n), needle);
}

/** A new page that joins through the invite `link` as `name`, once it is online and its editor shows `needle`. */
export async function joinShowing(
  browser: Pick<TestBrowser, 'person'>,
  link: string,
  name: string,
  needle: string,
  viewport?: { width: number; height: number },
): Promise<Page> {
  const { page } = await browser.person(viewport ? { viewport } : {});
  await page.goto(link);
  await page.fill('#display-name', name);
  await page.click('button[type=submit]');
  await waitOnlineShowing(page, needle);
  return page;
}
