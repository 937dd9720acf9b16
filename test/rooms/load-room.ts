import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { Room } from '../../server/rooms/room.ts';

/** Room `big` loaded from `store` with the default limits but `compactAfterBytes`, on a clock stuck at 0. */
export function loadBigRoom(
  store: DocStore,
  compactAfterBytes = defaultLimits.compactAfterBytes,
): Promise<Room> {
  return Room.load('big', {
    docStore: store,
    limits: { ...defaultLimits, compactAfterBytes },
    log: silentLogger,
    now: () => 0,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
}

/**
 * Joins without building a document in this process (which is the server's too) and resolves with the
 * server's sync step 1, which it sends once the room is loaded: its state vector, undecoded.
 */
export function joinUntilLoaded(url: string, stay?: (ws: WebSocket) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => {
      // [0 sync, 0 step 1]: the server's state vector
      if (data[0] === 0 && data[1] === 0) {
        resolve(data.byteLength);
        if (stay) stay(ws);
        else ws.close();
      }
    });
    ws.on('error', reject);
    ws.on('close', (code) => reject(new Error(`closed ${code} before the document arrived`)));
  });
}

/** 2,000 files of 170 lines (24 MB of text), written by one client in 2,000 updates, and the line repeated. */
export function twoThousandFiles(clientID: number): { updates: Uint8Array[]; line: string } {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
  const line = 'export const value = computeSomething(alpha, beta, gamma); // comment\n';
  for (let f = 0; f < 2000; f++) files.set(`src/f${f}.ts`, new Y.Text(line.repeat(170)));
  doc.destroy();
  return { updates, line };
}
