import { describe, expect, it } from 'vitest';
import { findAnchor } from '../../server/agent/anchor-matcher.ts';
import { createEditParser, type EditEvent } from '../../server/agent/edit-parser.ts';
import {
  buildContext,
  buildInstructions,
  contextCharBudget,
  formatForModel,
} from '../../server/agent/prompt-builder.ts';

describe('formatForModel', () => {
  it.each([
    ['gpt-5.3-codex-spark', 'apply_patch'],
    ['gpt-5', 'apply_patch'],
    ['GPT-5-mini', 'apply_patch'],
    ['codex-mini-latest', 'apply_patch'],
    ['openai/gpt-5.1-codex', 'apply_patch'],
    ['gpt-4.1', 'search_replace'],
    ['qwen2.5-coder:7b', 'search_replace'],
    ['llama-3.3-70b', 'search_replace'],
  ] as const)('%s -> %s', (model, format) => {
    expect(formatForModel(model)).toBe(format);
  });
});

describe('buildInstructions', () => {
  it.each(['apply_patch', 'search_replace'] as const)(
    '%s: its own example parses into one edit and one line of prose',
    (format) => {
      const instructions = buildInstructions(format);
      expect(instructions).toMatch(/smallest edit/);
      expect(instructions).toMatch(/one short line/);
      const example = instructions.slice(instructions.indexOf('Example: fix the sign in add().\n') + 32);
      const parser = createEditParser(format);
      const events: EditEvent[] = [...parser.push(example), ...parser.end()];
      const starts = events.filter((e) => e.type === 'hunk-start');
      expect(starts).toHaveLength(1);
      expect(starts[0]).toMatchObject({ file: 'src/math.ts' });
      expect(events.filter((e) => e.type === 'parse-error')).toEqual([]);
      expect(events.filter((e) => e.type === 'hunk-end')).toEqual([
        { type: 'hunk-end', hunk: 0, complete: true },
      ]);
      const prose = events.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');
      expect(prose.trim()).toBe('Fixed the sign in add().');
    },
  );

  it('names only its own format', () => {
    expect(buildInstructions('apply_patch')).not.toMatch(/<<<<<<< SEARCH/);
    expect(buildInstructions('search_replace')).not.toMatch(/\*\*\* Begin Patch/);
  });
});

