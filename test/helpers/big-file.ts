import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';

/**
 * A 450 KB file of 10,000 lines as an editor who typed it leaves it: 224,000 Yjs items of two characters,
 * written by two alternating clients so Yjs cannot merge them (SAFE-142, SAFE-156). Reading such a file
 * walks every item: the cost of a file is its item count, not its bytes.
 */
export const BIG_FILE_LINES = Array.from(
  { length: 10_000 },
  (_, i) => `export const value${i} = ${i}; // ${'-'.repeat(10)}`,
);
export const BIG_FILE_TEXT = `${BIG_FILE_LINES.join('\n')}\n`;

const updates = new Map<string, Uint8Array>();

/** The update that creates `path` holding BIG_FILE_TEXT as 224,000 items (clients 11 and 12). */
export function bigFileUpdate(path: string): Uint8Array {
  const known = updates.get(path);
  if (known) return known;
  const doc = new Y.Doc();
  const ytext = new Y.Text();
  doc.getMap<Y.Text>(CODE_FILES_KEY).set(path, ytext);
  doc.transact(() => {
    for (let i = 0; i < BIG_FILE_TEXT.length; i += 2) {
      doc.clientID = 11 + ((i / 2) % 2);
      ytext.insert(i, BIG_FILE_TEXT.slice(i, i + 2));
    }
  });
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  updates.set(path, update);
  return update;
}

/**
 * An edit typing `text` at the start of the big file as client 13, without holding the file: the item is
 * written by hand with the file's first item (client 11, clock 0) as its right origin, as Yjs would.
 */
export function typedAtBigFileStart(text: string): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1); // one client
  encoding.writeVarUint(e, 1); // one struct
  encoding.writeVarUint(e, 13);
  encoding.writeVarUint(e, 0); // its first clock
  encoding.writeUint8(e, 4 | 0b0100_0000); // a string, with a right origin only
  encoding.writeVarUint(e, 11);
  encoding.writeVarUint(e, 0);
  encoding.writeVarString(e, text);
  encoding.writeVarUint(e, 0); // no deletes
  return encoding.toUint8Array(e);
}
