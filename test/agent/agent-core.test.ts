import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../server/errors.ts';
import { type AgentCore, startAgentCore } from '../helpers/agent-core.ts';
import { MATH_SOURCE } from '../helpers/agent-room.ts';
import { pause } from '../helpers/scripted-provider.ts';

// The agent core in-process (issue 10, the suggestions part): a scripted provider and the memory stores,
// no sockets. The wire-level tests (agent-flow, interrupt-steer, steer-accept) cover the same rules
// through the real SDK; these pin the logic at exact points of a stream.

const FIXED = MATH_SOURCE.replace('a - b', 'a + b');
const header = ['Fixing add.\n', '*** Begin Patch\n', '*** Update File: src/math.ts\n', '@@\n'];
const addHunk = [' export function add(a: number, b: number): number {\n', '-  return a - b;\n'];
const footer = [' }\n', '*** End Patch\n'];

describe('the agent core in-process (AGENT-*, REVIEW-*)', () => {
  let core: AgentCore | null = null;
  afterEach(async () => {
    await core?.close();
    core = null;
  });

  it('AGENT-1/AGENT-5: a run streams a hunk into a suggestion, the code is untouched, and both stores keep it', async () => {
    core = await startAgentCore({ 'src/math.ts': MATH_SOURCE });
    core.provider.script([...header, ...addHunk, '+  return a + b;\n', ...footer]);
    const runId = await core.agent.createRun(core.people.editor, { prompt: 'fix add' });
    const run = await core.waitRun(runId, ['completed', 'failed']);
    expect(run).toMatchObject({
      status: 'completed',
      message: 'Fixing add.\n',
      requestedBy: core.people.editor.id,
    });
    const [s] = core.suggestionsOf(runId);
    expect(s).toMatchObject({
      state: 'proposed',
      baseText: '  return a - b;\n',
      proposed: '  return a + b;\n',
    });
    expect(core.text('src/math.ts')).toBe(MATH_SOURCE);
    expect((await core.agentStore.getRun(core.roomId, runId))?.status).toBe('completed');
    expect(await core.suggestionStore.listSuggestions(core.roomId, runId)).toEqual([
      expect.objectContaining({ id: s!.id, state: 'proposed', proposed: '  return a + b;\n' }),
    ]);
    // The model saw the file.
    expect(JSON.stringify(core.provider.requests[0]!.messages)).toContain('return a - b;');
  });

  it('AGENT-6/REVIEW-2: stop mid-hunk keeps the partial text, aborts the model, and the fragment needs a confirmation', async () => {
    core = await startAgentCore({ 'src/math.ts': MATH_SOURCE });
    const gate = pause();
    core.provider.script([...header, ...addHunk, '+  // first half', gate, ' of a comment\n', ...footer]);
    const runId = await core.agent.createRun(core.people.editor, { prompt: 'fix add' });
    await core.provider.turnStarted(0);
    await core.waitRun(runId, ['streaming']);
    // Let the stream reach the gate: the partial line is typed.
    await core.waitReview(
      () => core!.suggestionsOf(runId)[0]?.proposed === '  // first half',
      'the stream to reach the gate',
    );
    const stopped = await core.agent.interrupt(core.people.viewer, runId);
    expect(stopped).toMatchObject({ status: 'interrupted', interruptedBy: core.people.viewer.id });
    expect(core.provider.signals[0]!.aborted).toBe(true);
    gate.open();
    const [s] = core.suggestionsOf(runId);
    expect(s).toMatchObject({
      state: 'interrupted',
      proposed: '  // first half',
      interruptedBy: core.people.viewer.id,
    });

    const all = await core.suggestions.decideRun(core.people.owner, runId, 'accept');
    expect(all).toEqual({ decided: [], stale: [], skipped: [s!.id] });
    await expect(core.suggestions.accept(core.people.owner, s!.id)).rejects.toMatchObject({
      code: 'needs_confirmation',
    });
    expect(core.text('src/math.ts')).toBe(MATH_SOURCE);
    await core.suggestions.accept(core.people.owner, s!.id, { confirmPartial: true });
    expect(core.text('src/math.ts')).toBe(MATH_SOURCE.replace('  return a - b;\n', '  // first half'));
  });

  it('REVIEW-1: steer now supersedes the interrupted hunk the new turn re-proposes; accept all applies the redirect', async () => {
    core = await startAgentCore({ 'src/math.ts': MATH_SOURCE });
    const gate = pause();
    core.provider.script(
      [
        ...header,
        ...addHunk,
        '+  /**\n',
        '+   * adds',
        gate,
        ' a and b\n',
        '+   */\n',
        '+  return a + b;\n',
        ...footer,
      ],
      [...header, ...addHunk, '+  return a + b;\n', ...footer],
    );
    const runId = await core.agent.createRun(core.people.editor, { prompt: 'document add' });
    await core.waitReview(
      () => core!.suggestionsOf(runId)[0]?.proposed.endsWith('* adds'),
      'the stream to reach the gate',
    );
    await core.agent.steer(core.people.editor, runId, 'no comment, just the fix', 'now');
    gate.open();
    const second = await core.provider.turnStarted(1);
    expect(JSON.stringify(second.messages)).toContain('no comment, just the fix');
    await core.waitRun(runId, ['completed']);
    const [partial, redirect] = core.suggestionsOf(runId);
    expect(partial).toMatchObject({ state: 'superseded', proposed: '  /**\n   * adds' });
    expect(redirect).toMatchObject({ state: 'proposed', proposed: '  return a + b;\n' });
    expect(core.run(runId).steers).toEqual([
      expect.objectContaining({ by: core.people.editor.id, mode: 'now', text: 'no comment, just the fix' }),
    ]);
    expect(core.trail.filter((e) => e.kind === 'superseded').map((e) => e.suggestionId)).toEqual([
      partial!.id,
    ]);

    const all = await core.suggestions.decideRun(core.people.owner, runId, 'accept');
    expect(all).toEqual({ decided: [redirect!.id], stale: [], skipped: [partial!.id] });
    expect(core.text('src/math.ts')).toBe(FIXED);
  });

  it('AGENT-7: a person edit under a streaming hunk makes it stale; it takes no more text and the run goes on', async () => {
    core = await startAgentCore({ 'src/math.ts': MATH_SOURCE });
    const gate = pause();
    core.provider.script([...header, ...addHunk, '+  return a', gate, ' + b;\n', ...footer]);
    const runId = await core.agent.createRun(core.people.editor, { prompt: 'fix add' });
    await core.waitReview(
      () => core!.suggestionsOf(runId)[0]?.proposed === '  return a',
      'the stream to reach the gate',
    );
    core.edit(core.people.owner, 'src/math.ts', (t) => t.insert(MATH_SOURCE.indexOf('a - b'), 'x'));
    gate.open();
    await core.waitRun(runId, ['completed']);
    const [s] = core.suggestionsOf(runId);
    expect(s).toMatchObject({ state: 'stale', proposed: '  return a' });
    expect(core.trail.some((e) => e.kind === 'stale' && e.suggestionId === s!.id)).toBe(true);
    const refused = await core.suggestions.accept(core.people.owner, s!.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
  });

  it('REVIEW-5: a revert after edits around the accept puts the replaced text back, by the reverter; an edit inside it needs a confirmation', async () => {
    core = await startAgentCore({ 'src/math.ts': MATH_SOURCE });
    core.provider.script([...header, ...addHunk, '+  return a + b;\n', ...footer]);
    const runId = await core.agent.createRun(core.people.editor, { prompt: 'fix add' });
    await core.waitRun(runId, ['completed']);
    const [s] = core.suggestionsOf(runId);
    await core.suggestions.accept(core.people.owner, s!.id);
    expect(core.text('src/math.ts')).toBe(FIXED);
    // Edits around the accepted text: a line above it and one at the end of the file.
    core.edit(core.people.editor, 'src/math.ts', (t) => t.insert(0, '// top\n'));
    core.edit(core.people.editor, 'src/math.ts', (t) => t.insert(t.length, '// end\n'));
    const reverted = await core.suggestions.revert(core.people.editor, s!.id);
    expect(reverted).toMatchObject({ state: 'reverted', revertedBy: core.people.editor.id });
    expect(core.text('src/math.ts')).toBe(`// top\n${MATH_SOURCE}// end\n`);
    // A revert is revertible: the accept applies again, where it was.
    await core.suggestions.revert(core.people.owner, s!.id);
    expect(core.text('src/math.ts')).toBe(`// top\n${FIXED}// end\n`);
    expect(core.suggestionsOf(runId)[0]?.state).toBe('accepted');

    // The editor edits inside the accepted text: reverting over it asks first. (Naming the editor needs their
    // socket's clientID binding, which this in-process core has not: test/suggestions/revert.test.ts checks it.)
    const inside = core.text('src/math.ts').indexOf('a + b') + 'a + b'.length;
    core.edit(core.people.editor, 'src/math.ts', (t) => t.insert(inside, ' + 0'));
    const refused = await core.suggestions.revert(core.people.owner, s!.id).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'needs_confirmation' });
    expect((refused as AppError).message).toMatch(/edited inside this text/);
    expect(core.text('src/math.ts')).toContain('a + b + 0');
    await core.suggestions.revert(core.people.owner, s!.id, { confirm: true });
    expect(core.text('src/math.ts')).toBe(`// top\n${MATH_SOURCE}// end\n`);
  });

  it('AGENT-12/AGENT-26: Spark publishes its cursor when it moves to another hunk, not after every frame', async () => {
    core = await startAgentCore({ 'src/math.ts': MATH_SOURCE });
    const gates = Array.from({ length: 6 }, () => pause());
    const last = pause();
    const lines = gates.map((_, i) => `+  // line ${i}\n`);
    const mulHunk = [' export function mul(a: number, b: number): number {\n', '-  return a * b;\n'];
    core.provider.script([
      ...header,
      ...addHunk,
      ...lines.flatMap((line, i) => [line, gates[i]!]),
      ' }\n@@\n',
      ...mulHunk,
      '+  return b * a;\n',
      last,
      ...footer,
    ]);
    const awareness = core.room().review.awareness;
    const published: { suggestionId: unknown; at: number }[] = [];
    let left = false;
    awareness.on('update', (change: { added: number[]; updated: number[]; removed: number[] }) => {
      for (const id of [...change.added, ...change.updated]) {
        const state = awareness.getStates().get(id) as {
          user?: { role?: string };
          cursor?: { suggestionId?: unknown };
        };
        if (state?.user?.role === 'agent')
          published.push({ suggestionId: state.cursor?.suggestionId, at: Date.now() });
      }
      if (change.removed.length > 0) left = true;
    });
    const runId = await core.agent.createRun(core.people.editor, { prompt: 'fix add, sub' });
    // Six frames of the first hunk, paced like a slow model (each over 100 ms apart: the old cadence
    // republished the cursor at each of them).
    for (const [i, gate] of gates.entries()) {
      await core.waitReview(
        () => core!.suggestionsOf(runId)[0]?.proposed.includes(`line ${i}`),
        `frame ${i} of the first hunk`,
      );
      await new Promise((resolve) => setTimeout(resolve, 110));
      gate.open();
    }
    await core.waitReview(() => core!.suggestionsOf(runId)[1]?.proposed.includes('b * a'), 'the second hunk');
    // Published in the same frame that wrote the hunk.
    expect(published).toHaveLength(2);
    last.open();
    await core.waitRun(runId, ['completed']);
    const [first, second] = core.suggestionsOf(runId);
    expect(second?.proposed).toBe('  return b * a;\n');
    // Once per hunk, each naming its suggestion (the frame that created it went first), and gone at the end.
    expect(published.map((p) => p.suggestionId)).toEqual([first!.id, second!.id]);
    expect(left).toBe(true);
  });
});
