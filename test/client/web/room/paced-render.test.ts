import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pacedRender } from '../../../../client/web/src/room/paced-render.ts';
import { type RoomParts, roomLiveUpdates } from '../../../../client/web/src/room/room-live-updates.ts';
import type { RoomSession } from '../../../../client/web/src/room/room-session.ts';

describe('PERF-111: the Spark panel is drawn outside the stream frames', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('PERF-111: a review change (one per streamed frame) asks the panel for a paced render, not one in the frame', () => {
    const handlers = new Map<string, () => void>();
    const session = {
      on: (topic: string, fn: () => void) => {
        handlers.set(topic, fn);
        return () => handlers.delete(topic);
      },
    } as unknown as RoomSession;
    const calls: string[] = [];
    const parts = new Proxy({} as RoomParts, {
      get: (_t, name) => () => calls.push(String(name)),
    });
    roomLiveUpdates(session, parts);
    handlers.get('review')!();
    expect(calls).toContain('renderSparkPanelSoon');
    expect(calls).not.toContain('renderSparkPanel');
    // A policy change still draws the panel at once (WEB-11).
    calls.length = 0;
    handlers.get('info')!();
    expect(calls).toContain('renderSparkPanel');
  });

  it('PERF-111: soon() never draws in the caller, draws at most once per interval, and the last request is drawn', () => {
    let drawn = 0;
    const pace = pacedRender(() => drawn++, 100);
    pace.soon();
    expect(drawn).toBe(0);
    vi.advanceTimersByTime(0);
    expect(drawn).toBe(1);
    // 60 frames a second for half a second: six renders, not thirty.
    for (let frame = 0; frame < 30; frame++) {
      pace.soon();
      vi.advanceTimersByTime(16);
    }
    vi.advanceTimersByTime(100);
    expect(drawn).toBeGreaterThanOrEqual(5);
    expect(drawn).toBeLessThanOrEqual(7);
    const before = drawn;
    pace.soon();
    pace.now();
    expect(drawn).toBe(before + 1);
    vi.advanceTimersByTime(200);
    expect(drawn).toBe(before + 1);
    pace.soon();
    pace.cancel();
    vi.advanceTimersByTime(200);
    expect(drawn).toBe(before + 1);
  });
});
