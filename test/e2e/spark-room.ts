import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { editorText } from './editor-text.ts';
import type { SparkBrowserApp } from './web-server.ts';

/** The file both Spark e2e files start from: `add` (with its bug) and `mul`; mul's closing brace is line 7. */
export const SOURCE = `export function add(a: number, b: number): number {
  return a - b;
}

export function mul(a: number, b: number): number {
  return a * b;
}
`;

/**
 * Ada makes a room with src/math.ts (SOURCE) and Bob joins it through the editor link: both see the same
 * text, and Ada may prompt Spark.
 */
export async function twoPeopleWithAFile(app: SparkBrowserApp): Promise<{ ada: Page; bob: Page }> {
  const ada = (await app.browser.person()).page;
  await ada.goto(`${app.server.url}/`);
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

  const bob = (await app.browser.person()).page;
  await bob.goto(editorLink);
  await bob.fill('#display-name', 'Bob');
  await bob.click('button[type=submit]');
  await bob.waitForSelector('.pill-online');
  await bob.waitForFunction(() =>
    document.querySelector('.cm-content')?.textContent?.includes('return a * b;'),
  );
  expect(await editorText(bob)).toBe(await editorText(ada));
  expect(await ada.isEnabled('.prompt-input')).toBe(true);
  return { ada, bob };
}

/** A reply whose patch replaces mul's body with `lines` and its return: the reply and the proposal it makes. */
export function mulRewrite(reason: string, lines: string[]): { reply: string; proposal: string } {
  const reply = `${reason}
*** Begin Patch
*** Update File: src/math.ts
@@
 export function mul(a: number, b: number): number {
-  return a * b;
${lines.map((l) => `+${l}`).join('')}+  return a * b;
 }
*** End Patch
`;
  return { reply, proposal: `${lines.join('')}  return a * b;\n` };
}

/** Each page opens src/math.ts from the file tree. */
export async function openMathFile(...pages: Page[]): Promise<void> {
  for (const page of pages) {
    await page.click('.tree-file[data-path="src/math.ts"]');
    await page.waitForFunction(
      () => document.querySelector('.file-bar .file-path')?.textContent === 'src/math.ts',
    );
  }
}
