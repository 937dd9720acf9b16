import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium; playwright-core never downloads a browser of its own (.ci/run installs it). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Headless, no sandbox (root in CI), no GPU, and none of Chromium's own network traffic; the bench's pages too. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/e2e', import.meta.url));

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export interface TestBrowser {
  browser: Browser;
  /** a page in its own context: its own localStorage and cookies, i.e. another person */
  person(opts?: {
    viewport?: { width: number; height: number };
  }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/**
 * Headless Chromium for end-to-end tests. Playwright gives every launch a fresh temporary profile
 * (user-data-dir) and removes it on close, so runs never share state. Console errors of every page are
 * collected so a test can assert the app logged none.
 */
export async function launchBrowser(): Promise<TestBrowser & { consoleErrors: string[] }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const consoleErrors: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    browser,
    consoleErrors,
    async person(opts = {}) {
      const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1360, height: 820 } });
      contexts.push(context);
      const page = await context.newPage();
      // Fail a step inside the test's own timeout (30 s), so the report names the step that hung. 10 s was too
      // short on a loaded machine: a file made from the tree took longer to show while a bench ran beside it.
      page.setDefaultTimeout(20_000);
      page.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push(`${page.url()}: ${msg.text()}`);
      });
      page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: ${err.message}`));
      return { context, page };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** Saves a full-page screenshot under test-artifacts/e2e/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
