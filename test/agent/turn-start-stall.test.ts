import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { itemWalks } from '../../server/agent/live-lines.ts';
import { SLICE_ITEMS, sliceStats } from '../../server/agent/sliced-walk.ts';
import { startAgentCore } from '../helpers/agent-core.ts';
import { type AgentRoom, startAgentRoom, suggestionsOf, waitRunStatus } from '../helpers/agent-room.ts';
import { BIG_FILE_LINES, BIG_FILE_TEXT, bigFileUpdate, typedAtBigFileStart } from '../helpers/big-file.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { settledHeap } from '../memory/heap.ts';

/*
 * SAFE-156: starting a Spark turn reads each file it sends once. Before, a turn read every file of the room
 * whole (`Y.Text.toString`), rendered every one of them to learn whether it fit, and then walked the
 * files it sent again to snapshot them (AGENT-4): against a 450 KB file an editor typed (224,000 items)
 * that was three walks of the file on the event loop, at every prompt and every redirect. Through the
 * real route, the real provider and the fake model; the CPU time and the stall of the turn's start are
 * annotated (the figures are in SPEC).
 */
describe('SAFE-156: a turn reads the files it sends once', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  const line = (n: number) => BIG_FILE_LINES[n] ?? '';
  const reply = (n: number) =>
    `Negated it.\nbig.ts\n<<<<<<< SEARCH\n${line(n)}\n=======\n${line(n).replace(` = ${n};`, ` = ${-n};`)}\n>>>>>>> REPLACE\n`;

  it('SAFE-156: prompts against a 450 KB file of 224,000 items, through the server: its start costs < 500 ms of CPU, the hunk placed (SAFE-159: an unchanged file is not walked again; SAFE-160: no placement walks it)', async ({
    annotate,
  }) => {
    room = await startAgentRoom({ model: 'llama-3.3-70b' });
    const r = room;
    const editor = r.people[1]!;
    // The editor's edits go through a raw socket: a stock client would hold a second copy of the file in this
    // process (the server's), and collecting it would be counted as the server's stall.
    const typist = await openRawClient(syncSocketUrl(r.server.syncUrl, r.roomId, editor.token));
    await applied(typist, bigFileUpdate('big.ts'));
    // The room's owner clients (this process) apply the file too: let them finish before anything is measured.
    await r.code.waitForText('big.ts', (t) => t.length === BIG_FILE_TEXT.length, 120_000);
    const review = r.client(r.people[0]!.token, { review: true });
    const files0 = r.code.doc.getMap(CODE_FILES_KEY).size;

    // The first prompt finds the code cold (a server that just started); the second, after someone typed in
    // the file, is what a running server pays at every prompt; the third, on the unchanged file, reads nothing
    // (SAFE-159). No prompt's hunk walks the file again (SAFE-160): the snapshot's walk is its live view.
    // SAFE-175: the cold and the edited file are read in slices. SAFE-176: the fourth prompt's file is typed in
    // while the model thinks (a second before its first token): its hunk reads the live view in slices.
    const prompts = [
      { target: 2_000, typed: false, name: 'cold' },
      { target: 5_000, typed: true, name: 'after an edit' },
      { target: 7_000, typed: false, name: 'unchanged' },
      { target: 8_000, typed: false, name: 'typed mid-stream', midStream: true },
    ];
    for (const [i, { target, typed, name, midStream }] of prompts.entries()) {
      if (typed) await applied(typist, typedAtBigFileStart('// typed\n'));
      r.fake.enqueue({ text: reply(target), ttftMs: midStream ? 1_500 : 300 });
      // The garbage of this process's own clients (three copies of the 224,000 items) is collected first: a
      // full collection of it (a 270 MB heap: 418 ms of pause plus V8's helper threads, --trace-gc) fell in
      // the cold window at times and counted 1.2-1.6 s of CPU that no read of the turn made.
      await settledHeap();
      let cpuMs = 0;
      const walksBefore = itemWalks.count;
      Object.assign(sliceStats, { slices: 0, restarts: 0, maxSliceItems: 0, longestMs: 0 });
      // Two windows: from the POST until the model has the request (the turn's start), then the run.
      const { result: runId, stall } = await measureStall(async () => {
        const cpu = process.cpuUsage();
        const id = await r.prompt(editor.token, `negate value${target}`, 'big.ts');
        const request = await r.fake.waitForRequest(i);
        cpuMs = process.cpuUsage(cpu).user / 1000;
        // The model was shown the file (the focus file, excerpted around the top: it is over the budget).
        expect(JSON.stringify(request.body)).toContain(line(target));
        return id;
      });
      const startWalks = itemWalks.count - walksBefore;
      const start = { ...sliceStats };
      Object.assign(sliceStats, { slices: 0, restarts: 0, maxSliceItems: 0, longestMs: 0 });
      // The stream's window starts with the typist's edit (a raw socket: applied before the first token).
      const { stall: runStall } = await measureStall(async () => {
        if (midStream) await applied(typist, typedAtBigFileStart('// mid-stream\n'));
        await waitRunStatus(review, runId, ['completed', 'failed']);
      });
      const runWalks = itemWalks.count - walksBefore - startWalks;
      // Placing the hunk (SAFE-142) is bounded in test/agent/placement-stall.test.ts: noted here only.
      await annotate(
        `450 KB / 224,000 items, focus file, ${name}: from the POST to the model's request stall ${stall.maxMs.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms, ${startWalks} file walk(s) in ${start.slices} slice(s), longest ${start.longestMs.toFixed(1)} ms; the run's stream and placement stall ${runStall.maxMs.toFixed(0)} ms, ${runWalks} walk(s) in ${sliceStats.slices} slice(s), longest ${sliceStats.longestMs.toFixed(1)} ms`,
      );
      // The room's other file (src/math.ts) is read at the first prompt only: nobody changes it.
      expect(startWalks).toBe(i === 0 ? files0 : typed ? 1 : 0);
      // SAFE-175: a walk of big.ts is 14 slices of at most SLICE_ITEMS items, never one task.
      if (startWalks > 0) expect(start.slices).toBeGreaterThanOrEqual(Math.ceil(224_000 / SLICE_ITEMS));
      expect(start.maxSliceItems).toBeLessThanOrEqual(SLICE_ITEMS);
      // SAFE-160: no placement walks the file, but the one after an edit made while the model thought, whose
      // live view is read in slices (SAFE-176). The edit lands in the model's 1.5 s wait at any sane load; were
      // it later than the hunk, no walk would be needed at all.
      expect(runWalks).toBe(midStream ? Math.min(1, runWalks) : 0);
      if (runWalks > 0) expect(sliceStats.slices).toBeGreaterThanOrEqual(Math.ceil(224_000 / SLICE_ITEMS));
      expect(sliceStats.maxSliceItems).toBeLessThanOrEqual(SLICE_ITEMS);
      const placed = suggestionsOf(review).filter((s) => s.runId === runId);
      expect(placed.map((s) => s.baseText)).toEqual([`${line(target)}\n`]);
      // As in SAFE-142's test: the CPU time carries the loose bound (this window also holds the HTTP request,
      // the provider's request and the fake's parsing of it), and the wall-clock stall a looser one, since a
      // machine at load 10 with a 200 MB heap stretched the same work to 776 ms once.
      // The cold prompt's window also compiles everything the route, the provider and the walk run for the first
      // time in this process, and user CPU counts V8's helper threads: a full run (another test file beside it)
      // read 777 ms there with a 163 ms stall, where the warm prompts stay far under 500 ms. Before SAFE-156 the
      // start walked the file three times: 278 ms of stall.
      expect(cpuMs).toBeLessThan(i === 0 ? 1_500 : 500);
      expect(stall.maxMs).toBeLessThan(3_000);
    }
  }, 180_000);

  it('SAFE-156: a turn in a room of 2,000 files reads the text of none but those it sends', async () => {
    const file = 'export const value = computeSomething(alpha, beta, gamma); // comment\n'.repeat(170);
    const files = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`src/f${i}.ts`, file]));
    const core = await startAgentCore(files);
    try {
      // Y.Text.toString is what a whole-file read was; the snapshot walks the items instead.
      const reads = vi.spyOn(Y.Text.prototype as { toString(): string }, 'toString');
      const runId = await core.agent.createRun(core.people.editor, { prompt: 'p', file: 'src/f7.ts' });
      const request = await core.provider.turnStarted(0);
      const readsAtStart = reads.mock.calls.length;
      reads.mockRestore();
      await core.waitRun(runId, ['completed', 'failed']);
      const sent = JSON.stringify(request.messages);
      const shown = (sent.match(/## File: /g) ?? []).length;
      expect(shown).toBeGreaterThan(10);
      expect(shown).toBeLessThan(100);
      expect(sent).toContain('Not shown (too large for the context; do not edit)');
      // Before, every file of the room was read whole at every turn (2,000 reads).
      expect(readsAtStart).toBe(0);
    } finally {
      await core.close();
    }
  });
});

/**
 * Sends `update` and waits until the server has applied it: a sync step 1 claiming everything the update
 * holds is answered after it (frames of one socket are handled in order), with little to decode.
 */
async function applied(raw: RawClient, update: Uint8Array): Promise<void> {
  raw.sendUpdate(update);
  // The server answers a sync step 1 after the update before it: the edit is applied. The state vector is the
  // raw client's own, so the answer holds only what it lacks. The update's alone (as this did before) asked for
  // the whole 224,000 items at every edit, and this process decoding them (and collecting them) was most of the
  // mid-stream window's stall (556 ms, profile: the raw client's apply and the collector).
  await raw.roundTrip(120_000);
}
