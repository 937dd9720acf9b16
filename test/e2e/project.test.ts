import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { listFiles, makeProjectRepo, type ProjectTree, writeTree, zipDir } from '../helpers/project-tree.ts';
import { editorText } from './editor-text.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// Code in and out in a real browser (WEB-25..WEB-28): a room started from an archive, a folder uploaded
// with the folder picker, an archive dropped on the file tree, both people seeing the files, a zip download.

let app: BrowserApp;
let repo: ProjectTree;
let scratch: string;
let extra: string;
let ada: Page;
let bob: Page;
let editorLink: string;

const EXTRA: Record<string, string> = {
  'tools/build.sh': '#!/bin/sh\necho build\n',
  'tools/lib/ünï.ts': 'export const ünï = "✓";\n',
  '.gitignore': 'out/\n',
};

beforeAll(async () => {
  app = await startBrowserApp();
  repo = makeProjectRepo();
  scratch = mkdtempSync(join(tmpdir(), 'sparkroom-e2e-io-'));
  extra = join(scratch, 'extra');
  writeTree(extra, { ...EXTRA, 'out/ignored.js': 'ignored\n', 'node_modules/x/index.js': 'skipped\n' });
}, 120_000);

afterAll(async () => {
  await app?.close();
  repo?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const treeHas = (page: Page, path: string) =>
  page.waitForSelector(`.tree-file[data-path="${path}"]`, { timeout: 15_000 });

describe('code in and out in the browser', () => {
  it('WEB-28: a room starts from an archive on the start page', async () => {
    ada = (await app.browser.person()).page;
    await ada.goto(`${app.server.url}/`);
    await ada.fill('#your-name', 'Ada');
    await ada.fill('#room-name', 'Imported service');
    zipDir(repo.dir, join(scratch, 'repo.zip'));
    await ada.setInputFiles('#start-archive', join(scratch, 'repo.zip'));
    await screenshot(ada, '20-start-from-archive');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    expect(await ada.textContent('.created-card .io-result')).toMatch(
      new RegExp(`^${repo.importable.size} files imported from repo\\.zip, \\d+ stayed out`),
    );
    editorLink = await ada.inputValue('input[data-role=editor]');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    await treeHas(ada, 'src/main.ts');
    await treeHas(ada, 'docs/ünïcødé 名前.md');
    expect(await ada.$('.tree-file[data-path="dist/bundle.js"]')).toBeNull();
  });

  it('WEB-25/WEB-26: uploading a folder shows progress, then what came in and what stayed out', async () => {
    await ada.evaluate(() => {
      const w = window as unknown as { sawProgress: boolean };
      w.sawProgress = false;
      new MutationObserver(() => {
        if (document.querySelector('.io-progress')) w.sawProgress = true;
      }).observe(document.body, { subtree: true, childList: true });
    });
    await ada.setInputFiles('.io-folder-input', extra);
    // Two new files; the folder's .gitignore meets the repository's: left alone, with a way to replace it.
    await ada.waitForSelector('.io-result:has-text("Imported 2 files · 1 already existed")');
    expect(await ada.textContent('.io-conflicts li')).toBe('.gitignore');
    expect(await ada.isVisible('.io-overwrite')).toBe(true);
    expect(await ada.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress)).toBe(true);
    await treeHas(ada, 'tools/lib/ünï.ts');
    expect(await ada.$('.tree-file[data-path="out/ignored.js"]')).toBeNull();
    expect(await ada.$('.tree-file[data-path="node_modules/x/index.js"]')).toBeNull();
    await screenshot(ada, '21-folder-uploaded');
  });

  it('WEB-25: an archive dropped on the file tree imports; existing files can be replaced', async () => {
    const zip = readFileSync(join(scratch, 'repo.zip')).toString('base64');
    await ada.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'again.zip', { type: 'application/zip' }));
      const zone = document.querySelector('.files-panel')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, zip);
    // The same files again: all unchanged, nothing conflicts.
    await ada.waitForSelector(`.io-result:has-text("${repo.importable.size} unchanged")`);
  });

  it('WEB-25: a second person sees the uploaded files and their text', async () => {
    bob = (await app.browser.person()).page;
    await bob.goto(editorLink);
    await bob.fill('#display-name', 'Bob');
    await bob.click('button[type=submit]');
    await bob.waitForSelector('.pill-online');
    await treeHas(bob, 'tools/build.sh');
    // In sync (the first file live and editable, no longer the read-only copy shown while loading): the
    // tree's redraw as the sync ends could replace the row between the click's press and release.
    await bob.waitForSelector('.cm-editor:not(.cm-loading) .cm-content[contenteditable="true"]');
    await bob.click('.tree-file[data-path="tools/build.sh"]');
    await bob.waitForSelector('.file-path:text("tools/build.sh")');
    await bob.waitForFunction(() =>
      document.querySelector('.cm-content')?.textContent?.includes('echo build'),
    );
    expect(await editorText(bob)).toBe('#!/bin/sh\necho build\n');
    await bob.click('.tree-file[data-path="src/windows.txt"]');
    await bob.waitForSelector('.file-path:text("src/windows.txt")');
    await screenshot(bob, '22-bob-sees-uploaded-files');
  });

  it('WEB-27: Download gives a zip of exactly the room’s files, byte for byte', async () => {
    const [download] = await Promise.all([bob.waitForEvent('download'), bob.click('.io-download')]);
    expect(download.suggestedFilename()).toBe('Imported-service.zip');
    const file = join(scratch, 'download.zip');
    await download.saveAs(file);
    const out = join(scratch, 'unzipped');
    execFileSync('unzip', ['-q', file, '-d', out]);
    const expected = new Map<string, Buffer>(repo.importable);
    // The folder's files came in; its .gitignore met the repository's and was left alone.
    for (const [path, text] of Object.entries(EXTRA))
      if (!expected.has(path)) expected.set(path, Buffer.from(text));
    expect(listFiles(out)).toEqual([...expected.keys()].sort());
    for (const [path, bytes] of expected)
      expect(readFileSync(join(out, path)).equals(bytes), path).toBe(true);
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
