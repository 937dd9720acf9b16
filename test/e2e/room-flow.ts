import type { Page } from 'playwright-core';

// The steps a person takes in the web client that many browser tests start from.

/** Creates a room from the start page as `person`, opens it, and returns the editor invite link. */
export async function createRoomAs(
  page: Page,
  baseUrl: string,
  person: string,
  roomName: string,
): Promise<string> {
  return (await createRoomWithInvites(page, baseUrl, person, roomName)).editor;
}

/** Like createRoomAs, and returns the editor and the viewer invite links. */
export async function createRoomWithInvites(
  page: Page,
  baseUrl: string,
  person: string,
  roomName: string,
): Promise<{ editor: string; viewer: string }> {
  await page.goto(`${baseUrl}/`);
  await page.fill('#your-name', person);
  await page.fill('#room-name', roomName);
  await page.click('form.create-card button[type=submit]');
  await page.waitForSelector('.created-card');
  const links = {
    editor: await page.inputValue('input[data-role=editor]'),
    viewer: await page.inputValue('input[data-role=viewer]'),
  };
  await page.click('text=Open the room');
  await page.waitForSelector('.pill-online');
  return links;
}

/** Opens an invite link and joins under `name`, until the room says it is online. */
export async function joinAs(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.fill('#display-name', name);
  await page.click('button[type=submit]');
  await page.waitForSelector('.pill-online');
}

/** Makes a file from the tree's New file button and types its text into the editor. */
export async function newFile(page: Page, path: string, text: string): Promise<void> {
  await page.click('button[aria-label="New file"]');
  await page.fill('.tree-input', path);
  await page.press('.tree-input', 'Enter');
  await page.waitForSelector(`.file-path:text("${path}")`);
  await page.click('.cm-content');
  await page.keyboard.insertText(text);
}

/** The paths in the file tree, sorted. */
export const treePaths = (page: Page): Promise<(string | null)[]> =>
  page.$$eval('.tree-file[data-path]', (els) => els.map((e) => e.getAttribute('data-path')).sort());

/** A new desktop-sized page in `browser` that joins through an invite link as `name`. */
export async function joinInNewPage(
  browser: { person(opts: { viewport: { width: number; height: number } }): Promise<{ page: Page }> },
  link: string,
  name: string,
): Promise<Page> {
  const { page } = await browser.person({ viewport: { width: 1440, height: 900 } });
  await joinAs(page, link, name);
  return page;
}

/** Runs a search across files in the (open) search panel and waits for its answer; returns the summary line. */
export async function search(page: Page, text: string): Promise<string> {
  await page.fill('.search-input', text);
  await page.waitForFunction(
    (t) => {
      const panel = document.querySelector<HTMLElement>('.search-panel');
      return (
        (panel?.dataset.state === 'done' || panel?.dataset.state === 'error') && panel.dataset.query === t
      );
    },
    text,
    { timeout: 10_000 },
  );
  return (await page.textContent('.search-summary')) ?? '';
}
/** Flips one of the search panel's options: caseSensitive, wholeWord or regex. */
export const toggle = (page: Page, option: string): Promise<void> =>
  page.click(`.search-toggle[data-option="${option}"]`);
