import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { editorText } from './editor-text.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// Issue 10 in Chromium: review you can trust. Real server on port 0, real SDK provider against the fake
// model server, one browser context per person.

const SOURCE = `export function add(a: number, b: number): number {
  return a - b;
}

export function mul(a: number, b: number): number {
  return a * b;
}
`;
const NOTE = '// Ada: keep mul as it is\n';

/** A doc comment over add(), typed slowly so Steer now lands inside it. */
const COMMENTED = `I'll document add.
*** Begin Patch
*** Update File: src/math.ts
@@
-export function add(a: number, b: number): number {
-  return a - b;
-}
+/**
${Array.from({ length: 60 }, (_, i) => `+ * Adds a and b, note ${i + 1} of 60 on why the old code subtracted.\n`).join('')}+ */
+export function add(a: number, b: number): number {
+  return a + b;
+}
*** End Patch
`;
const REDIRECTED = `Just the fix.
*** Begin Patch
*** Update File: src/math.ts
@@
-export function add(a: number, b: number): number {
-  return a - b;
-}
+export function add(a: number, b: number): number {
+  return a + b;
+}
*** End Patch
`;

let app: SparkBrowserApp;

beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);

afterAll(() => app?.close());

describe('review in the browser', () => {
  let ada: Page;
  let bob: Page;
  let cy: Page;
  let editorLink: string;
  let viewerLink: string;

  it('Ada has a room with src/math.ts and a line of her own', async () => {
    ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await ada.goto(`${app.server.url}/`);
    await ada.fill('#your-name', 'Ada');
    await ada.fill('#room-name', 'Review');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    editorLink = await ada.inputValue('input[data-role=editor]');
    viewerLink = await ada.inputValue('input[data-role=viewer]');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    await ada.click('button[aria-label="New file"]');
    await ada.fill('.tree-input', 'src/math.ts');
    await ada.press('.tree-input', 'Enter');
    await ada.waitForSelector('.file-path:text("src/math.ts")');
    await ada.click('.cm-content');
    await ada.keyboard.insertText(SOURCE);
    // An unrelated line of her own, typed before Spark is asked (a separate undo step).
    await ada.keyboard.press('Control+End');
    await ada.keyboard.insertText(NOTE);
    expect(await editorText(ada)).toBe(`${SOURCE}${NOTE}`);
  });

  it('REVIEW-1: Steer now, then Accept all: the code is the redirected proposal, and Ctrl+Z never undoes her unrelated line', async () => {
    app.fake.enqueue({ text: COMMENTED, tokensPerSecond: 12 }, { text: REDIRECTED, tokensPerSecond: 2000 });
    const first = app.fake.requests.length;
    await ada.fill('.prompt-input', 'Document add');
    await ada.click('button:text("Ask Spark")');
    await ada.waitForFunction(
      () => document.querySelector('.cm-spark-text')?.textContent?.includes(' * Adds a and b'),
      null,
      { timeout: 15_000 },
    );
    await ada.fill('article.run[data-status="streaming"] .steer-input', 'No comment, just fix the sign');
    await ada.click('article.run[data-status="streaming"] button:text("Steer now")');
    await app.fake.waitForRequest(first + 1);
    await ada.waitForSelector('article.run[data-status="completed"]', { timeout: 15_000 });
    // The fragment is superseded: one proposal is shown, and the run offers to accept one hunk.
    await ada.waitForFunction(() => document.querySelectorAll('.cm-editor .cm-spark-proposal').length === 1);
    expect(await ada.locator('.cm-spark-text').textContent()).toBe(
      'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
    );
    const acceptAll = ada.locator('article.run button.accept');
    expect(await acceptAll.textContent()).toBe('Accept all (1)');
    await screenshot(ada, '20-steered-one-proposal');

    await acceptAll.click();
    await ada.waitForSelector('.cm-editor .cm-spark-proposal', { state: 'detached' });
    await ada.waitForFunction(() => document.querySelector('.cm-content')?.textContent?.includes('a + b'));
    const fixed = `${SOURCE.replace('a - b', 'a + b')}${NOTE}`;
    expect(await editorText(ada)).toBe(fixed);

    // Ctrl+Z right after her accept undoes that accept (a revert), never her unrelated line (REVIEW-3).
    await ada.click('.cm-content');
    await ada.keyboard.press('Control+z');
    await ada.waitForSelector('.toast:text("Reverted")');
    await ada.waitForFunction(() => document.querySelector('.cm-content')?.textContent?.includes('a - b'));
    expect(await editorText(ada)).toBe(`${SOURCE}${NOTE}`);
    await screenshot(ada, '21-accept-all-after-steer');
  });

  it('REVIEW-2: accepting a stopped (partial) hunk asks for a confirmation that names it partial', async () => {
    // Her Ctrl+Z reverted the fix: add() subtracts again, as COMMENTED expects.
    app.fake.enqueue({ text: COMMENTED, tokensPerSecond: 12 });
    await ada.fill('.prompt-input', 'Document add again');
    await ada.click('button:text("Ask Spark")');
    await ada.waitForFunction(
      () => document.querySelector('.cm-spark-text')?.textContent?.includes(' * Adds a and b'),
      null,
      { timeout: 15_000 },
    );
    await ada.click('article.run[data-status="streaming"] .stop-btn');
    await ada.waitForSelector('.cm-spark-badge:text("interrupted")');
    // Partial hunks are not counted by Accept all.
    expect(await ada.locator('article.run').first().locator('button.accept').count()).toBe(0);
    const before = await editorText(ada);
    const dialog = new Promise<string>((resolve) => {
      ada.once('dialog', (d) => {
        resolve(d.message());
        void d.dismiss();
      });
    });
    await ada.click('.cm-spark-proposal .cm-spark-btn-accept');
    expect(await dialog).toMatch(/partial/i);
    expect(await editorText(ada)).toBe(before);
    await ada.click('.cm-spark-proposal .cm-spark-btn-reject');
    await ada.waitForSelector('.cm-editor .cm-spark-proposal', { state: 'detached' });
  });

  it('WEB-11: a policy change reaches another open page at once: its accept buttons go, with no reload or refocus', async () => {
    bob = (await app.browser.person()).page;
    await bob.goto(editorLink);
    await bob.fill('#display-name', 'Bob');
    await bob.click('button[type=submit]');
    await bob.waitForSelector('.pill-online');
    const tweak = [
      'Tweak.',
      '*** Begin Patch',
      '*** Update File: src/math.ts',
      '@@',
      ' export function add(a: number, b: number): number {',
      '-  return a - b;',
      '+  return b - a;',
      ' }',
      '*** End Patch',
      '',
    ].join('\n');
    app.fake.enqueue({ text: tweak, tokensPerSecond: 2000 });
    await ada.fill('.prompt-input', 'Tweak add');
    await ada.click('button:text("Ask Spark")');
    for (const page of [ada, bob]) {
      await page.waitForSelector('.cm-spark-badge:text("proposed")', { timeout: 15_000 });
    }
    expect(await bob.locator('.cm-spark-proposal .cm-spark-btn-accept').count()).toBe(1);
    // The Spark panel redraws at most every 100 ms while a run streams (PERF-111), so its card may come a
    // moment after the editor's badge: wait for its Accept all, then count it.
    await bob.locator('article.run').first().locator('button.accept').first().waitFor();
    expect(await bob.locator('article.run').first().locator('button.accept').count()).toBe(1);

    await ada.click('button:text("Share")');
    await ada.waitForSelector('form.policy');
    await ada.uncheck('form.policy input[data-kind="accept"][data-role="editor"]');
    await ada.click('form.policy button[type=submit]');
    await ada.waitForSelector('.toast:text("Policy saved")');
    await ada.keyboard.press('Escape');
    // Bob's page is never touched: the review doc brings the policy.
    await bob.waitForSelector('.cm-spark-proposal .cm-spark-btn-accept', { state: 'detached' });
    await bob.waitForSelector('article.run button.accept', { state: 'detached' });
    expect(await bob.locator('.cm-spark-proposal').count()).toBe(1);
    await screenshot(bob, '22-policy-live-bob');
    await ada.click('.cm-spark-proposal .cm-spark-btn-reject');
    await bob.waitForSelector('.cm-editor .cm-spark-proposal', { state: 'detached' });
  });

  it('REVIEW-4, WEB-94: Cy, a viewer, is offered Stop (not Steer) and stops a run; Ada narrows who may stop and his Stop goes at once', async () => {
    cy = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await cy.goto(viewerLink);
    await cy.fill('#display-name', 'Cy');
    await cy.click('button[type=submit]');
    await cy.waitForSelector('.pill-online');
    // WEB-94: the keys hint offers only what each may do, between the prompt box and the runs.
    await cy.waitForFunction(
      () => document.querySelector('.keys-hint')?.textContent === 'Review: Alt+] next · Alt+. stop Spark',
    );
    expect(await ada.locator('.keys-hint').textContent()).toBe(
      'Review: Alt+Y accept · Alt+N reject · Alt+] next · Alt+. stop Spark',
    );
    const hint = (await cy.locator('.keys-hint').boundingBox())!;
    const form = (await cy.locator('.prompt-input').boundingBox())!;
    const firstRun = (await cy.locator('article.run').first().boundingBox())!;
    expect(hint.y).toBeGreaterThanOrEqual(form.y + form.height);
    expect(hint.y + hint.height).toBeLessThanOrEqual(firstRun.y);
    app.fake.enqueue({ text: COMMENTED, tokensPerSecond: 12 });
    await ada.fill('.prompt-input', 'Document add for the class');
    await ada.click('button:text("Ask Spark")');
    const cyRun = cy.locator('article.run').first();
    const stop = cyRun.locator('.stop-btn');
    await stop.waitFor({ timeout: 15_000 });
    // Stopped once the doc comment streams, so the run leaves a partial hunk to reject.
    await cy.waitForFunction(
      () => document.querySelector('.cm-spark-text')?.textContent?.includes(' * Adds a and b'),
      null,
      { timeout: 15_000 },
    );
    expect(await cyRun.getAttribute('data-status')).toBe('streaming');
    expect(await stop.textContent()).toBe('Stop');
    // Redirecting stays with those who may prompt: no steer form for a viewer.
    expect(await cyRun.locator('.steer-input').count()).toBe(0);
    // The button is on screen, inside its run card.
    const card = (await cyRun.boundingBox())!;
    const button = (await stop.boundingBox())!;
    expect(button.width).toBeGreaterThan(0);
    expect(button.x).toBeGreaterThanOrEqual(card.x);
    expect(button.x + button.width).toBeLessThanOrEqual(card.x + card.width + 0.5);
    expect(button.y).toBeGreaterThanOrEqual(card.y);
    expect(button.y + button.height).toBeLessThanOrEqual(Math.min(card.y + card.height, 900) + 0.5);
    await screenshot(cy, '23-viewer-offered-stop');

    await stop.click();
    for (const page of [ada, cy]) {
      await page.waitForSelector('article.run[data-status="interrupted"] >> nth=0');
      await page.waitForFunction(() =>
        document.querySelector('article.run .run-note')?.textContent?.startsWith('Stopped by Cy after '),
      );
    }
    expect(await ada.locator('article.run').first().getAttribute('data-status')).toBe('interrupted');
    await ada.waitForSelector('.cm-spark-badge:text("interrupted")');
    await screenshot(ada, '24-stopped-by-cy');
    await ada.click('.cm-spark-proposal .cm-spark-btn-reject');
    await ada.waitForSelector('.cm-editor .cm-spark-proposal', { state: 'detached' });

    // A lecture: Ada lets only editors stop. Cy's page is never touched; his next run card has no Stop.
    await ada.click('button:text("Share")');
    await ada.waitForSelector('form.policy');
    await ada.uncheck('form.policy input[data-kind="stop"][data-role="viewer"]');
    await ada.click('form.policy button[type=submit]');
    await ada.waitForSelector('.toast:text("Policy saved")');
    await ada.keyboard.press('Escape');
    await cy.waitForFunction(
      () => document.querySelector('.keys-hint')?.textContent === 'Review: Alt+] next',
    );
    app.fake.enqueue({ text: COMMENTED, tokensPerSecond: 12 });
    await ada.fill('.prompt-input', 'Document add once more');
    await ada.click('button:text("Ask Spark")');
    await cy.waitForFunction(
      () => document.querySelector('.cm-spark-text')?.textContent?.includes(' * Adds a and b'),
      null,
      { timeout: 15_000 },
    );
    expect(await cy.locator('article.run').first().getAttribute('data-status')).toBe('streaming');
    await ada.waitForSelector('article.run[data-status="streaming"] .stop-btn');
    expect(await cy.locator('article.run[data-status="streaming"] .stop-btn').count()).toBe(0);
    await screenshot(cy, '25-viewer-no-stop-in-lecture');
    await ada.click('article.run[data-status="streaming"] .stop-btn');
    await ada.waitForSelector('.cm-spark-badge:text("interrupted")');
    await ada.click('.cm-spark-proposal .cm-spark-btn-reject');
    await cy.waitForSelector('.cm-editor .cm-spark-proposal', { state: 'detached' });
  }, 90_000);

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
