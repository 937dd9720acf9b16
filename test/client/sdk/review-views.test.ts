import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { listRuns } from '../../../client/sdk/review-views.ts';

// The SDK's view of the review doc's runs: what the web client's run cards are drawn from.
describe('review views', () => {
  const runWith = (fields: Record<string, unknown>) => {
    const doc = new Y.Doc();
    const runs = doc.getMap<Y.Map<unknown>>('runs');
    const run = new Y.Map<unknown>();
    runs.set('r1', run);
    run.set('id', 'r1');
    for (const [k, v] of Object.entries(fields)) run.set(k, v);
    return listRuns(runs)[0]!;
  };

  it('CLASS-3: a run keeps tutor mode’s report as the server wrote it; none without tutor mode; a malformed one is left out', () => {
    const report = {
      maxChangedLines: 2,
      usedLines: 1,
      refused: [{ file: 'src/math.ts', suggestionId: 'r1-h0', lines: 4 }],
    };
    expect(runWith({ tutor: report }).tutor).toEqual(report);
    expect(runWith({}).tutor).toBeUndefined();
    expect('tutor' in runWith({})).toBe(false);
    expect(runWith({ tutor: { maxChangedLines: '2', usedLines: 1, refused: [] } }).tutor).toBeUndefined();
    expect(
      runWith({
        tutor: { maxChangedLines: 2, usedLines: 0, refused: [{ file: 3 }, null, report.refused[0]] },
      }).tutor,
    ).toEqual({ maxChangedLines: 2, usedLines: 0, refused: report.refused });
  });
});
