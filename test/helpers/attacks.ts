import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import type { AwarenessEntry } from '../../server/rooms/awareness-codec.ts';

/**
 * The frames of issue 9's attacks, built the way a hostile client would (shared by the attack tests and
 * `npm run bench -- --only=attacks`, so both measure exactly the same input).
 */

/** One awareness frame's entries naming `count` new clientIDs, each with a small state. */
export function manyClientIdsAwareness(count: number, firstClientId = 1_000_000): AwarenessEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    clientId: firstClientId + i,
    clock: 1,
    state: { cursor: null },
  }));
}

/**
 * One update in which `count` clientIDs each prepend one character to `path` (created by the first).
 * Written with lib0 (the v1 update encoding): a Y.Doc switching clientIDs 10,000 times takes ~20 s.
 */
export function manyClientIdsUpdate(count: number, firstClientId = 2_000_000, path = 'many.ts'): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, count);
  // the first client: files[path] = new Y.Text() at clock 0, then 'x' into it at clock 1
  encoding.writeVarUint(e, 2);
  encoding.writeVarUint(e, firstClientId);
  encoding.writeVarUint(e, 0);
  writeNewText(e, path);
  encoding.writeUint8(e, 4);
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, firstClientId);
  encoding.writeVarUint(e, 0);
  encoding.writeVarString(e, 'x');
  // every other client: one 'x' before the previous client's
  for (let i = 1; i < count; i++) {
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint(e, firstClientId + i);
    encoding.writeVarUint(e, 0);
    encoding.writeUint8(e, 4 | 0b0100_0000);
    encoding.writeVarUint(e, firstClientId + i - 1);
    encoding.writeVarUint(e, i === 1 ? 1 : 0);
    encoding.writeVarString(e, 'x');
  }
  encoding.writeVarUint(e, 0);
  return encoding.toUint8Array(e);
}

/** The struct `files[path] = new Y.Text()` (ContentType whose parent is the root map, by name). */
function writeNewText(e: encoding.Encoder, path: string): void {
  encoding.writeUint8(e, 7 | 0b0010_0000);
  encoding.writeVarUint(e, 1); // parent is a root type, by name
  encoding.writeVarString(e, CODE_FILES_KEY);
  encoding.writeVarString(e, path);
  encoding.writeVarUint(e, 2); // YTextRefID
}

/**
 * `count` small updates of one client whose first struct (the file they all write into) is never sent:
 * Yjs can only hold them pending, and (before SAFE-30) retried all of them on every update that followed.
 */
export function orphanUpdates(count: number, clientId = 3_000_000, path = 'orphan.ts'): Uint8Array[] {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
  doc.transact(() => files.set(path, new Y.Text()));
  const text = files.get(path)!;
  // Each transaction's own update (what encodeStateAsUpdate from the state vector before it gives, but
  // without scanning the whole store for its delete set: 100,000 took 100 s that way).
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  for (let i = 0; i < count; i++) text.insert(0, 'o');
  doc.destroy();
  return out;
}

/**
 * An update that creates `path` and prepends `items` single characters to it, each its own Yjs item (a
 * prepend names the previous first character as its right origin, so Yjs can never merge them): about
 * 9 bytes on the wire and a couple of hundred bytes of server memory per item. Written with lib0 directly
 * (the v1 update encoding), since building 700,000 items through a Y.Doc would take the attacker longer
 * than the server.
 */
export function tinyItemsUpdate(items: number, clientId = 4_000_000, path = 'tiny.ts'): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1); // one client
  encoding.writeVarUint(e, items + 1); // its structs
  encoding.writeVarUint(e, clientId);
  encoding.writeVarUint(e, 0); // first clock
  writeNewText(e, path); // clock 0
  // clock k (k >= 1): 'x' inserted before clock k-1 (right origin only), or into the empty text first.
  encoding.writeUint8(e, 4);
  encoding.writeVarUint(e, 0); // parent given by ID: the text item
  encoding.writeVarUint(e, clientId);
  encoding.writeVarUint(e, 0);
  encoding.writeVarString(e, 'x');
  for (let k = 2; k <= items; k++) {
    encoding.writeUint8(e, 4 | 0b0100_0000);
    encoding.writeVarUint(e, clientId);
    encoding.writeVarUint(e, k - 1);
    encoding.writeVarString(e, 'x');
  }
  encoding.writeVarUint(e, 0); // empty delete set
  return encoding.toUint8Array(e);
}

/** The item count that makes `tinyItemsUpdate` about `bytes` long. */
export function tinyItemsFor(bytes: number, clientId = 4_000_000): number {
  const sample = tinyItemsUpdate(100_000, clientId).byteLength / 100_000;
  return Math.floor(bytes / sample);
}

/** An awareness state of about `bytes` bytes of JSON. */
export function bigAwarenessState(bytes: number): Record<string, unknown> {
  return { cursor: null, note: 'a'.repeat(Math.max(0, bytes - 30)) };
}
