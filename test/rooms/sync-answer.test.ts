import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { keptDeleteRanges, syncAnswer } from '../../server/rooms/sync-answer.ts';
import { type SeededRandom, seededRandom } from '../fuzz/seeded-random.ts';

/*
 * ROOM-36: a sync step 2 answer written from the document's kept delete set is Yjs's own answer, byte for byte.
 * Seeded histories (print the seed; a failure replays from it): several peers with GC on or off type, delete,
 * format, nest and delete types, undo and redo; their updates reach the server doc one by one, merged, out of
 * order (held by Yjs as pending), or as a sync answer (GC structs and deleted content); the server edits too and
 * is now and then loaded again from the updates it stored. At random points its answer for random state vectors
 * (empty, full, each peer's, clocks cut anywhere, an unknown client) is compared with `Y.encodeStateAsUpdate`.
 */

const WORDS = ['a', 'bc', 'déf', '😀', 'x\n', '漢字', ' ', 'longer words here '];

interface Peer {
  doc: Y.Doc;
  undo: Y.UndoManager;
  /** its updates the server has not had yet */
  outbox: Uint8Array[];
}

function newPeer(rnd: SeededRandom, id: number): Peer {
  const doc = new Y.Doc({ gc: rnd.chance(0.6) });
  doc.clientID = id;
  const undo = new Y.UndoManager([doc.getMap('files'), doc.getMap('meta')], { captureTimeout: 0 });
  const peer: Peer = { doc, undo, outbox: [] };
  doc.on('update', (u: Uint8Array) => peer.outbox.push(u));
  return peer;
}

/** One random change to `doc` (a peer's or the server's own). */
function edit(rnd: SeededRandom, doc: Y.Doc, undo: Y.UndoManager | null): void {
  const files = doc.getMap<Y.Text>('files');
  const meta = doc.getMap<unknown>('meta');
  const op = rnd.weighted({ file: 4, type: 14, del: 8, format: 2, nest: 3, drop: 1, undo: 2, xml: 1 });
  const keys = [...files.keys()];
  const text = keys.length > 0 ? files.get(rnd.pick(keys)) : undefined;
  if (op === 'file' || !text) {
    files.set(`f${rnd.int(5)}.ts`, new Y.Text(rnd.pick(WORDS).repeat(rnd.range(1, 30))));
  } else if (op === 'type') {
    doc.transact(() => {
      for (let n = rnd.range(1, 3); n > 0; n--) text.insert(rnd.int(text.length + 1), rnd.pick(WORDS));
    });
  } else if (op === 'del') {
    if (text.length === 0) return;
    const at = rnd.int(text.length);
    text.delete(at, Math.min(text.length - at, rnd.range(1, rnd.chance(0.2) ? 40 : 3)));
  } else if (op === 'format') {
    if (text.length === 0) return;
    const at = rnd.int(text.length);
    text.format(at, Math.min(text.length - at, rnd.range(1, 6)), { bold: rnd.chance(0.5) ? true : null });
  } else if (op === 'nest') {
    let list = meta.get('list');
    if (!(list instanceof Y.Array)) {
      list = new Y.Array<Y.Map<unknown>>();
      meta.set('list', list);
    }
    const arr = list as Y.Array<Y.Map<unknown>>;
    if (rnd.chance(0.6) || arr.length === 0) {
      const m = new Y.Map<unknown>();
      arr.insert(rnd.int(arr.length + 1), [m]);
      m.set('n', rnd.int(100));
      m.set('t', new Y.Text(rnd.pick(WORDS)));
    } else {
      arr.delete(rnd.int(arr.length), 1);
    }
  } else if (op === 'drop') {
    // a whole nested type deleted: its children are collected with it
    if (rnd.chance(0.5)) meta.delete('list');
    else if (keys.length > 0) files.delete(rnd.pick(keys));
  } else if (op === 'undo') {
    if (!undo) return;
    if (rnd.chance(0.6)) undo.undo();
    else undo.redo();
  } else {
    const xml = doc.getXmlFragment('xml');
    if (rnd.chance(0.7) || xml.length === 0) {
      const el = new Y.XmlElement('p');
      el.insert(0, [new Y.XmlText(rnd.pick(WORDS))]);
      xml.insert(rnd.int(xml.length + 1), [el]);
    } else {
      xml.delete(rnd.int(xml.length), 1);
    }
  }
}

/** State vectors a peer may send: empty, full, the peers', clocks cut anywhere, a client the doc never saw. */
function stateVectors(rnd: SeededRandom, server: Y.Doc, peers: Peer[]): Uint8Array[] {
  const full = Y.encodeStateVector(server);
  const out = [new Uint8Array([0]), full, ...peers.map((p) => Y.encodeStateVector(p.doc))];
  for (let n = 0; n < 3; n++) {
    const cut = new Map<number, number>();
    for (const [client, clock] of Y.decodeStateVector(full)) {
      if (rnd.chance(0.8)) cut.set(client, rnd.chance(0.3) ? clock : rnd.int(clock + 2));
    }
    if (rnd.chance(0.3)) cut.set(999_999, rnd.int(50));
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, cut.size);
    for (const [client, clock] of cut) {
      encoding.writeVarUint(e, client);
      encoding.writeVarUint(e, clock);
    }
    out.push(encoding.toUint8Array(e));
  }
  return out;
}

