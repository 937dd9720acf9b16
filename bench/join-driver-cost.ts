/**
 * What the driver costs the project-io bench's browser join (issue 17): the same join of a 2,000-file / 15 MB
 * room, in the same Chromium, driven by Playwright (which enables CDP's Network domain: the renderer then
 * hands DevTools every WebSocket frame's payload, 15.7 MB for the room's document) and over plain CDP
 * (Page and Runtime only), alternated, each join of an idle room. The name is set and the form submitted from
 * the page in both, so the submit does not wait on Playwright's actionability checks. Times are the page's
 * own (performance.now(), ms after the submit, or from the link under `fromLink`): first file shown, the
 * document's frame, the sync applied, the live file open, editable, every history.replaceState with its
 * duration, and the long tasks after the submit.
 *
 *   npx tsx bench/join-driver-cost.ts   (XP_ROUNDS pairs, default 2; XP_HOW=playwright,raw)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { syntheticTree, writeTree } from '../test/helpers/project-tree.ts';
import { sparkroomContender } from './contenders/sparkroom-contender.ts';
import { importRoom } from './lib/import-room.ts';
import {
  CHROMIUM,
  JOIN_MARKS_INIT,
  JOIN_MARKS_RESULT,
  plainCdpJoin,
  SUBMIT_JOIN,
} from './lib/plain-cdp-join.ts';

const ROUNDS = Number(process.env.XP_ROUNDS ?? 2);
const ROOMS = Number(process.env.XP_ROOMS ?? 4);
const work = mkdtempSync(join(tmpdir(), 'join-raw-'));
writeTree(join(work, 'tree'), syntheticTree(2000, 15 * 2 ** 20));
execFileSync('tar', ['czf', join(work, 't.tgz'), '-C', join(work, 'tree'), '.']);
const body = readFileSync(join(work, 't.tgz'));
const running = await sparkroomContender.start({
  dataDir: join(work, 'data'),
  env: { SPARKROOM_MAX_SEND_BUFFER_BYTES: String(64 * 2 ** 20) },
});
const base = `http://127.0.0.1:${running.process.port}`;
const rooms = [];
for (let i = 0; i < ROOMS; i++) rooms.push(await importRoom(base, body, `raw ${i}`));
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

async function playwrightJoin(url: string): Promise<string> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page = await (await browser.newContext()).newPage();
  await page.addInitScript(JOIN_MARKS_INIT);
  await page.goto(url);
  await page.evaluate(SUBMIT_JOIN);
  await page.waitForFunction(
    () => !!(globalThis as unknown as { xpEditableAt?: number }).xpEditableAt,
    null,
    { timeout: 120_000 },
  );
  await page.waitForTimeout(1500);
  const out = (await page.evaluate(JOIN_MARKS_RESULT)) as string;
  await browser.close();
  return out;
}

let r = 0;
for (let round = 0; round < ROUNDS; round++)
  for (const how of (process.env.XP_HOW ?? 'playwright,raw').split(',') as ('playwright' | 'raw')[]) {
    const room = rooms[r++ % rooms.length]!;
    const url = `${base}/join/${room.roomId}#invite=${room.invites.viewer}`;
    const out = how === 'raw' ? await plainCdpJoin(url) : await playwrightJoin(url);
    console.log(how, load(), out);
  }
await running.process.stop();
rmSync(work, { recursive: true, force: true });
process.exit(0);
