import { afterEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../schema/protocol.ts';
import { AnchorIndex, findAnchor } from '../../server/agent/anchor-matcher.ts';
import { createEditParser } from '../../server/agent/edit-parser.ts';
import { type AgentRoom, runOf, startAgentRoom, suggestionsOf } from '../helpers/agent-room.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { until } from '../helpers/wait.ts';
import type { YClient } from '../helpers/y-client.ts';

/*
 * A misbehaving model cannot hold the event loop with what it writes (SAFE-50, SAFE-51): the attacks of
 * issue 9 item 1 through the real server, the real provider and the fake model, with the stall measured
 * while each runs. The bound is loose (500 ms): far above a normal chunk's cost, far below the seconds
 * these replies held the server before. Timings of the same shapes are in bench/edit-stalls.ts.
 */
describe('edit parsing and anchoring stay linear (SAFE-50, SAFE-51)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  /** A few turns of the event loop, so the stall histogram samples before and after a synchronous block. */
  const turns = () => new Promise((resolve) => setTimeout(resolve, 50));

  /**
   * Prompts and measures the stall from the moment the model is asked (building the prompt is not the
   * attack) until the run ends; the model waits 300 ms before its first token so the watch is on by then.
   */
  async function attack(r: AgentRoom, review: YClient) {
    const runId = await r.prompt(r.people[1]!.token, 'go');
    await r.fake.waitForRequest(0);
    return measureStall(() =>
      until(
        () => {
          const run = runOf(review, runId);
          return run && ['completed', 'failed'].includes(run.status) ? (run as RunView) : undefined;
        },
        (cb) => {
          review.doc.on('update', cb);
          return () => review.doc.off('update', cb);
        },
        120_000,
        `run ${runId} to end`,
      ),
    );
  }

  /** Writes `text` as a file of the room (in pieces, under the frame limit) and waits for the server. */
  async function writeFile(r: AgentRoom, path: string, text: string): Promise<void> {
    for (let at = 0; at < text.length; at += 64 * 1024) {
      const piece = text.slice(at, at + 64 * 1024);
      r.code.edit(path, (t) => t.insert(at, piece));
    }
    const probe = r.client(r.people[0]!.token);
    await probe.waitForText(path, (s) => s.length === text.length);
  }

  it('SAFE-50: a SEARCH line that never ends (400 KB in 25,000 chunks) is parsed in linear time', async ({
    annotate,
  }) => {
    room = await startAgentRoom({
      model: 'llama-3.3-70b',
      env: { SPARK_MAX_RUN_TOKENS: '30000', SPARK_MAX_RUN_OUTPUT_BYTES: String(1024 * 1024) },
    });
    // The fake cuts this into 16-character tokens: `xxxx` and a run of blanks, 25,000 of them.
    const reply = `Changing it.\nsrc/math.ts\n<<<<<<< SEARCH\n${`xxxx${' '.repeat(28)}`.repeat(12_500)}`;
    room.fake.enqueue({ text: reply, tokensPerSecond: 10_000, ttftMs: 300 });
    const review = room.client(room.people[0]!.token, { review: true });
    const { result: run, stall } = await attack(room, review);
    expect(run.status).toBe('completed');
    expect(run.unanchored).toEqual([
      { file: '(edit)', reason: 'search_replace: the stream ended inside the SEARCH block for src/math.ts' },
    ]);
    // Spread over the stream's many reads; the bound is on one read's worth, in the test below.
    await annotate(
      `400 KB SEARCH line in 25,000 tokens through the server: worst event-loop stall ${stall.maxMs.toFixed(1)} ms`,
    );
  });

  it('SAFE-50: 16,384 chunks of a 512 KB line arriving at once (one socket read) hold the loop < 500 ms', async ({
    annotate,
  }) => {
    for (const [format, head] of [
      ['search_replace', 'src/a.ts\n<<<<<<< SEARCH\n'],
      ['apply_patch', '*** Begin Patch\n*** Update File: a.ts\n@@\n '],
    ] as const) {
      const { stall } = await measureStall(async () => {
        await turns();
        const parser = createEditParser(format);
        parser.push(head);
        for (let i = 0; i < 16_384; i++) parser.push('x'.repeat(32));
        parser.end();
        await turns();
      });
      // Before SAFE-50 each chunk re-read the whole line: 6.5 s (SEARCH) and 3.6 s (context line).
      expect(stall.maxMs).toBeLessThan(500);
      await annotate(`${format}: 512 KB line in 16,384 chunks at once: stall ${stall.maxMs.toFixed(1)} ms`);
    }
  });

  it('SAFE-51: a hunk against a line of 120,000 spaces is matched in linear time', async ({ annotate }) => {
    room = await startAgentRoom({ model: 'llama-3.3-70b' });
    await writeFile(room, 'src/blank.ts', `a\n${' '.repeat(120_000)}x\nb\n`);
    // Not found exactly, so the whitespace-tolerant tiers normalise every line of the file.
    room.fake.enqueue({
      text: 'src/blank.ts\n<<<<<<< SEARCH\nb  \nc\n=======\nd\n>>>>>>> REPLACE\n',
      ttftMs: 300,
    });
    const review = room.client(room.people[0]!.token, { review: true });
    const { result: run, stall } = await attack(room, review);
    expect(run.unanchored).toEqual([{ file: 'src/blank.ts', reason: 'the old text was not found' }]);
    expect(stall.maxMs).toBeLessThan(500);
    await annotate(`120,000-space line, one unmatched hunk: worst stall ${stall.maxMs.toFixed(1)} ms`);
  });

  it('SAFE-51: 300 whitespace-drifted hunks on a 320 KB file: placed against one index, past the cap refused with a reason', async ({
    annotate,
  }) => {
    // The reply is ~20,000 tokens; the file still fits the context that leaves.
    room = await startAgentRoom({
      model: 'llama-3.3-70b',
      env: { SPARK_MAX_RUN_HUNKS: '250', SPARK_MAX_OUTPUT_TOKENS: '24000', SPARK_MAX_RUN_TOKENS: '30000' },
    });
    const lines = Array.from(
      { length: 8_500 },
      (_, i) => `export const value${i} = ${i}; // ${'-'.repeat(4)}`,
    );
    await writeFile(room, 'src/big.ts', `${lines.join('\n')}\n`);
    // Each SEARCH line has trailing blanks the file does not: found only by the line tiers.
    let reply = '';
    for (let h = 0; h < 300; h++) {
      const i = h * 28;
      reply += `src/big.ts\n<<<<<<< SEARCH\n${lines[i]}   \n=======\nexport const value${i} = ${-i};\n>>>>>>> REPLACE\n`;
    }
    room.fake.enqueue({ text: reply, tokensPerSecond: 20_000, ttftMs: 300 });
    const review = room.client(room.people[0]!.token, { review: true });
    const { result: run, stall } = await attack(room, review);
    expect(run.status).toBe('completed');
    expect(run.unanchored).toEqual([
      { file: 'src/big.ts', reason: 'more than 250 edits in one run: this one and any after it are refused' },
    ]);
    const placed = suggestionsOf(review).filter((s) => s.runId === run.id);
    expect(placed).toHaveLength(250);
    expect(placed.find((s) => s.baseText === `${lines[28 * 249]}\n`)?.proposed).toBe(
      `export const value${28 * 249} = ${-28 * 249};\n`,
    );
    // The per-read bound is checked below; through the server this also counts the review-doc frames.
    await annotate(`300 drifted hunks on a 320 KB file (cap 250): worst stall ${stall.maxMs.toFixed(1)} ms`);
  });

  it('SAFE-51: the default cap of hunks (200), drifted, placed at once against a 320 KB file hold the loop < 500 ms', async ({
    annotate,
  }) => {
    const lines = Array.from(
      { length: 8_500 },
      (_, i) => `export const value${i} = ${i}; // ${'-'.repeat(4)}`,
    );
    const file = `${lines.join('\n')}\n`;
    const { result: placed, stall } = await measureStall(async () => {
      await turns();
      const index = new AnchorIndex(file);
      let ok = 0;
      for (let h = 0; h < 200; h++) {
        if (findAnchor(index, { contextBefore: '', oldText: `${lines[h * 40]}   \n` }).ok) ok++;
      }
      await turns();
      return ok;
    });
    expect(placed).toBe(200);
    // Before SAFE-51 every hunk re-split and re-normalised the file: 300 hunks on 418 KB took 1.8 s.
    expect(stall.maxMs).toBeLessThan(500);
    await annotate(`200 drifted hunks on a 320 KB file in one go: stall ${stall.maxMs.toFixed(1)} ms`);
  });
});
