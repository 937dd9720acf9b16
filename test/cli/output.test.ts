import { describe, expect, it } from 'vitest';
import { consoleOutput } from '../../client/cli/output.ts';

/** A stream stand-in that keeps what is written. */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    isTTY,
    write: (s: string) => {
      chunks.push(s);
      return true;
    },
    text: () => chunks.join(''),
  };
}

describe('IO-19: progress for transfers', () => {
  it('IO-19: off a terminal, the finished figure is printed even when no 10% or MB step was crossed', () => {
    const out = sink(false);
    const o = consoleOutput(sink(false) as never, out as never);
    // A 300 kB upload: the first chunk printed "sent 0 kB", and that was the only line before.
    for (const sent of [10, 64 * 1024, 200 * 1024, 300 * 1024])
      o.progress('uploading 5 files, sent', sent, null);
    o.progressDone();
    expect(out.text()).toBe('uploading 5 files, sent 0 kB\nuploading 5 files, sent 300 kB\n');
  });

  it('IO-19: with a total, a line every 10%, and the end once', () => {
    const out = sink(false);
    const o = consoleOutput(sink(false) as never, out as never);
    for (let done = 0; done <= 100; done += 5) o.progress('pulling', done * 1024, 100 * 1024);
    o.progressDone();
    const lines = out.text().trimEnd().split('\n');
    expect(lines[0]).toBe('pulling 0 kB / 100 kB (0%)');
    expect(lines.at(-1)).toBe('pulling 100 kB / 100 kB (100%)');
    expect(lines).toHaveLength(11);
  });

  it('IO-19: on a terminal the line is redrawn in place and ended once', () => {
    const out = sink(true);
    const o = consoleOutput(sink(true) as never, out as never);
    o.progress('sent', 1024, null);
    o.progress('sent', 2048, null);
    o.progressDone();
    expect(out.text()).toBe('\rsent 1 kB\u001b[K\rsent 2 kB\u001b[K\n');
  });
});
