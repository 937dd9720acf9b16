import { strToU8, zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, type CreateRoomResponse, type JoinResponse } from '../../schema/protocol.ts';
import { screenshot } from '../helpers/browser.ts';
import { api } from '../helpers/test-server.ts';
import { editorText } from './editor-text.ts';
import { joinInNewPage } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// Issue 12 in Chromium: a code review with three people, threads on a diff, verdicts.

const BASE = `export function add(a: number, b: number): number {
  return a - b;
}
`;
const HEAD = `export function add(a: number, b: number): number {
  // fixed the sign
  return a + b;
}
`;

let app: BrowserApp;
beforeAll(async () => {
  app = await startBrowserApp();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

const joinWithInvite = (link: string, name: string): Promise<Page> => joinInNewPage(app.browser, link, name);

async function upload(url: string, token: string, bytes: Uint8Array, method: 'POST' | 'PUT') {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

describe('a code review in the browser (CR-15..17)', () => {
  let ada: Page;
  let bob: Page;
  let cy: Page;

  it('three people open a room whose change against its base is listed with +/- counts', async () => {
    const url = app.server.url;
    const created = (await api<CreateRoomResponse>(url, 'POST', apiPaths.rooms, { body: { name: 'Review' } }))
      .body;
    const setup = (
      await api<JoinResponse>(url, 'POST', apiPaths.join(created.roomId), {
        body: { invite: created.invites.owner, name: 'Setup' },
      })
    ).body;
    await upload(
      `${url}${apiPaths.base(created.roomId)}?ref=main`,
      setup.token,
      zipSync({ 'src/math.ts': strToU8(BASE), 'src/old.ts': strToU8('legacy one\nlegacy two\n') }),
      'PUT',
    );
    await upload(
      `${url}${apiPaths.importArchive(created.roomId)}`,
      setup.token,
      zipSync({ 'src/math.ts': strToU8(HEAD), 'src/new.ts': strToU8('export const n = 1;\n') }),
      'POST',
    );
    const link = (role: 'owner' | 'editor' | 'viewer') =>
      `${url}/join/${created.roomId}#invite=${encodeURIComponent(created.invites[role])}`;
    ada = await joinWithInvite(link('owner'), 'Ada');
    bob = await joinWithInvite(link('editor'), 'Bob');
    cy = await joinWithInvite(link('viewer'), 'Cy');
    for (const page of [ada, bob, cy]) {
      await page.waitForSelector('.changed-file[data-file="src/old.ts"]', { timeout: 10_000 });
      const rows = await page
        .locator('.changed-file')
        .evaluateAll((els) =>
          els.map((el) => [
            (el as HTMLElement).dataset.file,
            el.querySelector('.added')?.textContent,
            el.querySelector('.removed')?.textContent,
          ]),
        );
      expect(rows).toEqual([
        ['src/math.ts', '+2', '−1'],
        ['src/new.ts', '+1', '−0'],
        ['src/old.ts', '+0', '−2'],
      ]);
    }
    expect(await ada.locator('.review-changes h3').textContent()).toBe('Changed files (3) against main');
    // WEB-78: under review, the Review section sits right under the files (above the outline and the
    // people), so the changed files and the verdict buttons are on screen when the room opens.
    for (const page of [ada, bob]) {
      expect(
        await page.evaluate(() => document.querySelector('.files-panel')?.nextElementSibling?.className),
      ).toBe('review-panel');
      const sidebar = (await page.locator('nav.sidebar').boundingBox())!;
      for (const what of ['.review-changes h3', '.verdict-buttons button[data-verdict="approve"]']) {
        const box = (await page.locator(what).boundingBox())!;
        expect(box.y).toBeGreaterThanOrEqual(sidebar.y);
        expect(box.y + box.height).toBeLessThanOrEqual(sidebar.y + sidebar.height);
      }
      // Drawn whole down to the threads' heading: not squeezed by the sections under it.
      const threads = (await page.locator('.review-threads h3').boundingBox())!;
      const panel = (await page.locator('.review-panel').boundingBox())!;
      expect(threads.y + threads.height).toBeLessThanOrEqual(panel.y + panel.height);
      const people = (await page.locator('.people-panel').boundingBox())!;
      expect(people.y).toBeGreaterThan((await page.locator('.review-panel').boundingBox())!.y);
    }
    await screenshot(ada, '39-review-opens-with-changes');
  }, 90_000);

  it('CR-15: Cy (a viewer) comments on a changed line; everyone sees the thread live, in the gutter on that line', async () => {
    for (const page of [ada, cy]) {
      await page.click('.changed-file[data-file="src/math.ts"] .file-name');
      await page.waitForSelector('.file-path:text("src/math.ts")');
    }
    // Cy puts the cursor on line 3 (return a + b) and comments on that line.
    await cy.locator('.cm-line').nth(2).click();
    await cy.fill('.new-thread-text', 'Is the sign right now?');
    await cy.click('form.new-thread button[type=submit]');
    for (const page of [ada, bob, cy]) {
      await page.waitForSelector('.thread .comment-text:text("Is the sign right now?")', { timeout: 10_000 });
      expect(await page.locator('.thread .thread-where').first().textContent()).toBe('src/math.ts:line 3');
      expect(await page.locator('.thread .thread-quote').first().textContent()).toBe('  return a + b;');
    }
    // Ada's gutter marker sits on line 3, level with it.
    const marker = ada.locator('.cm-thread-marker');
    await marker.waitFor();
    expect(await marker.textContent()).toBe('1');
    const markerBox = await marker.boundingBox();
    const lineBox = await ada.locator('.cm-line').nth(2).boundingBox();
    expect(
      Math.abs(
        (markerBox?.y ?? 0) + (markerBox?.height ?? 0) / 2 - ((lineBox?.y ?? 0) + (lineBox?.height ?? 0) / 2),
      ),
    ).toBeLessThan(6);
    expect(await ada.locator('.cm-thread-range').first().textContent()).toBe('  return a + b;');
    await screenshot(cy, '40-review-viewer-comment');
  });

  it('CR-16: Bob comments on a removed line in the inline diff; he replies to Cy; Ada resolves; filters hide it; he edits and deletes his own reply; Ada reopens', async () => {
    await bob.click('.changed-file[data-file="src/old.ts"] .diff-toggle');
    await bob.waitForSelector('.inline-diff[data-file="src/old.ts"] .diff-line.del');
    expect(
      await bob.locator('.inline-diff[data-file="src/old.ts"] .diff-line.del').allTextContents(),
    ).toEqual(['-legacy one+ comment', '-legacy two+ comment']);
    bob.once('dialog', (d) => void d.accept('Why was this removed?'));
    await bob
      .locator('.inline-diff[data-file="src/old.ts"] .diff-line.del')
      .nth(1)
      .locator('.comment-removed')
      .click();
    await ada.waitForSelector('.thread-where:text("src/old.ts:base line 2")', { timeout: 10_000 });
    expect(
      await ada
        .locator('.thread:has(.thread-where:text("src/old.ts:base line 2")) .thread-quote')
        .textContent(),
    ).toBe('legacy two');
    await screenshot(bob, '41-review-removed-line-thread');

    const cyThread = (page: Page) =>
      page.locator('.thread:has(.comment-text:text("Is the sign right now?"))');
    await cyThread(bob).locator('.reply-text').fill('Yes: add() added nothing before.');
    await cyThread(bob).locator('.thread-reply button[type=submit]').click();
    await cyThread(cy)
      .locator('.comment-text:text("Yes: add() added nothing before.")')
      .waitFor({ timeout: 10_000 });

    await cyThread(ada).locator('button.resolve').click();
    // Open is the default filter: the resolved thread leaves Cy's list; "All" shows it, marked resolved.
    await cy.waitForFunction(() => document.querySelectorAll('.thread').length === 1, null, {
      timeout: 10_000,
    });
    await cy.selectOption('select[data-filter="status"]', 'all');
    await cyThread(cy).locator('.resolved-badge').waitFor();
    expect(await cy.locator('.review-threads h3').textContent()).toBe('Threads (1 open)');
    // "Mine" for Bob: both threads he wrote in.
    await bob.selectOption('select[data-filter="status"]', 'all');
    await bob.selectOption('select[data-filter="who"]', 'mine');
    expect(await bob.locator('.thread').count()).toBe(2);
    // "This file": with src/math.ts open, only the thread on it (the one on src/old.ts's base goes).
    await bob.click('.changed-file[data-file="src/math.ts"] .file-name');
    await bob.waitForSelector('.file-path:text("src/math.ts")');
    await bob.selectOption('select[data-filter="file"]', 'current');
    await bob.waitForFunction(() => document.querySelectorAll('.thread').length === 1);
    expect(await bob.locator('.thread .thread-where').allTextContents()).toEqual(['src/math.ts:line 3']);
    await bob.selectOption('select[data-filter="file"]', 'any');
    expect(await bob.locator('.thread').count()).toBe(2);

    // Edit and delete are for one's own comments: Bob edits his reply (everyone reads the new text, marked
    // edited) and deletes it; Cy's comment offers him neither.
    const bobsReply = (page: Page, text: string) =>
      cyThread(page).locator(`.comment:has(.comment-text:text("${text}"))`);
    expect(
      await cyThread(bob).locator('.comment').first().locator('.edit-comment, .delete-comment').count(),
    ).toBe(0);
    bob.once('dialog', (d) => void d.accept('Yes: add() used to subtract.'));
    await bobsReply(bob, 'Yes: add() added nothing before.').locator('.edit-comment').click();
    await bobsReply(cy, 'Yes: add() used to subtract.').waitFor({ timeout: 10_000 });
    expect(await bobsReply(cy, 'Yes: add() used to subtract.').textContent()).toContain('(edited)');
    bob.once('dialog', (d) => void d.accept());
    await bobsReply(bob, 'Yes: add() used to subtract.').locator('.delete-comment').click();
    await bobsReply(cy, 'Yes: add() used to subtract.').waitFor({ state: 'detached', timeout: 10_000 });
    expect(await cyThread(cy).locator('.comment').count()).toBe(1);
    // Reopen: the resolved thread is open again for everyone.
    await ada.selectOption('select[data-filter="status"]', 'all');
    await cyThread(ada).locator('button.resolve:text("Reopen")').click();
    await cy.waitForFunction(
      () => document.querySelector('.review-threads h3')?.textContent === 'Threads (2 open)',
      null,
      { timeout: 10_000 },
    );
    expect(await cyThread(cy).locator('.resolved-badge').count()).toBe(0);
  });

  it('CR-17: verdicts: everyone sees who approved and who asked for changes', async () => {
    await ada.click('.verdict-buttons button[data-verdict="approve"]');
    await bob.click('.verdict-buttons button[data-verdict="request_changes"]');
    await cy.waitForFunction(() => document.querySelectorAll('.verdict-list .verdict').length === 2, null, {
      timeout: 10_000,
    });
    expect(await cy.locator('.verdict-list .verdict').allTextContents()).toEqual([
      'Ada: Approved',
      'Bob: Changes requested',
    ]);
    expect(
      await ada.locator('.verdict-buttons button[data-verdict="approve"]').getAttribute('aria-pressed'),
    ).toBe('true');
    await screenshot(ada, '42-review-owner');
    await screenshot(bob, '43-review-editor');
    await screenshot(cy, '44-review-viewer-verdicts');
  });

  it('CR-22: the change from the base shows inline in the editor; a removed line takes a thread there', async () => {
    // Ada has src/math.ts open; "Show changes" draws the base's removed line above the lines that replace it.
    await ada.click('.file-bar .changes-toggle');
    const removed = ada.locator('.cm-deletedChunk .cm-deletedLine');
    await removed.first().waitFor({ timeout: 10_000 });
    expect(await removed.allTextContents()).toEqual(['  return a - b;']);
    expect(await removed.first().getAttribute('data-base-line')).toBe('2');
    expect(await ada.locator('.file-bar .changes-toggle').textContent()).toBe('Hide changes');
    // The added lines are lines 2 and 3 of the current text, marked changed; line 1 and 4 are not.
    const lines = ada.locator('.cm-content > .cm-line');
    // Read as people read it: remote carets left out, and the removed line is a widget, not a line.
    expect((await editorText(ada))?.split('\n')).toEqual([
      'export function add(a: number, b: number): number {',
      '  // fixed the sign',
      '  return a + b;',
      '}',
      '',
    ]);
    const changed = await lines.evaluateAll((els) =>
      els.map((el) => el.classList.contains('cm-changedLine')),
    );
    expect(changed).toEqual([false, true, true, false, false]);
    // The removed line sits between line 1 and line 2, in the editor's column.
    const line1 = await lines.nth(0).boundingBox();
    const line2 = await lines.nth(1).boundingBox();
    const gone = await removed.first().boundingBox();
    expect(gone?.y ?? 0).toBeGreaterThanOrEqual((line1?.y ?? 0) + (line1?.height ?? 0) - 1);
    expect((gone?.y ?? 0) + (gone?.height ?? 0)).toBeLessThanOrEqual((line2?.y ?? 0) + 1);
    expect(Math.abs((gone?.x ?? 0) - (line2?.x ?? 0))).toBeLessThan(8);

    // Bob shows the change too and comments on the removed line from the editor.
    await bob.click('.changed-file[data-file="src/math.ts"] .file-name');
    await bob.waitForSelector('.file-path:text("src/math.ts")');
    await bob.click('.file-bar .changes-toggle');
    await bob.locator('.cm-deletedChunk .cm-deletedLine').first().waitFor();
    bob.once('dialog', (d) => void d.accept('The subtraction was the bug'));
    await bob.locator('.cm-deletedChunk .cm-deletedLine').first().click();
    for (const page of [ada, bob, cy]) {
      await page.waitForSelector('.thread:has(.comment-text:text("The subtraction was the bug"))', {
        timeout: 10_000,
      });
      expect(
        await page
          .locator('.thread:has(.comment-text:text("The subtraction was the bug")) .thread-where')
          .textContent(),
      ).toBe('src/math.ts:base line 2');
      expect(
        await page
          .locator('.thread:has(.comment-text:text("The subtraction was the bug")) .thread-quote')
          .textContent(),
      ).toBe('  return a - b;');
    }
    // In the diff the removed line carries the thread's badge.
    const badge = ada.locator('.cm-deletedLine[data-base-line="2"] .cm-removed-thread');
    await badge.waitFor({ timeout: 10_000 });
    expect(await badge.textContent()).toBe('1');
    await screenshot(ada, '49-review-inline-diff-editor');
    // Without the diff (Cy), the thread sits in the gutter on line 2, where the removed line was.
    const markerOn = async (page: Page, n: number) => {
      const box = await page.locator('.cm-content > .cm-line').nth(n).boundingBox();
      const marks = await page.locator('.cm-thread-marker').evaluateAll((els) =>
        els.map((el) => {
          const r = el.getBoundingClientRect();
          return r.y + r.height / 2;
        }),
      );
      return marks.some((y) => Math.abs(y - ((box?.y ?? 0) + (box?.height ?? 0) / 2)) < 6);
    };
    await cy.waitForFunction(() => document.querySelectorAll('.cm-thread-marker').length >= 2, null, {
      timeout: 10_000,
    });
    expect(await cy.locator('.cm-deletedChunk').count()).toBe(0);
    expect(await markerOn(cy, 1)).toBe(true);
    await screenshot(cy, '50-review-removed-line-thread-gutter');

    // Hiding the change removes the removed lines from Ada's editor.
    await ada.click('.file-bar .changes-toggle');
    await ada.locator('.cm-deletedChunk').waitFor({ state: 'detached' });
    expect(await ada.locator('.file-bar .changes-toggle').textContent()).toBe('Show changes');
    expect(await ada.locator('.cm-changedLine').count()).toBe(0);
  });
});
