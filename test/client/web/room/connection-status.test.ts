import { describe, expect, it } from 'vitest';
import type { WebsocketProvider } from 'y-websocket';
import { SparkroomError } from '../../../../client/sdk/sparkroom-error.ts';
import {
  type ConnectionState,
  ConnectionStatus,
  describeClose,
} from '../../../../client/web/src/room/connection-status.ts';

/** The part of a y-websocket provider ConnectionStatus reads, driven by hand. */
class FakeProvider {
  wsconnected = false;
  synced = false;
  wsUnsuccessfulReconnects = 0;
  disconnected = false;
  private readonly handlers = new Map<string, Set<(...a: unknown[]) => void>>();
  on(event: string, fn: (...a: unknown[]) => void) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(fn);
  }
  off(event: string, fn: (...a: unknown[]) => void) {
    this.handlers.get(event)?.delete(fn);
  }
  emit(event: string, ...args: unknown[]) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
  disconnect() {
    this.disconnected = true;
  }
  goOnline() {
    this.wsconnected = true;
    this.synced = true;
    this.emit('sync', true);
  }
  drop(code = 1006, reason = '') {
    this.wsconnected = false;
    this.synced = false;
    this.wsUnsuccessfulReconnects++;
    this.emit('connection-close', { code, reason });
  }
}

function watch(probe: () => Promise<unknown> = () => Promise.resolve()) {
  const code = new FakeProvider();
  const review = new FakeProvider();
  const status = new ConnectionStatus([code, review] as unknown as WebsocketProvider[], probe);
  const seen: ConnectionState[] = [];
  status.subscribe((s) => seen.push(s));
  return { code, review, status, seen };
}

describe('connection status', () => {
  it('is online only when both documents are connected and synced', () => {
    const { code, review, status } = watch();
    expect(status.current.kind).toBe('connecting');
    code.goOnline();
    expect(status.current.kind).toBe('connecting');
    review.goOnline();
    expect(status.current.kind).toBe('online');
  });

  it('says reconnecting after a drop (busy when the server says so) and online again after resync', () => {
    const { code, review, status } = watch();
    code.goOnline();
    review.goOnline();
    code.drop(4503, 'too many rooms loading');
    expect(status.current).toEqual({
      kind: 'reconnecting',
      detail: 'The server is busy (too many rooms loading). Reconnecting…',
    });
    code.goOnline();
    expect(status.current.kind).toBe('online');
  });

  it('stops for good on a "do not retry" close and disconnects both documents', () => {
    const { code, review, status } = watch();
    code.goOnline();
    review.goOnline();
    review.emit('closed', { code: 4401, reason: 'token expired' });
    expect(status.current).toMatchObject({ kind: 'stopped', title: 'Access expired' });
    expect(code.disconnected && review.disconnected).toBe(true);
    code.goOnline();
    expect(status.current.kind).toBe('stopped');
  });

  it('asks the REST API why when the upgrade keeps failing, and stops on a revoked token', async () => {
    let probes = 0;
    const { code, status } = watch(() => {
      probes++;
      return Promise.reject(new SparkroomError('unauthorized', 'token expired; join the room again', 401));
    });
    code.drop();
    expect(probes).toBe(0); // one failure is just a network blip
    code.drop();
    expect(probes).toBe(1);
    await Promise.resolve();
    await Promise.resolve();
    expect(status.current).toMatchObject({ kind: 'stopped', title: 'Access expired' });
    expect(code.disconnected).toBe(true);
  });

  it('AUTH-6, SAFE-43: says why when the person was removed or the room deleted, and that it is for good', async () => {
    const { code, review, status } = watch();
    code.goOnline();
    review.goOnline();
    code.emit('closed', { code: 4411, reason: 'Ada removed you from this room' });
    expect(status.current).toEqual({
      kind: 'stopped',
      title: 'Removed from the room',
      detail: 'Ada removed you from this room. You can no longer see or edit it.',
      gone: true,
    });
    const deleted = watch();
    deleted.code.emit('closed', { code: 4410, reason: 'Ada deleted this room' });
    expect(deleted.status.current).toMatchObject({
      title: 'Room deleted',
      detail: 'Ada deleted this room: its files and history are gone.',
      gone: true,
    });
    // A refused upgrade says the same through the REST probe.
    const probed = watch(() => Promise.reject(new SparkroomError('removed', 'removed', 403)));
    probed.code.drop();
    probed.code.drop();
    await Promise.resolve();
    await Promise.resolve();
    expect(probed.status.current).toMatchObject({ title: 'Removed from the room', gone: true });
  });

  it('words every close code for people', () => {
    expect(describeClose(4403, 'forbidden').detail).toContain('forbidden');
    expect(describeClose(4404, '').title).toBe('Room gone');
    expect(describeClose(4429, 'awareness flood').detail).toMatch(/Too many updates/);
    expect(describeClose(4499, 'odd').title).toBe('Disconnected');
    // SAFE-37: a corrupt room is not something reloading fixes.
    expect(describeClose(4420, 'document x: stored update 2 fails its checksum')).toMatchObject({
      title: 'Room unavailable',
      detail: expect.stringMatching(/stored data damaged.*operator restores it/),
    });
    // SAFE-88: updates that waited for edits the server never got (ROOM-14) were not saved.
    expect(describeClose(4424, 'more than 100 updates wait')).toMatchObject({
      title: 'Out of sync',
      detail: expect.stringMatching(/never received, so they were not saved\. Reload the page/),
    });
  });
});
