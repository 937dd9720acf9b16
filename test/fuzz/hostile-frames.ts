import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CODE_FILES_KEY, messageType } from '../../schema/protocol.ts';
import { manyClientIdsAwareness, manyClientIdsUpdate, orphanUpdates } from '../helpers/attacks.ts';
import {
  awarenessFrame,
  fileUpdate,
  queryAwarenessFrame,
  syncStep1Frame,
  updateFrame,
} from '../helpers/raw-socket.ts';
import type { SeededRandom } from './seeded-random.ts';

export type FrameKind =
  | 'random-bytes'
  | 'random-type'
  | 'flipped'
  | 'truncated'
  | 'extended'
  | 'huge-varint'
  | 'huge-length'
  | 'awareness-json'
  | 'valid-update'
  | 'future-update'
  | 'text'
  | 'many-client-ids'
  | 'orphan-chain'
  | 'key-overwrite'
  | 'whitespace-line'
  | 'sync-flood'
  | 'delete-own';

export interface HostileFrame {
  kind: FrameKind;
  /** a string is sent as a text frame; a list is a burst of frames sent back to back */
  data: Uint8Array | string | Uint8Array[];
}

/**
 * The kinds whose frames, when the server accepts them, add text to the attacked document: once it is half
 * full (`grow` false) they turn into deletions of the attackers' own text ('delete-own').
 */
const GROWS: ReadonlySet<FrameKind> = new Set(['valid-update', 'whitespace-line']);

/** The files these frames write (valid updates, whitespace lines, the mutations' valid updates). */
const OWN_FILE = /^(fuzz\d|space\d|f\d|step2)\.ts$/;

/**
 * Valid y-websocket frames of every message type, the material the mutations start from. Without `grow`,
 * the updates among them are deletions of the attackers' own text, so a mutation the server still accepts
 * adds nothing to the document.
 */
function validFrame(rng: SeededRandom, base: Y.Doc | undefined, grow: boolean): Uint8Array {
  const kind = rng.int(5);
  if (!grow && (kind === 1 || kind === 4)) {
    // Nothing of theirs left to delete: a request for the whole document (an empty update would be stored).
    const update = deleteOwn(rng, base);
    if (update === null) return syncStep1Frame(new Uint8Array([0]));
    return kind === 1 ? updateFrame(update) : syncStep2Frame(update);
  }
  switch (kind) {
    case 0: {
      const doc = new Y.Doc();
      doc.getText('t').insert(0, rng.text(8));
      const frame = syncStep1Frame(Y.encodeStateVector(doc));
      doc.destroy();
      return frame;
    }
    case 1:
      return updateFrame(fileUpdate(`f${rng.int(4)}.ts`, rng.text(24), { clientId: rng.range(1, 2 ** 31) }));
    case 2:
      return awarenessFrame([
        { clientId: rng.range(1, 2 ** 31), clock: rng.range(1, 50), state: { cursor: rng.int(100) } },
      ]);
    case 3:
      return queryAwarenessFrame();
    default:
      return syncStep2Frame(fileUpdate('step2.ts', rng.text(16), { clientId: rng.range(1, 2 ** 31) }));
  }
}

/** A sync step 2 frame (the answer to a step 1) carrying `update`. */
function syncStep2Frame(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType.sync);
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/**
 * An update deleting a random slice (half the time all) of what is left of one of the files these frames
 * wrote, as the attacker's copy of the document (`base`) shows it; null when nothing of them is left. Made
 * by deleting in that copy, as a client would; only what is not deleted yet is named, since the server
 * stores every update it accepts (a deletion of nothing would still grow the log).
 */