function history(seed: number): { checks: number; kept: boolean } {
  const rnd = seededRandom(seed);
  const peers = [1, 2, 3].slice(0, rnd.range(2, 3)).map((i) => newPeer(rnd, i * 1000 + seed));
  const gc = rnd.chance(0.5);
  let server = new Y.Doc({ gc });
  // the server's own clientID, a new one per load (as a room reserves its own): Yjs warns when an update changes it
  let loads = 0;
  server.clientID = 7;
  const stored: Uint8Array[] = [];
  const listen = (doc: Y.Doc) => doc.on('update', (u: Uint8Array) => stored.push(u));
  listen(server);
  let checks = 0;
  const check = () => {
    for (const sv of stateVectors(rnd, server, peers)) {
      const ours = syncAnswer(server, sv, 0);
      const yjs = Y.encodeStateAsUpdate(server, sv);
      expect(Buffer.from(ours).equals(Buffer.from(yjs)), `seed ${seed}: answer for ${sv.join(',')}`).toBe(
        true,
      );
      checks++;
    }
  };
  // Half the histories keep the delete set from the start, half from a later first answer.
  if (rnd.chance(0.5)) check();
  for (let step = 0; step < 150; step++) {
    const peer = rnd.pick(peers);
    const what = rnd.weighted({ edit: 12, deliver: 4, sync: 1, serverEdit: 1, load: 0.3, check: 1.5 });
    if (what === 'edit') {
      edit(rnd, peer.doc, peer.undo);
    } else if (what === 'deliver' && peer.outbox.length > 0) {
      const how = rnd.weighted({ each: 3, merged: 2, outOfOrder: 1 });
      if (how === 'outOfOrder' && peer.outbox.length > 1) {
        // a later update first: Yjs holds it as pending until the earlier one arrives
        const [first, ...rest] = peer.outbox;
        for (const u of rest) Y.applyUpdate(server, u);
        if (rnd.chance(0.5)) check();
        Y.applyUpdate(server, first as Uint8Array);
      } else if (how === 'merged') {
        Y.applyUpdate(server, Y.mergeUpdates(peer.outbox));
      } else {
        for (const u of peer.outbox) Y.applyUpdate(server, u);
      }
      peer.outbox = [];
      // and the server's news back to the peer (not recorded as its own)
      Y.applyUpdate(peer.doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(peer.doc)), 'server');
      peer.outbox = [];
    } else if (what === 'sync') {
      // a reconnect: each side's sync answer (a GC'd peer sends GC structs and deleted content)
      Y.applyUpdate(server, Y.encodeStateAsUpdate(peer.doc, Y.encodeStateVector(server)));
      Y.applyUpdate(peer.doc, syncAnswer(server, Y.encodeStateVector(peer.doc), 0), 'server');
      peer.outbox = [];
    } else if (what === 'serverEdit') {
      edit(rnd, server, null);
    } else if (what === 'load') {
      // the room unloads and loads again from what it stored (sometimes merged, as a compaction would)
      server.destroy();
      server = new Y.Doc({ gc });
      server.clientID = 7 + ++loads;
      if (rnd.chance(0.5)) Y.applyUpdate(server, Y.mergeUpdates(stored), 'load');
      else for (const u of stored) Y.applyUpdate(server, u, 'load');
      listen(server);
      if (rnd.chance(0.5)) check();
    } else if (what === 'check') {
      check();
    }
  }
  check();
  return { checks, kept: keptDeleteRanges(server) !== null };
}

describe('ROOM-36: a sync answer from the kept delete set', () => {
  it('ROOM-36: equals Y.encodeStateAsUpdate byte for byte, for 200 seeded histories (GC on and off, undo, formats, nested types, pending updates, loads)', () => {
    let checks = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = history(seed);
      expect(r.kept, `seed ${seed}`).toBe(true);
      checks += r.checks;
    }
    expect(checks).toBeGreaterThan(200 * 8);
    // 11 s at load 12 on 2 cores; the full suite runs files side by side, where 30 s was seen to run out.
  }, 120_000);

  it('ROOM-36: a document under the threshold keeps nothing; one over it keeps its delete set from its first answer, and records deletions after it', () => {
    const doc = new Y.Doc();
    const text = doc.getText('t');
    const answer = (sv: Uint8Array) => syncAnswer(doc, sv, 1_000);
    const sv = () => Y.encodeStateVector(doc);
    for (let i = 0; i < 600; i++) text.insert(i, i % 2 ? 'a' : 'b');
    expect(answer(sv())).toEqual(Y.encodeStateAsUpdate(doc, sv()));
    expect(keptDeleteRanges(doc)).toBe(null);
    // a typed file of 1,200 single-character items
    const typed = new Y.Doc();
    const t2 = typed.getText('t');
    typed.clientID = 1;
    for (let i = 0; i < 1_200; i++) {
      typed.clientID = 1 + (i % 2);
      t2.insert(i, 'x');
    }
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(typed));
    text.delete(0, 1);
    expect(answer(sv())).toEqual(Y.encodeStateAsUpdate(doc, sv()));
    expect(keptDeleteRanges(doc)).toBe(1);
    // every second item of the typed file, one transaction each
    const file = doc.getText('t');
    for (let i = file.length - 2; i >= 0; i -= 2) file.delete(i, 1);
    expect(answer(sv())).toEqual(Y.encodeStateAsUpdate(doc, sv()));
    expect(keptDeleteRanges(doc)).toBe(rangesOf(doc));
    expect(keptDeleteRanges(doc)).toBeGreaterThan(250);
  });
});

function rangesOf(doc: Y.Doc): number {
  let n = 0;
  for (const items of Y.createDeleteSetFromStructStore(doc.store).clients.values()) n += items.length;
  return n;
}
