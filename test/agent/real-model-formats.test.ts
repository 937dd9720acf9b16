import { afterEach, describe, expect, it } from 'vitest';
import {
  type AgentRoom,
  MATH_SOURCE,
  startAgentRoom,
  suggestionsOf,
  waitRunStatus,
} from '../helpers/agent-room.ts';

/*
 * The deviations real models write (issue 16), through the real provider and the fake model: the hunk
 * lands where a person expects and is accepted into exactly the intended code, and no marker line ever
 * reaches the code. The parser's fixtures check each shape at every chunk split; these check placement.
 */
describe('what real models write lands where a person expects (AGENT-13..16, AGENT-18)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  async function runReply(r: AgentRoom, reply: string) {
    r.fake.enqueue({ text: reply, tokensPerSecond: 3000 });
    const review = r.client(r.people[0]!.token, { review: true });
    const runId = await r.prompt(r.people[1]!.token, 'fix add');
    const run = await waitRunStatus(review, runId, ['completed', 'failed']);
    return { run, suggestions: suggestionsOf(review).filter((s) => s.runId === runId) };
  }

  async function acceptAll(r: AgentRoom, ids: string[]): Promise<void> {
    for (const id of ids) {
      const res = await r.post(r.people[0]!.token, `/suggestions/${id}/accept`);
      expect(res.status).toBe(200);
    }
  }

  it('AGENT-13/16: `=======` closing the section, a path on the fence line: one complete hunk, no marker in the code', async () => {
    room = await startAgentRoom({ model: 'llama-3.3-70b' });
    const reply = `Fixing the sign.
\`\`\`src/math.ts
<<<<<<< SEARCH
  return a - b;
=======
  return a + b;
=======
\`\`\`
This makes add() add.
`;
    const { run, suggestions } = await runReply(room, reply);
    expect(run.unanchored).toEqual([]);
    expect(run.message).toBe('Fixing the sign.\nThis makes add() add.\n');
    expect(suggestions).toHaveLength(1);
    expect(suggestions[0]).toMatchObject({
      file: 'src/math.ts',
      state: 'proposed',
      baseText: '  return a - b;\n',
      proposed: '  return a + b;\n',
    });
    await acceptAll(room, [suggestions[0]!.id]);
    await room.code.waitForText('src/math.ts', (t) => t === MATH_SOURCE.replace('a - b', 'a + b'));
    expect(room.code.text('src/math.ts')).not.toContain('=======');
  });

  it('AGENT-16: a path alone in its own fence before the block (the shape aider reads for Deepseek)', async () => {
    room = await startAgentRoom({ model: 'llama-3.3-70b' });
    const reply = `\`\`\`ts
src/math.ts
\`\`\`
\`\`\`ts
<<<<<<< SEARCH
  return a * b;
=======
  return a * b * 1;
>>>>>>> REPLACE
\`\`\`
`;
    const { run, suggestions } = await runReply(room, reply);
    expect(run.unanchored).toEqual([]);
    expect(suggestions.map((s) => [s.file, s.baseText, s.proposed])).toEqual([
      ['src/math.ts', '  return a * b;\n', '  return a * b * 1;\n'],
    ]);
  });

  it('AGENT-18: a patch with padded markers closes, and the prose after it stays prose', async () => {
    room = await startAgentRoom();
    const reply = `*** Begin Patch  
  *** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
 *** End Patch
Done, add() adds.
`;
    const { run, suggestions } = await runReply(room, reply);
    expect(run.unanchored).toEqual([]);
    expect(run.message).toBe('Done, add() adds.\n');
    expect(suggestions.map((s) => [s.baseText, s.proposed, s.state])).toEqual([
      ['  return a - b;\n', '  return a + b;\n', 'proposed'],
    ]);
  });
  const SHAPES = [
    'class Circle:',
    '    def area(self):',
    '        return 0',
    '',
    'class Square:',
    '    def area(self):',
    '        return 0',
    '',
  ].join('\n');

  async function withShapes(r: AgentRoom): Promise<void> {
    r.code.edit('src/shapes.py', (t) => t.insert(0, SHAPES));
    await r.client(r.people[0]!.token).waitForText('src/shapes.py', (t) => t === SHAPES);
  }

  it('AGENT-14: `@@ class` / `@@ def` headers place a hunk whose lines occur twice, in the class they name', async () => {
    room = await startAgentRoom();
    await withShapes(room);
    const reply = `*** Begin Patch
*** Update File: src/shapes.py
@@ class Square:
@@     def area(self):
-        return 0
+        return self.side ** 2
*** End Patch
`;
    const { run, suggestions } = await runReply(room, reply);
    expect(run.unanchored).toEqual([]);
    expect(suggestions).toHaveLength(1);
    await acceptAll(room, [suggestions[0]!.id]);
    const expected = SHAPES.replace(/return 0\n$/, 'return self.side ** 2\n');
    expect(expected).not.toBe(SHAPES);
    await room.code.waitForText('src/shapes.py', (t) => t === expected);
  });

  it('AGENT-14: the same hunk without headers is refused as ambiguous, and a header not in the file says so', async () => {
    room = await startAgentRoom();
    await withShapes(room);
    const reply = `*** Begin Patch
*** Update File: src/shapes.py
@@
-        return 0
+        return 1
@@ class Triangle:
-        return 0
+        return 2
*** End Patch
`;
    const { run, suggestions } = await runReply(room, reply);
    expect(suggestions).toEqual([]);
    expect(run.unanchored).toEqual([
      { file: 'src/shapes.py', reason: 'the old text matches more than one place' },
      { file: 'src/shapes.py', reason: 'the @@ line was not found: class Triangle:' },
    ]);
  });

  it('AGENT-15: `+` lines only (with `*** End of File`) are appended at the end of the file', async () => {
    room = await startAgentRoom();
    const reply = `*** Begin Patch
*** Update File: src/math.ts
@@ export function mul(a: number, b: number): number {
+
+export const ZERO = 0;
*** End of File
*** End Patch
`;
    const { run, suggestions } = await runReply(room, reply);
    expect(run.unanchored).toEqual([]);
    expect(suggestions.map((s) => [s.baseText, s.proposed, s.state])).toEqual([
      ['', '\nexport const ZERO = 0;\n', 'proposed'],
    ]);
    await acceptAll(room, [suggestions[0]!.id]);
    await room.code.waitForText('src/math.ts', (t) => t === `${MATH_SOURCE}\nexport const ZERO = 0;\n`);
  });

  it('AGENT-15: a pure addition to a file whose last line has no newline starts on a new line', async () => {
    room = await startAgentRoom();
    room.code.edit('src/tail.ts', (t) => t.insert(0, 'export const a = 1;'));
    await room.client(room.people[0]!.token).waitForText('src/tail.ts', (t) => t === 'export const a = 1;');
    const reply = `*** Begin Patch
*** Update File: src/tail.ts
@@
+export const b = 2;
*** End Patch
`;
    const { run, suggestions } = await runReply(room, reply);
    expect(run.unanchored).toEqual([]);
    expect(suggestions).toHaveLength(1);
    await acceptAll(room, [suggestions[0]!.id]);
    await room.code.waitForText('src/tail.ts', (t) => t === 'export const a = 1;\nexport const b = 2;\n');
  });
});
