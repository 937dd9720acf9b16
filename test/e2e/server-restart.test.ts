import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { type RunningServer, startServer } from '../../server/start-server.ts';
import { launchBrowser, screenshot, type TestBrowser } from '../helpers/browser.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { MANY_CLIENTS_FROM_ONE_ADDRESS, TEST_SECRET } from '../helpers/test-server.ts';
import { createRoomAs, newFile } from './room-flow.ts';
import { buildWebClient } from './web-server.ts';

// SCENARIOS 7: the server is stopped (Ctrl-C) while Spark streams and started again on the same port and
// data. The page says it reconnects, then that it is live again, and the run's card says why it stopped.

let web: { dir: string; cleanup(): void };
let fake: FakeModelServer;
let browser: TestBrowser & { consoleErrors: string[] };
let dataDir: string;
let server: RunningServer | undefined;

async function start(port: number): Promise<RunningServer> {
  const config = loadConfig({
    PORT: String(port),
    SPARKROOM_DATA: dataDir,
    SPARKROOM_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    SPARK_API: 'responses',
    SPARK_BASE_URL: fake.url,
    SPARK_API_KEY: 'test-key',
    SPARK_MODEL: 'gpt-5.3-codex-spark',
    ...MANY_CLIENTS_FROM_ONE_ADDRESS,
  });
  return startServer(config, { log: silentLogger, webRoot: web.dir });
}

beforeAll(async () => {
  web = await buildWebClient();
  fake = await startFakeModelServer();
  browser = await launchBrowser();
  dataDir = mkdtempSync(join(tmpdir(), 'sparkroom-e2e-restart-'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fake?.close();
  web?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the server restarts while Spark streams (WEB-126)', () => {
  it('WEB-126: the run stopped by the shutdown says the server shut down, not "stopped by someone"', async () => {
    server = await start(0);
    const url = server.url;
    const port = Number(new URL(url).port);
    const ada = (await browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await createRoomAs(ada, url, 'Ada', 'Restart');
    await newFile(ada, 'notes.md', '# Notes\n');

    // A slow reply: still streaming when the server goes down.
    fake.enqueue({ text: 'Let me think about the notes first. '.repeat(40), tokensPerSecond: 20 });
    await ada.fill('.prompt-input', 'Tidy the notes');
    await ada.click('button:has-text("Ask Spark")');
    await ada.waitForSelector('article.run[data-status="streaming"] .run-reply:has-text("Let me think")');

    await server.close();
    server = undefined;
    await ada.waitForSelector('.banner-warn:has-text("The server cannot be reached. Reconnecting…")');
    expect(await ada.textContent('.pill')).toBe('Reconnecting…');

    server = await start(port);
    await ada.waitForSelector('.pill-online');
    expect(await ada.isVisible('.banner-warn')).toBe(false);
    const card = ada.locator('article.run[data-status="interrupted"]');
    await card.waitFor();
    const note = (await card.locator('.run-stopped').textContent()) ?? '';
    expect(note).toMatch(/^Stopped after \d[\d.]* (ms|s): the server shut down\.$/);
    // Placed in the card, under its metrics, inside the Spark panel.
    const metrics = await card.locator('.run-metrics').boundingBox();
    const stopped = await card.locator('.run-stopped').boundingBox();
    const panel = await ada.locator('.spark-panel').boundingBox();
    expect(stopped!.y).toBeGreaterThanOrEqual(metrics!.y + metrics!.height);
    expect(stopped!.x).toBeGreaterThanOrEqual(panel!.x);
    expect(stopped!.x + stopped!.width).toBeLessThanOrEqual(panel!.x + panel!.width);
    await screenshot(ada, 'web-126-run-stopped-by-shutdown');
  });

  it('logged no errors but the refused connections while the server was down', () => {
    const others = browser.consoleErrors.filter((e) => !e.includes('net::ERR_CONNECTION_REFUSED'));
    expect(others).toEqual([]);
  });
});
