import { describe, expect, it } from 'vitest';
import { stoppedNote } from '../../../../client/web/src/room/run-card.ts';
import { formatDuration } from '../../../../client/web/src/ui/duration.ts';
import { type RunView, SERVER_ACTOR_ID } from '../../../../schema/protocol.ts';

const run = (over: Partial<RunView>): RunView => ({
  id: 'r1',
  prompt: 'p',
  file: null,
  requestedBy: 'u-ada',
  requestedByName: 'Ada',
  model: 'm',
  status: 'interrupted',
  steers: [],
  interruptedBy: 'u-bob',
  error: null,
  unanchored: [],
  message: '',
  // What the server records for every stop: the stop itself settles at once.
  metrics: { ttftMs: 400, tokens: 80, tokensPerSecond: 12, interruptToQuiescenceMs: 0 },
  createdAt: 1_000_000,
  endedAt: 1_000_000 + 61_500,
  ...over,
});

const names: Record<string, string> = { 'u-bob': 'Bob' };
const nameOf = (id: string) => names[id] ?? 'someone';

describe('a stopped run card (WEB-106)', () => {
  it('WEB-106: says who stopped the run and how long it ran, not how long the stop took to settle', () => {
    expect(stoppedNote(run({}), nameOf)).toBe('Stopped by Bob after 1 min 01 s.');
    expect(stoppedNote(run({ endedAt: 1_000_000 + 4_250 }), nameOf)).toBe('Stopped by Bob after 4.3 s.');
    // Stopped by the server (a restart), not a person: no name to give.
    expect(stoppedNote(run({ interruptedBy: null, endedAt: 1_000_120 }), nameOf)).toBe(
      'Stopped after 120 ms.',
    );
    // No end time recorded: who, without a made-up duration.
    expect(stoppedNote(run({ endedAt: null }), nameOf)).toBe('Stopped by Bob.');
    // WEB-126: stopped by the server as it shut down: said so, not "by someone".
    expect(stoppedNote(run({ interruptedBy: SERVER_ACTOR_ID, endedAt: 1_000_000 + 24_600 }), nameOf)).toBe(
      'Stopped after 24.6 s: the server shut down.',
    );
    expect(stoppedNote(run({ interruptedBy: SERVER_ACTOR_ID, endedAt: null }), nameOf)).toBe(
      'Stopped: the server shut down.',
    );
  });

  it.each([
    [0, '0 ms'],
    [999.4, '999 ms'],
    [1_000, '1.0 s'],
    [59_940, '59.9 s'],
    [60_000, '1 min 00 s'],
    [3_599_999, '59 min 59 s'],
    [3_600_000, '1 h 00 min'],
    [5 * 3_600_000 + 3 * 60_000 + 59_000, '5 h 03 min'],
    [-5, '0 ms'],
  ])('WEB-106: formatDuration(%d) is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
