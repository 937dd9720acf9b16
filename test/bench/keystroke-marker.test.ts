import { describe, expect, it } from 'vitest';
import { EDIT_FILE_TEXT } from '../../bench/lib/seed-content.ts';
import { KEYSTROKE_MARKER, keystrokeMarker } from '../../bench/scenarios/browser-keystroke-phase.ts';

/*
 * PERF-189: the browser scenario's typed markers share their 'z's ("z0z1z2z…"); the watcher page times
 * marker i when the pattern first matches it, which must be exactly when its closing 'z' is in the text.
 */
const markersIn = (text: string) => [...text.matchAll(KEYSTROKE_MARKER)].map((m) => Number(m[1]));

describe('the browser keystroke markers (PERF-189)', () => {
  it('PERF-189: every marker typed back to back is found once, in order, in front of the seed text', () => {
    const typed = `z${Array.from({ length: 150 }, (_, i) => keystrokeMarker(i)).join('')}`;
    expect(markersIn(typed + EDIT_FILE_TEXT)).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });

  it('PERF-189: a marker is not found before its closing z, nor one that is a prefix of it', () => {
    expect(markersIn('z0z1')).toEqual([0]);
    expect(markersIn('z0z12')).toEqual([0]);
    expect(markersIn('z0z12z')).toEqual([0, 12]);
  });

  it('PERF-189: the seed text alone holds no marker', () => {
    expect(markersIn(EDIT_FILE_TEXT)).toEqual([]);
  });
});
