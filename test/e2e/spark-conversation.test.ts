import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// Issue 13 item 5: Spark as a conversation. A question that needs no edit, answered in Markdown (code
// highlighted, a model's HTML never parsed), seen by everyone; a follow-up that keeps the run's context.

const ANSWER = [
  '**`add` subtracts** instead of adding.',
  '',
  '```ts',
  'export function add(a: number, b: number): number {',
  '  return a - b; // the bug',
  '}',
  '```',
  '',
  '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> [link](javascript:alert(1))',
  '',
].join('\n');
const FOLLOW = 'Change `-` to `+` on line 2.\n';

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

describe('Spark as a conversation (NAV-20..NAV-23)', () => {
  let ada: Page;
  let bob: Page;

  it('NAV-21, NAV-22: "Just ask" about a selection: the answer streams in full as Markdown, highlighted, sanitised; no edit', async () => {
    ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await ada.goto(`${app.server.url}/`);
    await ada.fill('#your-name', 'Ada');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    const editorLink = await ada.inputValue('input[data-role=editor]');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    await ada.click('button[aria-label="New file"]');
    await ada.fill('.tree-input', 'src/math.ts');
    await ada.press('.tree-input', 'Enter');
    await ada.click('.cm-content');
    await ada.keyboard.insertText(
      'export function add(a: number, b: number): number {\n  return a - b;\n}\n',
    );
    await ada.keyboard.press('Control+a');

    bob = (await app.browser.person()).page;
    await bob.goto(editorLink);
    await bob.fill('#display-name', 'Bob');
    await bob.click('button[type=submit]');
    await bob.waitForSelector('.pill-online');

    fake.enqueue({ text: ANSWER, tokensPerSecond: 400 });
    await ada.fill('.prompt-input', 'Explain this selection');
    await ada.click('.ask-question-btn');
    const req = await fake.waitForRequest(0);
    // The question carries the selection and says no edits.
    const sent = JSON.stringify(req.body);
    expect(sent).toContain('Explain this selection');
    expect(sent).toContain('return a - b;');
    expect(sent).toContain('do not change any file');
    await fake.waitForEnd(0);
    for (const page of [ada, bob]) {
      await page.waitForSelector('.run[data-status="completed"] .run-reply pre code.highlighted');
      expect(await page.textContent('.run .run-reply strong')).toBe('add subtracts');
      expect(await page.$$eval('.run .run-reply pre code span', (s) => s.length)).toBeGreaterThan(5);
      // The model's HTML is text, not elements; the javascript: link is not a link.
      expect(await page.$$eval('.run .run-reply img, .run .run-reply script', (els) => els.length)).toBe(0);
      expect(await page.$$eval('.run .run-reply a', (els) => els.length)).toBe(0);
      expect(await page.textContent('.run .run-reply')).toContain('<img src=x');
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.textContent('.run .run-head')).toContain('question');
    }
    // A question proposes nothing.
    expect(await ada.$$eval('.cm-spark-proposal', (els) => els.length)).toBe(0);
    await screenshot(ada, 'nav-14-spark-answer');
  });

  it('NAV-20: a follow-up keeps the run context: the model receives the earlier turn; everyone sees it', async () => {
    fake.enqueue({ text: FOLLOW, tokensPerSecond: 400 });
    await bob.fill('.run .follow-up-input', 'How do I fix it?');
    await bob.press('.run .follow-up-input', 'Enter');
    const req = await fake.waitForRequest(1);
    const messages = (req.body.messages ?? []) as { role: string; content: string }[];
    const text = messages.map((m) => `${m.role}: ${m.content}`).join('\n---\n');
    // The earlier question and Spark's earlier answer come before the new question.
    const earlierQ = text.indexOf('Explain this selection');
    const earlierA = text.indexOf('**`add` subtracts**');
    const now = text.indexOf('How do I fix it?');
    expect(earlierQ).toBeGreaterThan(-1);
    expect(earlierA).toBeGreaterThan(earlierQ);
    expect(now).toBeGreaterThan(earlierA);
    expect(messages.filter((m) => m.role === 'assistant')).toHaveLength(1);
    await fake.waitForEnd(1);
    for (const page of [ada, bob]) {
      await page.waitForSelector('.run[data-parent-run-id^="run_"][data-status="completed"] .run-reply');
      expect(await page.textContent('.run[data-parent-run-id^="run_"] .run-reply')).toContain(
        'Change - to + on line 2.',
      );
      expect(await page.textContent('.run[data-parent-run-id^="run_"] .run-head')).toContain('follow-up');
    }
    await screenshot(bob, 'nav-15-spark-follow-up');
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
