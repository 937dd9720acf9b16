import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoomAs, newFile } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// PERF-163: the editor's language grammars are chunks of their own, each asked for the first time a file of
// its language is opened: the invite page (which evaluates the room page's code while the name is typed,
// PERF-113) carries none, the first file is drawn as plain text and highlighted when its grammar is in.

/** Words only a grammar's chunk holds (its node names, kept by minification). */
const TYPESCRIPT = 'TypeAnnotation';
const PYTHON = 'FormatString';
/** defaultHighlightStyle's keyword colour (#708), the light theme's */
const KEYWORD = 'rgb(119, 0, 136)';

let app: BrowserApp;

beforeAll(async () => {
  app = await startBrowserApp();
}, 120_000);

afterAll(async () => {
  await app?.close();
});

/** Whether a script the page loaded holds `word`. */
const loaded = (page: Page, word: string): Promise<boolean> =>
  page.evaluate(async (word) => {
    const scripts = performance
      .getEntriesByType('resource')
      .map((r) => r.name)
      .filter((name) => new URL(name).pathname.endsWith('.js'));
    const texts = await Promise.all(scripts.map((s) => fetch(s).then((r) => r.text())));
    return texts.some((t) => t.includes(word));
  }, word);

/** The colour the editor draws `word` in, if a token of the shown file is exactly that word. */
const colourOf = (page: Page, word: string): Promise<string | null> =>
  page.evaluate((word) => {
    const token = [...document.querySelectorAll('.cm-content .cm-line *')].find(
      (el) => el.textContent === word,
    );
    return token ? getComputedStyle(token).color : null;
  }, word);

/** Waits until `word` is a token of the shown file drawn in the keyword colour. */
const untilKeyword = (page: Page, word: string) =>
  page.waitForFunction(
    ({ word, colour }) => {
      const token = [...document.querySelectorAll('.cm-content .cm-line *')].find(
        (el) => el.textContent === word,
      );
      return token !== undefined && getComputedStyle(token).color === colour;
    },
    { word, colour: KEYWORD },
  );

describe('the grammars loaded when a file of their language is opened (PERF-163)', () => {
  it('PERF-163: the invite page loads no grammar; the first file is shown as plain text, then highlighted when its grammar is in, another language only when its file is opened', async () => {
    const ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    const link = await createRoomAs(ada, app.server.url, 'Ada', 'grammars later');
    await newFile(
      ada,
      'src/math.ts',
      'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
    );
    await newFile(ada, 'tools/run.py', 'def main():\n    return 1\n');

    const bob = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    // The TypeScript grammar's script is held until the test has seen the file drawn without it.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await bob.route(/\/assets\/.*\.js$/, async (route) => {
      const response = await route.fetch();
      const body = await response.text();
      if (body.includes(TYPESCRIPT)) await released;
      await route.fulfill({ response, body });
    });
    await bob.goto(link);
    await bob.waitForSelector('#display-name');
    await bob.waitForFunction(() => performance.getEntriesByName('sparkroom:room-code-loaded').length > 0);
    expect(await loaded(bob, TYPESCRIPT)).toBe(false);
    expect(await loaded(bob, PYTHON)).toBe(false);

    await bob.fill('#display-name', 'Bob');
    await bob.click('button[type=submit]');
    await bob.waitForSelector('.pill-online');
    // the room's first file by sorted path, its text drawn, its words not yet tokens
    await bob.waitForFunction(() =>
      document.querySelector('.cm-content')?.textContent?.includes('return a + b;'),
    );
    expect(await bob.textContent('.file-path')).toContain('src/math.ts');
    expect(await colourOf(bob, 'export')).toBeNull();

    release();
    await untilKeyword(bob, 'export');
    expect(await bob.textContent('.cm-content')).toContain(
      'export function add(a: number, b: number): number {',
    );
    expect(await loaded(bob, PYTHON)).toBe(false);

    await bob.click('.tree-file[data-path="tools/run.py"]');
    await untilKeyword(bob, 'def');
    expect(await loaded(bob, PYTHON)).toBe(true);
    expect(await bob.textContent('.cm-content')).toContain('def main():');
    // Two people and every script of Bob's page passed through the test's route: 29 s at load 22 (it failed
    // the 30 s default twice there), as long as the other two-person tests, which have 90 s.
  }, 90_000);
});
