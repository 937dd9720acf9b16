import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { createRoomAs, joinAs, newFile } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// PERF-155: Spark's Markdown renderer is a chunk of its own, loaded when a reply is first drawn: the invite
// page and a room without replies do without it, and a reply still reads as Markdown (also in a page
// opened after it, where the reply is drawn before the renderer is in).

const ANSWER = '**`add` subtracts** instead of adding.\n\nUse `+`.\n';

let fake: FakeModelServer;
let app: BrowserApp;

beforeAll(async () => {
  fake = await startFakeModelServer();
  app = await startBrowserApp({
    SPARK_API: 'chat',
    SPARK_BASE_URL: fake.url,
    SPARK_API_KEY: 'test-key',
    SPARK_MODEL: 'fake-model',
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

/** Whether a script the page loaded holds markdown-it (its input check's message, kept by minification). */
const loadedMarkdownIt = (page: Page): Promise<boolean> =>
  page.evaluate(async () => {
    const scripts = performance
      .getEntriesByType('resource')
      .map((r) => r.name)
      .filter((name) => new URL(name).pathname.endsWith('.js'));
    const texts = await Promise.all(scripts.map((s) => fetch(s).then((r) => r.text())));
    return texts.some((t) => t.includes('Input data should be a String'));
  });

describe("Spark's Markdown renderer loaded when a reply is drawn (PERF-155)", () => {
  it('PERF-155: the invite page and a room without replies load no Markdown renderer; a reply, also in a page opened after it, reads as Markdown', async () => {
    const ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    const link = await createRoomAs(ada, app.server.url, 'Ada', 'markdown later');
    await newFile(
      ada,
      'src/math.ts',
      'export function add(a: number, b: number): number {\n  return a - b;\n}\n',
    );

    const bob = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await bob.goto(link);
    await bob.waitForSelector('#display-name');
    // the room page's code is in before the name is typed (PERF-113), the renderer not with it
    await bob.waitForFunction(() => performance.getEntriesByName('sparkroom:room-code-loaded').length > 0);
    expect(await loadedMarkdownIt(bob)).toBe(false);
    await joinAs(bob, link, 'Bob');
    expect(await loadedMarkdownIt(bob)).toBe(false);
    expect(await loadedMarkdownIt(ada)).toBe(false);

    fake.enqueue({ text: ANSWER, tokensPerSecond: 400 });
    await ada.click('.cm-content');
    await ada.keyboard.press('Control+a');
    await ada.fill('.prompt-input', 'Explain this selection');
    await ada.click('.ask-question-btn');
    await fake.waitForEnd(0);
    for (const page of [ada, bob]) {
      await page.waitForSelector('.run[data-status="completed"] .run-reply strong');
      expect(await page.textContent('.run .run-reply strong')).toBe('add subtracts');
      expect(await page.textContent('.run .run-reply')).toBe('add subtracts instead of adding.\nUse +.\n');
      expect(await loadedMarkdownIt(page)).toBe(true);
    }

    // A page opened with the reply already there draws it before the renderer is in, then as Markdown.
    await bob.reload();
    await bob.waitForSelector('.run[data-status="completed"] .run-reply strong');
    expect(await bob.textContent('.run .run-reply strong')).toBe('add subtracts');
    expect(await bob.textContent('.run .run-reply code')).toBe('add');
    expect(await bob.textContent('.run .run-reply')).not.toContain('**');
  });
});
