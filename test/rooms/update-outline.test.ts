import * as string from 'lib0/string';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { Content, readUpdateOutline } from '../../server/rooms/update-scan.ts';
import { manyClientIdsUpdate, orphanUpdates, tinyItemsUpdate } from '../helpers/attacks.ts';
import { fileUpdate, updateFrame } from '../helpers/raw-socket.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

/** Pinned seed for the random documents, so a failure replays exactly. */
const SEED = 168;

/** mulberry32: a tiny deterministic PRNG (Math.random cannot be seeded). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every kind of content Yjs encodes, multi-byte text (2, 3 and 4 UTF-8 bytes, a BOM), deletions. */
function everyContent(): Uint8Array {
  const doc = new Y.Doc();
  const files = doc.getMap('files');
  doc.transact(() => {
    const text = new Y.Text('héllo wörld 常量 😀🎉 \uFEFFend');
    files.set('a.ts', text);
    text.format(0, 2, { bold: true });
    text.insertEmbed(1, { image: 'x' });
    text.setAttribute('lang', 'ts');
    files.set('xml', new Y.XmlElement('p'));
    files.set('hook', new Y.XmlHook('h'));
    files.set('frag', new Y.XmlFragment());
    files.set('xt', new Y.XmlText('x'));
    const list = new Y.Array<unknown>();
    files.set('list', list);
    list.push([1, 'two', { three: [3] }, new Uint8Array([4, 5]), new Y.Doc(), new Y.Map()]);
    files.set('n', 5);
    doc.getArray('top').push(['😀']);
  });
  doc.transact(() => (files.get('a.ts') as Y.Text).delete(3, 4));
  doc.transact(() => files.delete('n'));
  return Y.encodeStateAsUpdate(doc);
}

/** Random edits by three clients to texts of random (often multi-byte) characters, merged into one update. */
function randomHistory(seed: number): Uint8Array {
  const rand = prng(seed);
  const alphabet = ['a', ' ', '\n', 'é', '常', '😀', '\u{10FFFF}', 'ß'];
  const docs = [1, 2, 3].map((id) => {
    const d = new Y.Doc();
    d.clientID = seed * 10 + id;
    return d;
  });
  const updates: Uint8Array[] = [];
  for (let step = 0; step < 60; step++) {
    const d = docs[Math.floor(rand() * docs.length)]!;
    const before = Y.encodeStateVector(d);
    const files = d.getMap<Y.Text>(CODE_FILES_KEY);
    const path = `f${Math.floor(rand() * 3)}.ts`;
    const text = files.get(path) ?? files.set(path, new Y.Text());
    if (text.length > 0 && rand() < 0.3) {
      const at = Math.floor(rand() * text.length);
      text.delete(at, Math.min(text.length - at, 1 + Math.floor(rand() * 5)));
    } else {
      let s = '';
      for (let k = Math.floor(rand() * 12); k >= 0; k--) s += alphabet[Math.floor(rand() * alphabet.length)];
      text.insert(Math.floor(rand() * (text.length + 1)), s);
    }
    const u = Y.encodeStateAsUpdate(d, before);
    updates.push(u);
    for (const other of docs) if (other !== d) Y.applyUpdate(other, u);
  }
  return Y.mergeUpdates(updates);
}

const TYPES = [Y.Array, Y.Map, Y.Text, Y.XmlElement, Y.XmlFragment, Y.XmlHook, Y.XmlText];
const CONTENTS = [
  Y.ContentDeleted,
  Y.ContentJSON,
  Y.ContentBinary,
  Y.ContentString,
  Y.ContentEmbed,
  Y.ContentFormat,
  Y.ContentType,
  Y.ContentAny,
  Y.ContentDoc,
];

