import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { mulRewrite, openMathFile, twoPeopleWithAFile } from './spark-room.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// How often a page that is behind draws a card Spark streams, and what a long streamed text costs the page
// once it is done, in real Chromium (what the card shows: spark-streaming-text.test.ts; where it is drawn:
// spark-streaming-layout.test.ts).

/** A proposal past the painted size (about 33 KB, 640 short lines that never wrap), streamed for seconds. */
const DRAWN_LINES = Array.from(
  { length: 640 },
  (_, i) => `  const drawn${String(i).padStart(3, '0')} = a * ${i}; // a line of mul\n`,
);
const { reply: DRAWN_REPLY, proposal: DRAWN_PROPOSAL } = mulRewrite('Drawing mul.', DRAWN_LINES);

/** What Bob's page counted while the card streamed (see the PERF-193 test). */
type DrawProbe = { frames: number; draws: number; busy: boolean };
/** What Bob's page counted while the card streamed (see the PERF-199 test). */
type SlowFrameProbe = { frames: number; draws: number; busy: boolean };

let app: SparkBrowserApp;

beforeAll(async () => {
  // Room for the long proposal (the defaults cap a reply at 4,096 tokens).
  app = await startSparkBrowserApp({ SPARK_MAX_OUTPUT_TOKENS: '60000', SPARK_MAX_RUN_TOKENS: '60000' });
}, 120_000);

afterAll(() => app?.close());

/** The finished card of DRAWN_PROPOSAL in `page`, and where it and the code around it are. */
/** Waits until the page shows the whole streamed proposal in its card, decided on by no one yet. */
function waitProposed(page: Page) {
  return page.waitForFunction(
    () =>
      [...document.querySelectorAll('.cm-spark-proposal')].some(
        (c) =>
          c.textContent?.includes('drawn000 ') &&
          c.querySelector('.cm-spark-badge')?.textContent === 'proposed',
      ),
    null,
    { timeout: 90_000 },
  );
}

function finishedCard(page: Page) {
  return page.evaluate(() => {
    const card = [...document.querySelectorAll('.cm-spark-proposal')].find((c) =>
      c.textContent?.includes('drawn000 '),
    );
    const text = card?.querySelector<HTMLElement>('.cm-spark-text');
    const block = card?.closest('.cm-spark-block');
    const lines = [...document.querySelectorAll('.cm-line')];
    const replaced = lines.find((l) => l.textContent === '  return a * b;');
    // mul's closing brace, the file's last (line 7), comes after the card: drawn once the card's end is in view
    const close = lines.filter((l) => l.textContent === '}').at(-1);
    const number = [...document.querySelectorAll('.cm-lineNumbers .cm-gutterElement')].find(
      (g) => g.textContent === '7',
    );
    // a coloured word in the card's first block, and one in the block of line 300 (far below the screen)
    const blocks = [...(text?.querySelectorAll('.cm-spark-lines') ?? [])];
    const far = blocks.findIndex((b) => b.textContent?.includes('drawn300 '));
    const seen = (i: number) =>
      blocks[i]?.querySelector('span')?.checkVisibility({ contentVisibilityAuto: true });
    return {
      text: text?.textContent ?? '',
      badge: card?.querySelector('.cm-spark-badge')?.textContent ?? '',
      typing: card?.querySelectorAll('.cm-spark-typing').length ?? -1,
      layered: document.querySelectorAll('.cm-spark-layer .cm-spark-text').length,
      blocks: blocks.length,
      firstShown: seen(0) ?? null,
      farShown: seen(far) ?? null,
      // a line's height as laid out (the computed style rounds it: 641 lines of it were 4 px off)
      lineHeight: blocks[0]
        ? blocks[0].getBoundingClientRect().height / ((blocks[0].textContent ?? '').split('\n').length - 1)
        : 0,
      textHeight: text?.getBoundingClientRect().height ?? 0,
      cardTop: card?.getBoundingClientRect().top ?? null,
      replacedBottom: replaced?.getBoundingClientRect().bottom ?? null,
      blockBottom: block?.getBoundingClientRect().bottom ?? null,
      closeTop: close?.getBoundingClientRect().top ?? null,
      numberTop: number?.getBoundingClientRect().top ?? null,
    };
  });
}

