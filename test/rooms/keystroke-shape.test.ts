import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import {
  NEEDS_OUTLINE,
  resolvedStructsProblem,
  structsProblemFromDoc,
} from '../../server/rooms/code-doc-shape.ts';
import { readUpdateOutline } from '../../server/rooms/update-scan.ts';

const FILE = 'src/a.ts';

/** One person's edit of a copy of `server`, as the diff a client sends. */
function editOf(server: Y.Doc, clientID: number, edit: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(server));
  doc.clientID = clientID;
  const before = Y.encodeStateVector(doc);
  edit(doc);
  return Y.encodeStateAsUpdate(doc, before);
}

const files = (doc: Y.Doc) => doc.getMap<unknown>(CODE_FILES_KEY);
const text = (doc: Y.Doc) => files(doc).get(FILE) as Y.Text;

describe('PERF-146: a keystroke is checked against the document alone', () => {
  it("PERF-146: a character typed, deleted or pasted into a file gets SAFE-35's answer without the outline resolver", () => {
    const server = new Y.Doc();
    files(server).set(FILE, new Y.Text('hello world'));
    const keystrokes: ((doc: Y.Doc) => void)[] = [
      (doc) => text(doc).insert(0, 'x'),
      (doc) => text(doc).insert(5, 'y'),
      (doc) => text(doc).insert(text(doc).length, 'z'),
      (doc) => text(doc).insert(3, 'pasted\nlines 😀'),
      (doc) => text(doc).delete(2, 1),
    ];
    for (const edit of keystrokes) {
      const { structs } = readUpdateOutline(editOf(server, 901, edit));
      expect(structsProblemFromDoc(structs, server)).toBeNull();
      expect(resolvedStructsProblem(structs, server)).toBeNull();
    }
  });

  it('PERF-146: seeded fuzz: honest and hostile edits get the same answer from the document as from the resolver', () => {
    let seed = 146;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const edits: ((doc: Y.Doc) => void)[] = [
      (doc) => text(doc)?.insert(rand((text(doc)?.length ?? 0) + 1), 'k'),
      (doc) => text(doc)?.length && text(doc).delete(rand(text(doc).length), 1),
      (doc) => files(doc).set(FILE, new Y.Text('new')),
      (doc) => files(doc).set(`src/f${rand(3)}.ts`, new Y.Text('x')),
      (doc) => files(doc).set(FILE, 42),
      (doc) => files(doc).set('../escape', new Y.Text('x')),
      (doc) => text(doc)?.insertEmbed(rand((text(doc)?.length ?? 0) + 1), { img: 'x' }),
      (doc) => text(doc)?.length && text(doc).format(0, 1, { bold: true }),
      (doc) => text(doc) && Y.XmlText.prototype.setAttribute.call(text(doc) as Y.XmlText, 'a', 'b'),
      (doc) => doc.getText('notes').insert(0, 'x'),
      (doc) => doc.getArray(CODE_FILES_KEY).insert(0, [1]),
      (doc) =>
        doc.transact(() => {
          const t = new Y.Text('typed on');
          files(doc).set(`src/g${rand(3)}.ts`, t);
          t.insert(rand(8), 'k');
        }),
    ];
    let fromDoc = 0;
    let refused = 0;
    for (let round = 0; round < 40; round++) {
      const server = new Y.Doc();
      files(server).set(FILE, new Y.Text('start'));
      for (let step = 0; step < 25; step++) {
        const update = editOf(server, 1000 + rand(3), edits[rand(edits.length)]!);
        const { structs } = readUpdateOutline(update);
        const expected = resolvedStructsProblem(structs, server);
        const answer = structsProblemFromDoc(structs, server);
        if (answer !== NEEDS_OUTLINE) {
          expect(answer).toBe(expected);
          fromDoc++;
        }
        if (expected === null) Y.applyUpdate(server, update);
        else refused++;
      }
    }
    // both the document's answers and refusals were exercised
    expect(fromDoc).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(100);
  });
});
