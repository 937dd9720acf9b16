import { describe, expect, it } from 'vitest';
import { reviewSummary } from '../../server/review/review-summary.ts';

describe('review summary (CR-10)', () => {
  const base = { roomName: 'R', generatedAt: 0, changes: null, base: null, verdicts: [], accepted: [] };

  it('CR-10: quoted code with backticks cannot close its fence, and names cannot start Markdown blocks', () => {
    const md = reviewSummary({
      ...base,
      roomName: 'Room\n# injected',
      threads: [
        {
          id: 't1',
          file: 'a.md',
          side: 'head',
          start: '',
          end: '',
          quote: 'text ``` more',
          length: 13,
          line: 1,
          createdBy: 'u',
          createdByName: 'U',
          createdAt: 0,
          resolved: false,
          resolvedBy: null,
          resolvedAt: null,
          comments: [{ id: 'c', by: 'u', byName: 'Eve\n## x', text: 'a\nb', at: 0, editedAt: null }],
          anchor: { from: 0, to: 13, line: 1, deleted: false },
          suggestions: [],
        },
      ],
    });
    expect(md).toContain('# Review: Room # injected');
    expect(md).toContain('````\ntext ``` more\n````');
    expect(md).toContain('> **Eve ## x**');
    expect(md).toContain('> a\n> b');
    expect(md.split('\n').filter((l) => l.startsWith('## '))).toEqual([
      '## Changed files',
      '## Open threads (1)',
      '## Resolved threads (0)',
      '## Verdicts',
      '## Accepted Spark changes',
    ]);
  });

  it('CR-13: with a base, changed files are a table with + and - counts', () => {
    const md = reviewSummary({
      ...base,
      threads: [],
      base: { ref: 'main', setAt: 0, setByName: 'Ada' },
      changes: [{ file: 'src/a|b.ts', status: 'modified', added: 3, removed: 1 }],
    });
    expect(md).toContain('Against the base version (main) set by Ada');
    expect(md).toContain('| `src/a\\|b.ts` | modified | +3 | -1 |');
  });
});
