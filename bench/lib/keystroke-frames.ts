import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { updateFrame } from '../../server/rooms/y-websocket-frames.ts';

/**
 * Every person's keystrokes in `rooms` rooms of `people`, prepared up front: per room, the seed frame (one
 * file of 1,200 characters) and then `perRoom` frames of one character typed into it, the people taking turns
 * (frame k is person (k - 1) % people's).
 */
export function keystrokeFrames(rooms: number, people: number, perRoom: number): Uint8Array[][] {
  const all: Uint8Array[][] = [];
  for (let r = 0; r < rooms; r++) {
    const docs = Array.from({ length: people }, (_, i) => {
      const d = new Y.Doc();
      d.clientID = 1000 + r * 10 + i;
      return d;
    });
    const frames: Uint8Array[] = [];
    const seed = new Y.Doc();
    seed.clientID = 999_000 + r;
    seed.getMap<Y.Text>(CODE_FILES_KEY).set('main.ts', new Y.Text('x'.repeat(1200)));
    const seedUpdate = Y.encodeStateAsUpdate(seed);
    frames.push(updateFrame(seedUpdate));
    for (const d of docs) Y.applyUpdate(d, seedUpdate);
    for (let k = 0; k < perRoom; k++) {
      const author = docs[k % people]!;
      let update: Uint8Array | null = null;
      const grab = (u: Uint8Array) => {
        update = u;
      };
      author.on('update', grab);
      const text = author.getMap<Y.Text>(CODE_FILES_KEY).get('main.ts')!;
      text.insert(text.length >> 1, 'a');
      author.off('update', grab);
      for (const d of docs) if (d !== author) Y.applyUpdate(d, update!);
      frames.push(updateFrame(update!));
    }
    all.push(frames);
  }
  return all;
}

/** The update inside a sync update frame [0, 2, len, ...update]. */
export function frameUpdate(frame: Uint8Array): Uint8Array {
  let at = 2;
  while (frame[at]! & 0x80) at++;
  return frame.subarray(at + 1);
}