const lines = (n: number, prefix: string) =>
  `${Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`).join('\n')}\n`;

describe('buildContext', () => {
  const small = { path: 'src/a.ts', text: 'export const a = 1;\n' };
  const backticks = { path: 'README.md', text: 'Run:\n```sh\nnpm test\n```\n' };
  const focus = { path: 'src/main.ts', text: 'const x = 1;\nconst y = 2;\nconsole.log(x + y);\n' };

  it('renders the focus file first, verbatim and without line numbers, then the others, then the request', () => {
    const ctx = buildContext({
      files: [small, backticks, focus],
      focusFile: 'src/main.ts',
      prompt: 'add z',
      maxChars: 10_000,
    });
    expect(ctx.included).toEqual(['src/main.ts', 'src/a.ts', 'README.md']);
    expect(ctx.omitted).toEqual([]);
    expect(ctx.text.indexOf('src/main.ts')).toBeLessThan(ctx.text.indexOf('src/a.ts'));
    expect(ctx.text).toContain(`\n${focus.text}`);
    expect(ctx.text).not.toMatch(/^\s*\d+[:|]\s*const x/m);
    expect(ctx.text.trimEnd().endsWith('## Request\nadd z')).toBe(true);
  });

  it('fences each file with more backticks than it contains', () => {
    const ctx = buildContext({ files: [backticks], prompt: 'p', maxChars: 10_000 });
    expect(ctx.text).toContain(`\`\`\`\`\n${backticks.text}\`\`\`\`\n`);
  });

  it('shows the selection with its line range, leaving the file text untouched', () => {
    const from = focus.text.indexOf('const y');
    const ctx = buildContext({
      files: [focus],
      focusFile: focus.path,
      selection: { from, to: from + 'const y = 2;'.length },
      prompt: 'rename y',
      maxChars: 10_000,
    });
    expect(ctx.text).toContain('selected this in src/main.ts (lines 2-2)');
    expect(ctx.text).toContain('```\nconst y = 2;\n```');
    expect(ctx.text).toContain(`\n${focus.text}`);
  });

  it('gives a cursor position when the selection is empty', () => {
    const ctx = buildContext({
      files: [focus],
      focusFile: focus.path,
      selection: { from: focus.text.length, to: focus.text.length },
      prompt: 'p',
      maxChars: 10_000,
    });
    expect(ctx.text).toContain('cursor is in src/main.ts at line 4');
  });

  it('stays within the budget, skipping files that do not fit and naming them', () => {
    const big = { path: 'src/big.ts', text: lines(400, 'const big') };
    const files = [small, big, backticks];
    const maxChars = 1_000;
    const ctx = buildContext({ files, prompt: 'do it', maxChars });
    expect(ctx.text.length).toBeLessThanOrEqual(maxChars);
    expect(ctx.included).toEqual(['src/a.ts', 'README.md']);
    expect(ctx.omitted).toEqual(['src/big.ts']);
    expect(ctx.text).toContain('Not shown (too large for the context; do not edit): src/big.ts');
    expect(ctx.text).not.toContain('const big 1\n');
  });

  it('never exceeds the budget, whatever it is', () => {
    const huge = { path: 'src/huge-file-with-a-long-name.ts', text: lines(3_000, 'x') };
    const files = [
      small,
      huge,
      backticks,
      focus,
      { path: 'notes/very/deep/path/file.md', text: lines(80, '#') },
    ];
    const selection = { from: 100, to: 5_000 };
    for (const maxChars of [300, 600, 1_000, 2_500, 6_000, 20_000, 60_000]) {
      const ctx = buildContext({
        files,
        focusFile: huge.path,
        selection,
        prompt: 'make it faster',
        maxChars,
      });
      expect(ctx.text.length, `maxChars ${maxChars}`).toBeLessThanOrEqual(maxChars);
      expect([...ctx.included, ...ctx.omitted].sort()).toEqual(files.map((f) => f.path).sort());
    }
  });

  it('excerpts a focus file that is too big around the selection, with true line numbers', () => {
    const text = lines(5_000, 'line');
    const from = text.indexOf('line 2500\n');
    const maxChars = 4_000;
    const ctx = buildContext({
      files: [{ path: 'huge.txt', text }],
      focusFile: 'huge.txt',
      selection: { from, to: from + 4 },
      prompt: 'p',
      maxChars,
    });
    expect(ctx.text.length).toBeLessThanOrEqual(maxChars);
    expect(ctx.included).toEqual(['huge.txt']);
    const header = /lines (\d+)-(\d+) of 5000/.exec(ctx.text);
    expect(header).not.toBeNull();
    const [first, last] = [Number(header?.[1]), Number(header?.[2])];
    expect(first).toBeLessThan(2500);
    expect(last).toBeGreaterThan(2500);
    expect(ctx.text).toContain(`line ${first}\n`);
    expect(ctx.text).toContain(`line ${last}\n`);
    expect(ctx.text).not.toContain(`line ${last + 1}\n`);
  });

  it('adds a line index to long files whose entries name the right lines', () => {
    const text = lines(300, 'row');
    const ctx = buildContext({ files: [{ path: 'long.txt', text }], prompt: 'p', maxChars: 100_000 });
    const entries = [...ctx.text.matchAll(/^ {2}(\d+): (.*)$/gm)];
    expect(entries.length).toBeGreaterThan(2);
    for (const [, n, start] of entries) expect(start).toBe(`row ${n}`);
  });

  it('text copied from the context anchors in the file it came from', () => {
    const file = { path: 'src/a.ts', text: 'function f() {\n\treturn 1;\n}\n' };
    const ctx = buildContext({ files: [file], prompt: 'p', maxChars: 10_000 });
    const shown = ctx.text.slice(ctx.text.indexOf('```\n') + 4);
    const copied = shown.slice(shown.indexOf('\treturn'), shown.indexOf('}'));
    expect(findAnchor(file.text, { contextBefore: '', oldText: copied })).toEqual({
      ok: true,
      from: 15,
      to: 26,
      tier: 'exact',
    });
  });
});

describe('SAFE-156: a turn reads only the files it can show', () => {
  it('SAFE-156: of a room of 2,000 files of 12 KB, only those that fit are read, each once; the others are named', () => {
    const text = lines(500, 'export const value = compute(alpha, beta);');
    const reads = new Map<string, number>();
    const files = Array.from({ length: 2_000 }, (_, i) => ({
      path: `src/f${i}.ts`,
      length: text.length,
      read: () => {
        reads.set(`src/f${i}.ts`, (reads.get(`src/f${i}.ts`) ?? 0) + 1);
        return text;
      },
    }));
    const maxChars = contextCharBudget(4_096);
    const ctx = buildContext({ files, focusFile: 'src/f7.ts', prompt: 'p', maxChars });
    expect(ctx.text.length).toBeLessThanOrEqual(maxChars);
    expect(ctx.included[0]).toBe('src/f7.ts');
    expect(ctx.included.length).toBeGreaterThan(10);
    expect(ctx.included.length + ctx.omitted.length).toBe(2_000);
    // Before, every file of the room was read and rendered at every turn to learn that it did not fit.
    expect([...reads.keys()].sort()).toEqual([...ctx.included].sort());
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    // The same text as files given whole.
    const whole = buildContext({
      files: files.map((f) => ({ path: f.path, text })),
      focusFile: 'src/f7.ts',
      prompt: 'p',
      maxChars,
    });
    expect(ctx).toEqual(whole);
  });
});

describe('contextCharBudget', () => {
  it('leaves the output and instructions out of the 128k window', () => {
    expect(contextCharBudget(8_000)).toBe(Math.floor((128_000 - 8_000 - 1_500) * 3.5));
    expect(contextCharBudget(200_000)).toBe(0);
  });
});