function deleteOwn(rng: SeededRandom, base: Y.Doc | undefined): Uint8Array | null {
  if (!base) return null;
  const files = base.getMap<unknown>(CODE_FILES_KEY);
  const texts: Y.Text[] = [];
  for (const [path, text] of files) {
    if (OWN_FILE.test(path) && text instanceof Y.Text && text.length > 0) texts.push(text);
  }
  const text = rng.pick(texts.length > 0 ? texts : [null]);
  if (text === null) return null;
  const at = rng.chance(0.5) ? 0 : rng.int(text.length);
  const length = at === 0 ? text.length : rng.range(1, text.length - at);
  let update: Uint8Array | null = null;
  const take = (u: Uint8Array) => {
    update = u;
  };
  base.on('update', take);
  base.transact(() => text.delete(at, length));
  base.off('update', take);
  return update;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A varuint longer than any 53-bit integer: 0xff bytes without the final stop bit, then one that stops. */
function hugeVarint(rng: SeededRandom): Uint8Array {
  const n = rng.range(8, 14);
  const out = new Uint8Array(n);
  out.fill(0xff, 0, n - 1);
  out[n - 1] = 0x7f;
  return out;
}

/**
 * One frame a hostile or broken client might send: random bytes, random message types, valid frames
 * with flipped bytes, cut short or with trailing garbage, varints past 2^53, lengths far past the frame,
 * awareness with odd JSON, valid updates under random clientIDs, updates whose dependencies never
 * arrive (Yjs keeps those pending in memory), and bursts of sync requests. `base` is the attacker's copy
 * of the document; with `grow` false (the attacked document is half full) no frame adds text to it: the
 * kinds that would add some become deletions of the attackers' own text, and every other kind goes on.
 */
export function hostileFrame(rng: SeededRandom, base?: Y.Doc, grow = true): HostileFrame {
  const drawn = rng.weighted<FrameKind>({
    'random-bytes': 2,
    'random-type': 1,
    flipped: 4,
    truncated: 2,
    extended: 1,
    'huge-varint': 1,
    'huge-length': 1,
    'awareness-json': 1,
    'valid-update': 1,
    'future-update': 1,
    text: 0.3,
    'many-client-ids': 1,
    'orphan-chain': 0.5,
    'key-overwrite': base ? 2 : 0,
    'whitespace-line': 0.5,
    'sync-flood': 0.5,
    'delete-own': 0,
  });
  if (!grow && GROWS.has(drawn)) {
    const update = deleteOwn(rng, base);
    // Nothing of theirs left to delete: a request for the whole document instead.
    if (update === null) return { kind: 'sync-flood', data: [syncStep1Frame(new Uint8Array([0]))] };
    return { kind: 'delete-own', data: updateFrame(update) };
  }
  const kind = drawn;
  switch (kind) {
    case 'random-bytes':
      return { kind, data: rng.bytes(rng.int(64)) };
    case 'random-type': {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, rng.chance(0.5) ? rng.range(4, 127) : rng.range(128, 2 ** 31));
      encoding.writeUint8Array(encoder, rng.bytes(rng.int(16)));
      return { kind, data: encoding.toUint8Array(encoder) };
    }
    case 'flipped': {
      const frame = validFrame(rng, base, grow);
      for (let i = rng.range(1, 4); i > 0; i--) {
        const at = rng.int(frame.length);
        frame[at] = (frame[at] ?? 0) ^ (1 << rng.int(8));
      }
      return { kind, data: frame };
    }
    case 'truncated': {
      const frame = validFrame(rng, base, grow);
      return { kind, data: frame.slice(0, rng.int(frame.length)) };
    }
    case 'extended':
      return { kind, data: concat(validFrame(rng, base, grow), rng.bytes(rng.range(1, 8))) };
    case 'huge-varint': {
      const where = rng.int(3);
      if (where === 0) return { kind, data: hugeVarint(rng) };
      if (where === 1) return { kind, data: concat(new Uint8Array([messageType.sync]), hugeVarint(rng)) };
      return { kind, data: concat(new Uint8Array([messageType.sync, 2]), hugeVarint(rng), rng.bytes(4)) };
    }
    case 'huge-length': {
      // Declares a payload of up to 2^31 bytes and carries a few.
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, rng.pick([messageType.sync, messageType.awareness]));
      if (rng.chance(0.5)) encoding.writeVarUint(encoder, rng.int(3));
      encoding.writeVarUint(encoder, rng.range(2 ** 20, 2 ** 31));
      encoding.writeUint8Array(encoder, rng.bytes(rng.int(32)));
      return { kind, data: encoding.toUint8Array(encoder) };
    }
    case 'awareness-json': {
      const json = rng.pick([
        '{"user":{"id":"someone-else","name":"Admin","role":"owner"}}',
        `{"a":${'['.repeat(2000)}${']'.repeat(2000)}}`,
        '{"__proto__":{"polluted":true}}',
        'null',
        '"just a string"',
        `{"big":"${'x'.repeat(rng.range(1, 4000))}"}`,
        '{',
      ]);
      const inner = encoding.createEncoder();
      encoding.writeVarUint(inner, 1);
      encoding.writeVarUint(inner, rng.range(1, 2 ** 31));
      encoding.writeVarUint(inner, rng.range(0, 1000));
      encoding.writeVarString(inner, json);
      const outer = encoding.createEncoder();
      encoding.writeVarUint(outer, messageType.awareness);
      encoding.writeVarUint8Array(outer, encoding.toUint8Array(inner));
      return { kind, data: encoding.toUint8Array(outer) };
    }
    case 'valid-update':
      return {
        kind,
        data: updateFrame(
          fileUpdate(`fuzz${rng.int(3)}.ts`, rng.text(40), { clientId: rng.range(1, 2 ** 31) }),
        ),
      };
    case 'future-update': {
      // The second half of a client's history without the first: every struct waits for a parent.
      const doc = new Y.Doc();
      doc.clientID = rng.range(1, 2 ** 31);
      const text = doc.getMap<Y.Text>('files').set(`pending${rng.int(3)}.ts`, new Y.Text());
      text.insert(0, rng.text(20));
      const sv = Y.encodeStateVector(doc);
      text.insert(rng.int(text.length), rng.text(200));
      const frame = updateFrame(Y.encodeStateAsUpdate(doc, sv));
      doc.destroy();
      return { kind, data: frame };
    }
    case 'text':
      return { kind, data: rng.text(30) };
    case 'many-client-ids': {
      // Issue 9: one frame naming many new clientIDs (awareness from anyone, an update from an editor).
      const n = rng.range(20, 3000);
      const first = rng.range(1, 2 ** 30);
      return rng.int(2) === 0
        ? { kind, data: awarenessFrame(manyClientIdsAwareness(n, first)) }
        : { kind, data: updateFrame(manyClientIdsUpdate(n, first, `ids${rng.int(3)}.ts`)) };
    }
    case 'orphan-chain':
      // A burst of small updates that all wait for a first struct that never comes.
      return {
        kind,
        data: orphanUpdates(rng.range(20, 400), rng.range(1, 2 ** 30), `orphan${rng.int(3)}.ts`).map(
          updateFrame,
        ),
      };
    case 'key-overwrite':
      return { kind, data: updateFrame(keyOverwrite(rng, base ?? new Y.Doc())) };
    case 'sync-flood':
      // SAFE-10: sync step 1 requests back to back, each asking for the whole document (an empty state
      // vector) or for what this attacker lacks; past the rate the socket is closed with 4429.
      return {
        kind,
        data: Array.from({ length: rng.range(2, 16) }, () =>
          syncStep1Frame(rng.chance(0.5) || !base ? new Uint8Array([0]) : Y.encodeStateVector(base)),
        ),
      };
    case 'delete-own': {
      const update = deleteOwn(rng, base);
      return { kind, data: update ? updateFrame(update) : syncStep1Frame(new Uint8Array([0])) };
    }
    case 'whitespace-line': {
      // A file with one very long run of spaces and tabs (the anchor matcher's old quadratic case).
      const run = rng.range(10_000, 120_000);
      const line = `${' \t'.repeat(run / 2)}${rng.int(2) === 0 ? 'x' : ''}`;
      return {
        kind,
        data: updateFrame(
          fileUpdate(`space${rng.int(3)}.ts`, `a\n${line}\nb\n`, { clientId: rng.range(1, 2 ** 31) }),
        ),
      };
    }
  }
}

