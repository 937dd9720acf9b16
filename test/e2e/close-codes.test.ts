import type { WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orphanUpdates } from '../helpers/attacks.ts';
import { screenshot } from '../helpers/browser.ts';
import { updateFrame } from '../helpers/raw-socket.ts';
import { roomsApi } from '../helpers/test-server.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// What a person sees when the server closes their tab's socket for a refused frame, in real Chromium. The
// frames are put on the tab's own socket by a proxy in the page's network (Playwright's routeWebSocket), so
// the server closes the real socket of the real client and the page reads the real close.
let app: BrowserApp;

beforeAll(async () => {
  app = await startBrowserApp();
}, 120_000);

afterAll(async () => {
  await app?.close();
});

describe('close codes in words', () => {
  it('SAFE-88: a tab closed with 4424 (its updates wait for edits the server never got) says what happened and what to do', async () => {
    const room = await roomsApi(app.server.url).createRoom('Held updates');
    const { page } = await app.browser.person();
    // the code doc's socket (the review doc's path ends in /review)
    let toServer: WebSocketRoute | null = null;
    await page.routeWebSocket(/\/sync\/[^/?]+\?token=/, (ws) => {
      toServer = ws.connectToServer();
    });
    await page.goto(`${app.server.url}/join/${room.roomId}#invite=${room.invites.editor}`);
    await page.fill('#display-name', 'Hana');
    await page.click('button[type=submit]');
    await page.waitForSelector('.pill-online', { timeout: 15_000 });
    expect(toServer).not.toBeNull();
    // 101 updates whose parent never comes: one more than a socket may hold (ROOM-14)
    for (const u of orphanUpdates(101, 3_500_000)) toServer!.send(Buffer.from(updateFrame(u)));
    await page.waitForSelector('.banner-error:visible', { timeout: 15_000 });
    const text = await page.textContent('.banner-error');
    expect(text).toContain('Out of sync.');
    expect(text).toContain(
      'This tab sent changes that build on edits the server never received, so they were not saved.',
    );
    expect(text).toContain('Reload the page to rejoin with the room as it is now.');
    expect(await page.textContent('.pill')).toBe('Out of sync');
    // the banner runs across the page right under the top bar, whose pill says the same
    const banner = await page.locator('.banner-error').boundingBox();
    const pill = await page.locator('.pill').boundingBox();
    const viewport = page.viewportSize();
    expect(banner!.y).toBeGreaterThan(pill!.y + pill!.height);
    expect(banner!.y).toBeLessThan(pill!.y + 100);
    expect(banner!.width).toBeGreaterThan(viewport!.width * 0.9);
    await screenshot(page, 'close-4424-out-of-sync');
  });
});
