import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// Issue 14 in the browser: invite links on the public address (OPS-5) and the owner's Test Spark button
// (OPS-12) against the fake model server through the real SDK.

const PUBLIC_URL = 'https://code.example.org';
let fake: FakeModelServer;
let app: BrowserApp;

beforeAll(async () => {
  fake = await startFakeModelServer({ apis: ['chat'], models: ['qwen2.5-coder:7b'] });
  app = await startBrowserApp({
    SPARK_API: 'chat',
    SPARK_BASE_URL: fake.url,
    SPARK_MODEL: 'qwen2.5-coder:7b',
    SPARKROOM_PUBLIC_URL: PUBLIC_URL,
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('running it for real, in the browser', () => {
  let ada: Page;
  let editorLink: string;

  it('OPS-5: the invite links on the start page use the public address', async () => {
    ada = (await app.browser.person()).page;
    await ada.goto(`${app.server.url}/`);
    await ada.fill('#your-name', 'Ada');
    await ada.fill('#room-name', 'Operations');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    editorLink = await ada.inputValue('input[data-role=editor]');
    expect(editorLink.startsWith(`${PUBLIC_URL}/`)).toBe(true);
    expect(await ada.inputValue('input[data-role=viewer]')).toMatch(/^https:\/\/code\.example\.org\//);
    await screenshot(ada, '60-ops-invite-links-public-url');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
  });

  it('OPS-12: the owner tests Spark and reads each step, the time to first token and the speed', async () => {
    // 50 tokens/s: spread over several reads even on a loaded machine, so there is a speed to show (OPS-10).
    fake.enqueue({ text: 'Spark is connected and streaming.', ttftMs: 40, tokensPerSecond: 50 });
    const button = ada.locator('.spark-check-button');
    expect(await button.isVisible()).toBe(true);
    await button.click();
    await ada.waitForSelector('.spark-check-headline');
    expect(await ada.locator('.spark-check-headline').textContent()).toBe('Spark is connected.');
    const steps = await ada
      .locator('.spark-check-step')
      .evaluateAll((els) =>
        els.map((el) => [(el as HTMLElement).dataset.step, (el as HTMLElement).dataset.status]),
      );
    expect(steps).toEqual([
      ['configured', 'ok'],
      ['reachable', 'ok'],
      ['key', 'ok'],
      ['api', 'ok'],
      ['model', 'ok'],
      ['streaming', 'ok'],
    ]);
    expect(await ada.locator('.spark-check-speed').textContent()).toMatch(
      /^First token after \d+ ms · \d+ tokens\/s$/,
    );
    // Placed between the panel's head and the prompt box, inside the Spark panel.
    const head = await ada.locator('.spark-title').boundingBox();
    const box = await ada.locator('.spark-check').boundingBox();
    const prompt = await ada.locator('.prompt-input').boundingBox();
    expect(head && box && prompt).toBeTruthy();
    expect(box!.y).toBeGreaterThan(head!.y);
    expect(box!.y + box!.height).toBeLessThanOrEqual(prompt!.y);
    await screenshot(ada, '61-ops-test-spark-ok');
    await ada.click('.spark-check button:text("Close")');
    await ada.waitForSelector('.spark-check', { state: 'hidden' });
  });

  it('OPS-12: a refused key is shown as the failed step with what to change', async () => {
    fake.setHandler(() => ({
      httpStatus: 401,
      body: { error: { message: 'bad key', code: 'invalid_api_key' } },
    }));
    await ada.click('.spark-check-button');
    await ada.waitForSelector('.spark-check-headline.failed');
    expect(await ada.locator('.spark-check-headline').textContent()).toBe(
      'Spark cannot work yet: API key failed.',
    );
    expect(await ada.locator('.spark-check-step[data-step="key"]').getAttribute('data-status')).toBe(
      'failed',
    );
    expect(await ada.locator('.spark-check-advice').textContent()).toBe(
      'To fix: This server needs an API key: set SPARK_API_KEY.',
    );
    await screenshot(ada, '62-ops-test-spark-refused-key');
    fake.setHandler(null);
  });

  it('OPS-12: an editor has no Test Spark button', async () => {
    const bob = (await app.browser.person()).page;
    // The link names the public address; this test reaches the server on its real one.
    await bob.goto(editorLink.replace(PUBLIC_URL, app.server.url));
    await bob.fill('#display-name', 'Bob');
    await bob.click('button[type=submit]');
    await bob.waitForSelector('.pill-online');
    await bob.waitForSelector('.prompt-input');
    expect(await bob.locator('.spark-check-button').isVisible()).toBe(false);
  });
});