/**
 * An update that breaks the code doc's shape (SAFE-35) against what the attacker has synced (`base`):
 * overwrites an existing file with null, a number, a Y.Map, a Y.Array or a Y.XmlText, adds another
 * top-level type, or puts an embed or formatting into a file's text.
 */
function keyOverwrite(rng: SeededRandom, base: Y.Doc): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  doc.clientID = rng.range(1, 2 ** 31);
  const before = Y.encodeStateVector(doc);
  const files = doc.getMap<unknown>(CODE_FILES_KEY);
  const keys = [...files.keys()];
  const key = keys.length > 0 ? keys[rng.int(keys.length)]! : 'live.ts';
  const text = files.get(key);
  switch (rng.int(8)) {
    case 0:
      files.set(key, null);
      break;
    case 1:
      files.set(key, rng.int(1000));
      break;
    case 2:
      files.set(key, new Y.Map());
      break;
    case 3:
      files.set(key, new Y.Array());
      break;
    case 4:
      files.set(key, new Y.XmlText('x'));
      break;
    case 5:
      doc.getText(`top${rng.int(3)}`).insert(0, 'x');
      break;
    case 6:
      if (text instanceof Y.Text) text.insertEmbed(rng.int(text.length + 1), { img: 'x' });
      else files.set(key, false);
      break;
    default:
      if (text instanceof Y.Text && text.length > 0) text.format(0, text.length, { bold: true });
      else files.set(key, 'a plain string');
  }
  const update = Y.encodeStateAsUpdate(doc, before);
  doc.destroy();
  return update;
}
