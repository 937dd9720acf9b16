import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { CODE_FILES_KEY, messageType } from '../../schema/protocol.ts';
import type { RoomSocket } from '../../server/rooms/room-socket.ts';
import { until } from '../helpers/wait.ts';

/**
 * The in-memory twin of the ws adapter: records every frame the room sends, applies document frames to a
 * local Y.Doc (what a client would show), and lets a test set `bufferedAmount` to play a slow reader.
 */
export class FakeRoomSocket implements RoomSocket {
  readonly sent: Uint8Array[] = [];
  readonly doc = new Y.Doc();
  closed: { code: number; reason: string } | null = null;
  bufferedAmount = 0;
  /** document updates received as broadcasts (sync "update" messages) */
  updates = 0;
  /** sync step 2 answers received */
  syncAnswers = 0;
  awarenessFrames = 0;
  private readonly listeners = new Set<() => void>();

  send(data: Uint8Array): void {
    if (this.closed) throw new Error('the room sent on a socket it had closed');
    this.sent.push(data);
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    if (type === messageType.sync) {
      const syncType = decoding.readVarUint(decoder);
      if (syncType !== syncProtocol.messageYjsSyncStep1) {
        Y.applyUpdate(this.doc, decoding.readVarUint8Array(decoder));
        if (syncType === syncProtocol.messageYjsSyncStep2) this.syncAnswers++;
        else this.updates++;
      }
    } else if (type === messageType.awareness) {
      this.awarenessFrames++;
    }
    this.emit();
  }

  close(code: number, reason: string): void {
    if (this.closed) throw new Error(`socket closed twice (${this.closed.code}, then ${code})`);
    this.closed = { code, reason };
    this.emit();
  }

  text(path: string): string {
    return this.doc.getMap<Y.Text>(CODE_FILES_KEY).get(path)?.toString() ?? '';
  }

  /** Resolves when `check` returns true, re-checked on every frame and on close. */
  async when(check: () => boolean, what = 'socket condition'): Promise<void> {
    await until(
      () => check() || undefined,
      (cb) => {
        this.listeners.add(cb);
        return () => this.listeners.delete(cb);
      },
      5000,
      what,
    );
  }

  private emit(): void {
    for (const fn of [...this.listeners]) fn();
  }
}
