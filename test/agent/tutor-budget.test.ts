import { describe, expect, it } from 'vitest';
import { HunkLines } from '../../server/agent/tutor-budget.ts';

const base = 'export function add(a: number, b: number): number {\n  return a - b;\n}\n';
const proposed = '  // hint: which operator adds?\n  // look at the test\n  // and again\n  return a + b;\n';

describe('CLASS-3: the lines a streaming hunk changes', () => {
  it('CLASS-3: a refusal counts up to the line that passed the budget, whether the text came whole or line by line', () => {
    const whole = new HunkLines(base).push(proposed, 1);
    const byLine = new HunkLines(base);
    let atLeast = 0;
    for (const line of proposed.split(/(?<=\n)/)) {
      atLeast = byLine.push(line, 1);
      if (atLeast > 1) break;
    }
    expect(whole).toBe(2);
    expect(atLeast).toBe(2);
  });

  it('CLASS-3: without a limit every certainly-added line is counted, and lines of the base match once each', () => {
    const lines = new HunkLines(base);
    expect(lines.push('  return a - b;\n  return a - b;\n')).toBe(1);
    expect(lines.push(proposed)).toBe(5);
    expect(lines.final(base.replace('a - b', 'a + b'))).toBe(1);
  });
});