/** What Y.decodeUpdate says of each struct, in the outline's terms. */
function decodedAsOutline(update: Uint8Array) {
  const { structs, ds } = Y.decodeUpdate(update);
  const id = (x: Y.ID | null) => (x ? { client: x.client, clock: x.clock } : null);
  return {
    structs: structs.map((s) => {
      const base = { client: s.id.client, clock: s.id.clock, length: s.length };
      if (!(s instanceof Y.Item)) {
        return { ...base, content: s instanceof Y.GC ? Content.gc : Content.skip, typeRef: -1 };
      }
      const parent: unknown = s.parent;
      return {
        ...base,
        content: CONTENTS.findIndex((c) => s.content instanceof c) + 1,
        typeRef:
          s.content instanceof Y.ContentType
            ? TYPES.indexOf(s.content.type.constructor as (typeof TYPES)[number])
            : -1,
        origin: id(s.origin),
        rightOrigin: id(s.rightOrigin),
        parent: parent instanceof Y.ID ? id(parent) : parent,
        parentSub: s.parentSub,
      };
    }),
    deletes: new Map([...ds.clients].map(([c, r]) => [c, r.map((x) => ({ clock: x.clock, len: x.len }))])),
  };
}

const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
  vi.restoreAllMocks();
});

describe('the outline of an update (SAFE-168, SAFE-169)', () => {
  it('SAFE-168: a frame with one big string is decoded once, by Yjs applying it; the checks read no string of it', async () => {
    const room = await Room.load('room1', {
      docStore: new MemoryDocStore(),
      limits: defaultLimits,
      log: silentLogger,
      now: () => 1_000_000,
      onBroken: () => {},
      onMaybeIdle: () => {},
    });
    rooms.push(room);
    const ada = new FakeRoomSocket();
    const person: PublicUser = { id: 'ada', name: 'ada', role: 'editor' };
    const conn = room.handleConnect(person, 'code', ada);
    // The only socket is the sender's, which gets no relay of its own update: every decode is the server's.
    const decoder = string.utf8TextDecoder;
    if (!decoder) throw new Error('lib0 has no native TextDecoder here');
    const decode = vi.spyOn(decoder, 'decode');
    const big = (input: unknown) => (input as Uint8Array).byteLength > 512 * 1024;
    let expected = '';
    for (const [i, line] of ['const big = 1; // one item\n', '常量大等于一；文字 😀\n'].entries()) {
      const text = line.repeat(Math.floor((700 * 1024) / Buffer.byteLength(line)));
      const update = fileUpdate(`big${i}.ts`, text, { clientId: 7_000_000 + i });
      decode.mockClear();
      room.handleMessage(conn, updateFrame(update));
      await room.whenFlushed();
      expect(ada.closed).toBeNull();
      expect(decode.mock.calls.filter(([input]) => big(input))).toHaveLength(1);
      expected += text;
    }
    const files = room.code.doc.getMap<Y.Text>(CODE_FILES_KEY);
    expect((files.get('big0.ts')?.toString() ?? '') + (files.get('big1.ts')?.toString() ?? '')).toBe(
      expected,
    );
  });

  it(`SAFE-169: the outline agrees with Y.decodeUpdate on every struct (every content kind, multi-byte text, random histories, seed ${SEED})`, () => {
    const updates = [
      everyContent(),
      tinyItemsUpdate(500),
      manyClientIdsUpdate(300),
      ...orphanUpdates(3),
      ...Array.from({ length: 20 }, (_, i) => randomHistory(SEED + i)),
    ];
    for (const update of updates) {
      const outline = readUpdateOutline(update);
      const want = decodedAsOutline(update);
      expect(outline.structs).toHaveLength(want.structs.length);
      for (const [i, s] of want.structs.entries()) expect(outline.structs[i]).toMatchObject(s);
      expect(outline.deletes).toEqual(want.deletes);
    }
  });

  it('SAFE-169: the outline refuses what Yjs refuses: a string that is not UTF-8, bad JSON, truncated bytes', () => {
    const update = fileUpdate('a.ts', 'abcdefgh', { clientId: 1 });
    const at = Buffer.from(update).indexOf('abcdefgh');
    const notUtf8 = update.slice();
    notUtf8[at + 3] = 0xff;
    const embed = new Y.Doc();
    embed.getMap<Y.Text>(CODE_FILES_KEY).set('e.ts', new Y.Text()).insertEmbed(0, { image: 'xy' });
    const embedUpdate = Y.encodeStateAsUpdate(embed);
    const badJson = embedUpdate.slice();
    badJson[Buffer.from(embedUpdate).indexOf('{"image"')] = 0x5d; // ']'
    for (const bad of [notUtf8, badJson, update.slice(0, at + 4)]) {
      expect(() => Y.decodeUpdate(bad)).toThrow();
      expect(() => readUpdateOutline(bad)).toThrow();
    }
  });
});
