import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATCH_REPLY } from '../helpers/agent-room.ts';
import { chromiumAvailable, launchBrowser, screenshot, type TestBrowser } from '../helpers/browser.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { buildWebClient, startWebTestServer, type WebTestServer } from './web-server.ts';

// ISSUE-4 end to end with Spark: real Chromium, the real server on port 0, the real OpenAI SDK provider
// talking to the fake model server. Two people watch one stream; the other one stops it; the first
// accepts a hunk; blame names Spark.

const SOURCE = `export function add(a: number, b: number): number {
  return a - b;
}

export function mul(a: number, b: number): number {
  return a * b;
}
`;

/** A long replacement, streamed slowly, so there is time to watch it and stop it mid-way. */
const LONG_REPLY = `Rewriting add.
*** Begin Patch
*** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  // Adds two numbers. The old code subtracted them, which was a bug that every
+  // caller worked around by negating b first; callers no longer need to do that.
+  const sum = a + b;
+  return sum;
 }
*** End Patch
`;

let web: { dir: string; cleanup(): void };
let fake: FakeModelServer;
let server: WebTestServer;
let browser: TestBrowser & { consoleErrors: string[] };

beforeAll(async () => {
  if (!chromiumAvailable())
    throw new Error('Chromium is missing at /usr/bin/chromium: apt-get install chromium (.ci/run does)');
  web = await buildWebClient();
  fake = await startFakeModelServer();
  server = await startWebTestServer(web.dir, {
    SPARK_API: 'responses',
    SPARK_BASE_URL: fake.url,
    SPARK_API_KEY: 'test-key',
    SPARK_MODEL: 'gpt-5.3-codex-spark',
  });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fake?.close();
  web?.cleanup();
});

const proposal = (page: Page) => page.locator('.cm-spark-proposal').first();

function editorText(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const content = document.querySelector('.cm-content');
    if (!content) return null;
    const clone = content.cloneNode(true) as HTMLElement;
    for (const w of clone.querySelectorAll('.cm-remote-caret, .cm-widgetBuffer, .cm-spark-insert-point'))
      w.remove();
    return [...clone.querySelectorAll('.cm-line')].map((l) => l.textContent ?? '').join('\n');
  });
}

describe('Spark in the browser', () => {
  let ada: Page;
  let bob: Page;

  it('two people in a room with a file', async () => {
    ada = (await browser.person()).page;
    await ada.goto(`${server.url}/`);
    await ada.fill('#your-name', 'Ada');
    await ada.fill('#room-name', 'Spark review');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    const editorLink = await ada.inputValue('input[data-role=editor]');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    await ada.click('button[aria-label="New file"]');
    await ada.fill('.tree-input', 'src/math.ts');
    await ada.press('.tree-input', 'Enter');
    await ada.waitForSelector('.file-path:text("src/math.ts")');
    await ada.click('.cm-content');
    await ada.keyboard.insertText(SOURCE);

    bob = (await browser.person()).page;
    await bob.goto(editorLink);
    await bob.fill('#display-name', 'Bob');
    await bob.click('button[type=submit]');
    await bob.waitForSelector('.pill-online');
    await bob.waitForFunction(() =>
      document.querySelector('.cm-content')?.textContent?.includes('return a * b;'),
    );
    expect(await editorText(bob)).toBe(await editorText(ada));
    expect(await ada.isEnabled('.prompt-input')).toBe(true);
  });

  it('one asks, both watch the suggestion stream in; the other stops it and it stops for both', async () => {
    fake.enqueue({ text: LONG_REPLY, tokensPerSecond: 12 });
    await ada.fill('.prompt-input', 'Make add correct and explain why');
    await ada.click('button:text("Ask Spark")');
    // Both see the proposal, labelled with who asked, growing while it streams.
    for (const page of [ada, bob]) {
      await page.waitForFunction(
        () => document.querySelector('.cm-spark-text')?.textContent?.includes('Adds two'),
        null,
        {
          timeout: 15_000,
        },
      );
      expect(await proposal(page).locator('.cm-spark-who').textContent()).toContain('Spark, asked by Ada');
      expect(await proposal(page).locator('.cm-spark-badge').textContent()).toBe('streaming');
      expect(await page.locator('.cm-spark-deleted').textContent()).toBe('  return a - b;');
    }
    await screenshot(ada, '10-spark-streaming-ada');
    await screenshot(bob, '11-spark-streaming-bob');

    await bob.click('article.run .stop-btn');
    for (const page of [ada, bob]) {
      await page.waitForSelector('.cm-spark-badge:text("interrupted")');
      await page.waitForSelector('article.run[data-status="interrupted"]');
    }
    const stoppedAt = await ada.locator('.cm-spark-text').textContent();
    const request = await fake.waitForDisconnect(0);
    expect(request.tokensSent).toBeLessThan(request.tokensPlanned);
    // After the stop was acknowledged, nothing more reached either page.
    expect(await ada.locator('.cm-spark-text').textContent()).toBe(stoppedAt);
    expect(await bob.locator('.cm-spark-text').textContent()).toBe(stoppedAt);
    expect(stoppedAt).not.toContain('return sum;');
    expect(await ada.locator('article.run .run-note').first().textContent()).toBe('Stopped by Bob.');
    await screenshot(bob, '12-spark-stopped-by-bob');

    // The stopped hunk is rejected; the code never changed.
    await ada.click('.cm-spark-proposal .cm-spark-btn-reject');
    await bob.waitForSelector('.cm-spark-proposal', { state: 'detached' });
    expect(await editorText(bob)).toContain('return a - b;');
  });

  it('the first accepts a hunk from the keyboard and the code changes for both; blame shows Spark', async () => {
    fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 2000 });
    await ada.fill('.prompt-input', 'Fix the sign in add');
    await ada.click('button:text("Ask Spark")');
    await ada.waitForSelector('.cm-spark-badge:text("proposed")', { timeout: 15_000 });
    await bob.waitForSelector('.cm-spark-badge:text("proposed")');
    expect(await ada.locator('.cm-spark-text').textContent()).toBe('  return a + b;\n');

    await ada.click('.cm-spark-deleted'); // the cursor on the hunk
    await ada.keyboard.press('Alt+y');
    for (const page of [ada, bob]) {
      await page.waitForSelector('.cm-spark-proposal', { state: 'detached' });
      await page.waitForFunction(() =>
        document.querySelector('.cm-content')?.textContent?.includes('return a + b;'),
      );
    }
    expect(await editorText(ada)).not.toContain('return a - b;');
    expect(await editorText(bob)).toBe(await editorText(ada));

    await bob.click('button:text("Blame")');
    const marker = bob.locator('.cm-blame-marker').nth(1); // line 2: `return a + b;`
    await marker.waitFor();
    expect(await marker.textContent()).toBe('✦ Spark · Ada');
    expect(await marker.getAttribute('title')).toMatch(
      /Written by Spark \(run .+\), asked by Ada, accepted by Ada/,
    );
    expect(await bob.locator('.cm-blame-marker').first().textContent()).toBe('Ada');
    await screenshot(bob, '13-blame-shows-spark');
  });

  it('logged no errors in any page', () => {
    expect(browser.consoleErrors).toEqual([]);
  });
});