describe('How a page draws a card Spark streams', () => {
  let ada: Page;
  let bob: Page;

  it('two people in a room with a file', async () => {
    ({ ada, bob } = await twoPeopleWithAFile(app));
  }, 120_000); // two pages and a room on a loaded machine took over 30 s

  it('PERF-193: a page that is behind draws the stream at most every other frame, and shows the finished text exactly; PERF-194: the long text back in its card lays out only what is on screen, the code and line numbers below it where they belong', async () => {
    await openMathFile(ada, bob);
    // Bob's page is behind: every frame holds 40 ms of other work (a slow machine, a busy tab). Counted
    // while the card's text streams in the layer (WEB-118): the frames, and the frames in which the
    // stream's text changed (one MutationObserver callback per task that changed it).
    await bob.evaluate(() => {
      const w = window as unknown as { drawProbe: DrawProbe };
      const probe: DrawProbe = { frames: 0, draws: 0, busy: true };
      w.drawProbe = probe;
      const frame = () => {
        if (!probe.busy) return;
        if (document.querySelector('.cm-spark-layer .cm-spark-text')) probe.frames++;
        const until = performance.now() + 40;
        while (performance.now() < until) {
          // the page's other work
        }
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
      new MutationObserver((records) => {
        const inLayer = records.some((r) => {
          const node = r.target instanceof Element ? r.target : r.target.parentElement;
          return node?.closest('.cm-spark-layer') != null;
        });
        if (inLayer) probe.draws++;
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    app.fake.enqueue({ text: DRAWN_REPLY, tokensPerSecond: 2500 });
    await ada.fill('.prompt-input', 'Draw mul out');
    await ada.click('button:text("Ask Spark")');
    await bob.waitForFunction(
      () => document.querySelector('.cm-spark-layer .cm-spark-text')?.textContent?.includes('drawn100 '),
      null,
      { timeout: 60_000 },
    );
    await screenshot(bob, '16f-proposal-streaming-page-behind');
    for (const page of [bob, ada]) await waitProposed(page);
    const probe = await bob.evaluate(() => {
      const w = window as unknown as { drawProbe: DrawProbe };
      w.drawProbe.busy = false;
      return w.drawProbe;
    });
    // Streamed over many frames, drawn in at most every other one (one more for the text's first frame
    // and one for its move back into the card); every frame drew on main.
    expect(probe.frames).toBeGreaterThanOrEqual(20);
    expect(probe.draws).toBeGreaterThanOrEqual(3);
    expect(probe.draws).toBeLessThanOrEqual(probe.frames / 2 + 3);

    // The end, on both pages: the text exactly, in its card, no typing cursor, nothing left in the layer;
    // the card under the line it replaces, mul's closing brace right under the card, its number beside it.
    for (const page of [bob, ada]) {
      const done = await finishedCard(page);
      expect(done.text).toBe(DRAWN_PROPOSAL);
      expect(done.badge).toBe('proposed');
      expect(done.typing).toBe(0);
      expect(done.layered).toBe(0);
      expect(Math.abs((done.cardTop ?? 0) - (done.replacedBottom ?? 1e6))).toBeLessThan(12);
      // PERF-194: the blocks far below the screen are not laid out, yet take their lines' height (6 px of
      // padding): the card is as tall as its text drawn whole.
      expect(done.blocks).toBeGreaterThan(10);
      expect(done.firstShown).toBe(true);
      expect(done.farShown).toBe(false);
      const lines = DRAWN_PROPOSAL.split('\n').length - 1;
      expect(Math.abs(done.textHeight - (lines * done.lineHeight + 6))).toBeLessThan(1);
    }
    await screenshot(bob, '16g-proposal-streamed-page-behind-done');

    // Scrolled to the card's end (its blocks there laid out now): the card kept its height, and the code
    // after it and its line number are right under it.
    const before = await finishedCard(bob);
    await bob.evaluate(() => {
      const card = [...document.querySelectorAll('.cm-spark-proposal')].find((c) =>
        c.textContent?.includes('drawn000 '),
      );
      const blocks = card?.querySelectorAll('.cm-spark-lines');
      blocks?.[blocks.length - 1]?.scrollIntoView({ block: 'center' });
    });
    await bob.waitForFunction(
      () => {
        const close = [...document.querySelectorAll('.cm-line')].filter((l) => l.textContent === '}').at(-1);
        const number = [...document.querySelectorAll('.cm-lineNumbers .cm-gutterElement')].find(
          (g) => g.textContent === '7',
        );
        return close?.isConnected && number?.isConnected;
      },
      null,
      { timeout: 15_000, polling: 'raf' },
    );
    const end = await finishedCard(bob);
    expect(Math.abs(end.textHeight - before.textHeight)).toBeLessThan(1);
    expect(Math.abs((end.closeTop ?? 0) - (end.blockBottom ?? 1e6))).toBeLessThan(1);
    expect(Math.abs((end.numberTop ?? 0) - (end.closeTop ?? 1e6))).toBeLessThan(1);
    await screenshot(bob, '16h-proposal-streamed-end-scrolled');

    await ada.click('.cm-spark-proposal:has-text("drawn000 ") .cm-spark-btn-reject');
    await bob.waitForFunction(
      () =>
        ![...document.querySelectorAll('.cm-spark-proposal')].some((c) =>
          c.textContent?.includes('drawn000 '),
        ),
      null,
      { timeout: 15_000 },
    );
  }, 180_000);

  it("PERF-199: a page past one slow frame in eight streams the card and shows the finished text exactly, in its card under the line it replaces, mul's closing brace and its number right under it", async () => {
    // Bob's page keeps up but for one slow frame in eight (40 ms of other work: a garbage collection, a
    // card drawn anew). Which frames draw is `FramePacer`'s (test/client/web/room/frame-pacer.test.ts:
    // before PERF-199 the frame after every slow one was left for the next); here, the stream drawn so is
    // the text Spark wrote, where it belongs. Counted: the frames, and the stream's frames that drew.
    await bob.evaluate(() => {
      const w = window as unknown as { slowProbe: SlowFrameProbe };
      const probe: SlowFrameProbe = { frames: 0, draws: 0, busy: true };
      w.slowProbe = probe;
      const frame = () => {
        if (!probe.busy) return;
        if (document.querySelector('.cm-spark-layer .cm-spark-text')) {
          probe.frames++;
          const until = performance.now() + (probe.frames % 8 === 0 ? 40 : 0);
          while (performance.now() < until) {
            // the page's other work
          }
        }
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
      new MutationObserver((records) => {
        const inLayer = records.some((r) => {
          const node = r.target instanceof Element ? r.target : r.target.parentElement;
          return node?.closest('.cm-spark-layer') != null;
        });
        if (inLayer && probe.busy) probe.draws++;
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    app.fake.enqueue({ text: DRAWN_REPLY, tokensPerSecond: 2500 });
    await ada.fill('.prompt-input', 'Draw mul out again');
    await ada.click('button:text("Ask Spark")');
    await waitProposed(bob);
    const probe = await bob.evaluate(() => {
      const w = window as unknown as { slowProbe: SlowFrameProbe };
      w.slowProbe.busy = false;
      return w.slowProbe;
    });
    // streamed over many frames, drawn in several of them
    expect(probe.frames).toBeGreaterThanOrEqual(20);
    expect(probe.draws).toBeGreaterThanOrEqual(3);

    const done = await finishedCard(bob);
    expect(done.text).toBe(DRAWN_PROPOSAL);
    expect(done.badge).toBe('proposed');
    expect(done.typing).toBe(0);
    expect(done.layered).toBe(0);
    expect(Math.abs((done.cardTop ?? 0) - (done.replacedBottom ?? 1e6))).toBeLessThan(12);
    // its end in view: mul's closing brace right under the card, its line number beside it
    await bob.evaluate(() => {
      const card = [...document.querySelectorAll('.cm-spark-proposal')].find((c) =>
        c.textContent?.includes('drawn000 '),
      );
      const blocks = card?.querySelectorAll('.cm-spark-lines');
      blocks?.[blocks.length - 1]?.scrollIntoView({ block: 'center' });
    });
    await bob.waitForFunction(
      () =>
        [...document.querySelectorAll('.cm-lineNumbers .cm-gutterElement')].some(
          (g) => g.textContent === '7',
        ),
      null,
      { timeout: 15_000, polling: 'raf' },
    );
    const end = await finishedCard(bob);
    expect(Math.abs((end.closeTop ?? 0) - (end.blockBottom ?? 1e6))).toBeLessThan(1);
    expect(Math.abs((end.numberTop ?? 0) - (end.closeTop ?? 1e6))).toBeLessThan(1);
    await ada.click('.cm-spark-proposal:has-text("drawn000 ") .cm-spark-btn-reject');
    await bob.waitForFunction(
      () =>
        ![...document.querySelectorAll('.cm-spark-proposal')].some((c) =>
          c.textContent?.includes('drawn000 '),
        ),
      null,
      { timeout: 15_000 },
    );
  }, 180_000);

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
