import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { remoteSelection } from '../../../../client/web/src/editor/remote-selection.ts';

function fileDoc() {
  const doc = new Y.Doc();
  const files = doc.getMap<Y.Text>('files');
  const text = new Y.Text('hello world');
  const other = new Y.Text('other file');
  files.set('a.ts', text);
  files.set('b.ts', other);
  const at = (t: Y.Text, i: number) => Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(t, i));
  return { doc, text, other, at };
}

describe('remote cursors from the network (WEB-24, SAFE-46)', () => {
  it('places a well-formed cursor, and follows the text it points into', () => {
    const { text, at } = fileDoc();
    const cursor = { anchor: at(text, 0), head: at(text, 5) };
    expect(remoteSelection(cursor, text)).toEqual({ anchor: 0, head: 5 });
    text.insert(0, '>> ');
    expect(remoteSelection(cursor, text)).toEqual({ anchor: 3, head: 8 });
  });

  // Each of these made Yjs throw inside the presence plugin, and CodeMirror then switched the plugin off:
  // no caret of anyone was drawn again until the page was reloaded.
  it.each([
    ['an empty object', {}],
    ['null', null],
    ['a number', 42],
    ['a string', 'anchor'],
    ['an array', [1, 2]],
    ['an item id that is not one', { item: { client: 'x', clock: 0 } }],
    ['a negative clock', { item: { client: 1, clock: -1 } }],
    ['a type id of strings', { type: { client: '1', clock: '2' } }],
    ['a root name that is not a string', { tname: 7 }],
    ['an assoc that is not an integer', { tname: 'files', assoc: 'left' }],
    ['an item of a client this doc has never seen', { item: { client: 123456, clock: 99 } }],
    ['a type id that is not a type', { type: { client: 1, clock: 0 } }],
  ])('refuses %s as an anchor without throwing', (_what, anchor) => {
    const { text, at } = fileDoc();
    const cursor = { anchor, head: at(text, 1) };
    expect(() => remoteSelection(cursor, text)).not.toThrow();
    expect(remoteSelection(cursor, text)).toBeNull();
    expect(remoteSelection({ anchor: at(text, 1), head: anchor }, text)).toBeNull();
  });

  it('does not draw a cursor that points into another file or a root type', () => {
    const { text, other, at } = fileDoc();
    expect(remoteSelection({ anchor: at(other, 1), head: at(other, 2) }, text)).toBeNull();
    expect(remoteSelection({ anchor: { tname: 'files' }, head: { tname: 'files' } }, text)).toBeNull();
  });

  it('does not throw for a text that belongs to no document', () => {
    const loose = new Y.Text();
    expect(remoteSelection({ anchor: {}, head: {} }, loose)).toBeNull();
  });
});
