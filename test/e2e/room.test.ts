import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_DIR, screenshot } from '../helpers/browser.ts';
import { editorText } from './editor-text.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// Real Chromium against the real server on port 0 (ISSUE-4 end-to-end). Screenshots go to test-artifacts/e2e/.
let app: BrowserApp;
const metrics: Record<string, number> = {};

beforeAll(async () => {
  app = await startBrowserApp();
}, 120_000);

afterAll(async () => {
  await app?.close();
  writeFileSync(join(ARTIFACTS_DIR, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
});

async function waitForText(page: Page, needle: string): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const content = document.querySelector('.cm-content');
      return content
        ? [...content.querySelectorAll('.cm-line')].some((l) => l.textContent?.includes(n))
        : false;
    },
    needle,
    { timeout: 10_000 },
  );
}

async function joinWithInvite(link: string, name: string): Promise<Page> {
  const { page } = await app.browser.person();
  await page.goto(link);
  await page.fill('#display-name', name);
  await page.click('button[type=submit]');
  await page.waitForSelector('.pill-online', { timeout: 10_000 });
  return page;
}

describe('the room in a browser', () => {
  let ada: Page;
  let bob: Page;
  let links: { editor: string; viewer: string };
  let roomUrl: string;

  it('a new user creates a room from the start page and gets invite links', async () => {
    ada = (await app.browser.person()).page;
    const t0 = Date.now();
    await ada.goto(`${app.server.url}/`);
    await ada.waitForSelector('#your-name');
    metrics.startPageReadyMs = Date.now() - t0;
    await screenshot(ada, '01-start-page');
    await ada.fill('#your-name', 'Ada');
    await ada.fill('#room-name', 'Parser pairing');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    links = {
      editor: await ada.inputValue('input[data-role=editor]'),
      viewer: await ada.inputValue('input[data-role=viewer]'),
    };
    expect(links.editor).toMatch(/\/join\/[A-Za-z0-9_-]+#invite=/);
    expect(links.viewer).not.toBe(links.editor);
    await screenshot(ada, '02-room-created-invites');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    roomUrl = ada.url().replace(/#.*$/, '');
    // This server has no model: the room works, and the Spark panel says what to configure.
    expect(await ada.textContent('.spark-panel .notice')).toContain('set SPARK_BASE_URL / SPARK_API_KEY');
    expect(await ada.isDisabled('.prompt-input')).toBe(true);
  });

  it('two people type in one file and see each other’s text and cursors', async () => {
    await ada.click('text=Create README.md');
    await ada.waitForSelector('.cm-content');
    await ada.click('.cm-content');
    await ada.keyboard.type('# Parser\n\nAda wrote this line.\n', { delay: 15 });

    bob = await joinWithInvite(links.editor, 'Bob');
    expect(new URL(bob.url()).hash).not.toContain('invite'); // the invite leaves the address bar
    await waitForText(bob, 'Ada wrote this line.');
    await bob.click('.cm-content');
    await bob.keyboard.press('Control+End');
    await bob.keyboard.type('Bob adds another.', { delay: 15 });
    await waitForText(ada, 'Bob adds another.');
    expect(await editorText(ada)).toBe(await editorText(bob));

    // Each sees the other's caret, named, in the other's colour; and the other in the people list.
    await ada.waitForSelector('.cm-remote-flag:text("Bob")');
    await bob.click('.cm-line >> nth=0');
    await bob.waitForSelector('.cm-remote-flag:text("Ada")');
    await ada.waitForSelector('.person[data-user-id] .person-name:has-text("Bob")');
    await screenshot(ada, '03-two-people-ada');
    await screenshot(bob, '04-two-people-bob');

    // Undo is per person: Bob's undo takes back Bob's text only.
    await bob.click('.cm-content');
    await bob.keyboard.press('Control+z');
    await ada.waitForFunction(
      () => !document.querySelector('.cm-content')?.textContent?.includes('Bob adds another.'),
    );
    expect(await editorText(bob)).toContain('Ada wrote this line.');
  });

  it('measures how long the room page takes to load and go live', async () => {
    const { page } = await app.browser.person();
    await page.goto(`${app.server.url}/`); // same origin, so the session can be copied in
    const session = await ada.evaluate(() => localStorage.getItem('sparkroom.sessions'));
    await page.evaluate((s) => localStorage.setItem('sparkroom.sessions', s ?? '[]'), session);
    const t0 = Date.now();
    await page.goto(roomUrl);
    await page.waitForSelector('.pill-online');
    await waitForText(page, 'Ada wrote this line.');
    metrics.roomLiveMs = Date.now() - t0;
    const nav = await page.evaluate(() => {
      const e = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return {
        domContentLoaded: e.domContentLoadedEventEnd,
        load: e.loadEventEnd,
        transferred: e.transferSize,
      };
    });
    metrics.roomDomContentLoadedMs = Math.round(nav.domContentLoaded);
    metrics.roomLoadEventMs = Math.round(nav.load);
    const bytes = await page.evaluate(() =>
      (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).reduce(
        (n, r) => n + r.encodedBodySize,
        0,
      ),
    );
    metrics.roomScriptAndStyleBytes = bytes;
    await page.close();
    expect(metrics.roomLiveMs).toBeGreaterThan(0);
  });

  it('a viewer sees the code read-only and cannot type', async () => {
    const viewer = await joinWithInvite(links.viewer, 'Vera');
    await waitForText(viewer, 'Ada wrote this line.');
    await viewer.waitForSelector('.readonly-notice:visible');
    const before = await editorText(viewer);
    await viewer.click('.cm-content');
    await viewer.keyboard.type('HACKED');
    expect(await editorText(viewer)).toBe(before);
    // Nothing reached the others either: a later edit of Ada's arrives, the viewer's never did.
    await ada.click('.cm-content');
    await ada.keyboard.press('Control+End');
    await ada.keyboard.type(' (checked)', { delay: 15 });
    await waitForText(viewer, '(checked)');
    expect(await editorText(ada)).not.toContain('HACKED');
    expect(await viewer.isVisible('button[aria-label="New file"]')).toBe(false);
    await screenshot(viewer, '05-viewer-read-only');
    await viewer.close();
  });

  it('follow mode follows a person across files and ends on one’s own move', async () => {
    await bob.click('.person:has-text("Ada") .follow-btn');
    await bob.waitForSelector('.follow-banner:visible');
    await ada.click('button[aria-label="New file"]');
    await ada.fill('.tree-input', 'src/app.ts');
    await ada.press('.tree-input', 'Enter');
    await ada.waitForSelector('.file-path:text("src/app.ts")');
    await ada.click('.cm-content');
    await ada.keyboard.type('export const answer = 42;\n', { delay: 15 });
    // Bob's editor went to the file Ada is in, without Bob doing anything.
    await bob.waitForSelector('.file-path:text("src/app.ts")');
    await waitForText(bob, 'export const answer = 42;');
    await screenshot(bob, '06-bob-follows-ada');
    await bob.click('.cm-content');
    await bob.waitForSelector('.follow-banner', { state: 'hidden' });
    await ada.click('.tree-file[data-path="README.md"]');
    await ada.waitForSelector('.file-path:text("README.md")');
    expect(await bob.textContent('.file-path')).toBe('src/app.ts');
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
