import { isAscii, isUtf8 } from 'node:buffer';
import * as decoding from 'lib0/decoding';

/** What a Yjs update would add to a document, read without building it. */
export interface UpdateScan {
  /** the clientIDs whose structs it carries, in the order they appear */
  clients: number[];
  /** structs (items and GC ranges; not skips): each becomes at least one object in server memory */
  structs: number;
  /** deleted ranges: each may split up to two items in two */
  deleteRanges: number;
}

/** A clock of one client, as an update names an item's neighbours and parent. */
export interface OutlineId {
  client: number;
  clock: number;
}

/** Yjs's content refs (the low 5 bits of a struct's info byte; Item.js contentRefs). */
export const Content = {
  gc: 0,
  deleted: 1,
  json: 2,
  binary: 3,
  string: 4,
  embed: 5,
  format: 6,
  type: 7,
  any: 8,
  doc: 9,
  skip: 10,
} as const;

/** Yjs's type refs (ContentType.js): the Y.Text of a file is 2. */
export const TYPE_REF_TEXT = 2;

/**
 * One struct of an update as the checks need it: where it is (client, clock, length), what it hangs off
 * (neighbours, parent, key) and what kind of content it holds, without the content itself (SAFE-168).
 */
export interface OutlineStruct {
  /** a content ref (Content): 0 a GC range, 10 a skip, else an item */
  content: number;
  /** for a type item, its type ref (TYPE_REF_TEXT for a Y.Text); -1 otherwise */
  typeRef: number;
  client: number;
  clock: number;
  /** clocks it takes: a string's UTF-16 length, as Yjs counts it */
  length: number;
  origin: OutlineId | null;
  rightOrigin: OutlineId | null;
  /** a top-level type's name, the item whose type holds it, or null (taken from a neighbour) */
  parent: string | OutlineId | null;
  parentSub: string | null;
}

/** A v1 update's structs in order, and the ranges it deletes per client (as Y.decodeUpdate gives them). */
export interface UpdateOutline {
  structs: OutlineStruct[];
  deletes: Map<number, { clock: number; len: number }[]>;
}

/**
 * Reads the outline of a v1 update (the y-websocket wire format): clientIDs, struct and delete-range
 * counts, without creating a single struct (ROOM-15). `Y.decodeUpdate` builds an object per struct, which
 * for an 8 MB update of 1-character items is ~900,000 objects and most of a second: the room must be able
 * to refuse such an update before paying for it. Throws on malformed input (the caller's 4400). Stops as
 * soon as more than `maxStructs` structs are counted (the answer is then "more than the limit").
 */
export function scanUpdate(update: Uint8Array, maxStructs = Number.POSITIVE_INFINITY): UpdateScan {
  const reader = new OutlineReader(update, null);
  const clients: number[] = [];
  let structs = 0;
  const numClients = decoding.readVarUint(reader.d);
  for (let i = 0; i < numClients; i++) {
    const numStructs = decoding.readVarUint(reader.d);
    clients.push(decoding.readVarUint(reader.d));
    decoding.readVarUint(reader.d); // first clock
    for (let j = 0; j < numStructs; j++) {
      if (reader.struct(0, 0) !== Content.skip && ++structs > maxStructs) {
        return { clients, structs, deleteRanges: 0 };
      }
    }
  }
  let deleteRanges = 0;
  reader.deletes((_client, n) => {
    deleteRanges += n;
    return false;
  });
  return { clients, structs, deleteRanges };
}

/**
 * SAFE-168: every struct of a v1 update with what the room's checks read (ids, neighbours, parent, key,
 * content kind and length), its content skipped: a string's UTF-8 bytes are validated and counted
 * natively, never turned into a JS string, so the only full decode of a frame is Yjs's own in
 * `Y.applyUpdate`. Throws where Yjs's decoder throws (malformed bytes, bad UTF-8, bad JSON, unknown refs).
 * Call after scanUpdate has bounded the struct count: this builds one small object per struct.
 */
export function readUpdateOutline(update: Uint8Array): UpdateOutline {
  const structs: OutlineStruct[] = [];
  const reader = new OutlineReader(update, structs);
  const numClients = decoding.readVarUint(reader.d);
  for (let i = 0; i < numClients; i++) {
    const numStructs = decoding.readVarUint(reader.d);
    const client = decoding.readVarUint(reader.d);
    let clock = decoding.readVarUint(reader.d);
    for (let j = 0; j < numStructs; j++) {
      reader.struct(client, clock);
      clock += structs[structs.length - 1]!.length;
    }
  }
  const deletes = new Map<number, { clock: number; len: number }[]>();
  reader.deletes((client, n) => {
    const ranges: { clock: number; len: number }[] = [];
    for (let k = 0; k < n; k++) {
      ranges.push({ clock: decoding.readVarUint(reader.d), len: decoding.readVarUint(reader.d) });
    }
    if (n > 0) deletes.set(client, ranges);
    return true;
  });
  return { structs, deletes };
}

/** Where a v1 update's parts lie (PERF-72): its struct sections and its delete set, as byte ranges of it. */
export interface UpdateSections {
  /** the clientID of each struct section, in order */
  clients: number[];
  /** every struct section (per client: struct count, client, first clock, structs), after their count */
  structs: Uint8Array;
  /** how many client entries the delete set has */
  deleteClients: number;
  /** the delete set's entries (per client: client, range count, ranges), after their count */
  deletes: Uint8Array;
}

/**
 * The sections of a v1 update, read with the same walk as scanUpdate (contents skipped, nothing built);
 * null when bytes follow the delete set. Throws on malformed input.
 */
export function updateSections(update: Uint8Array): UpdateSections | null {
  const reader = new OutlineReader(update, null);
  const d = reader.d;
  const clients: number[] = [];
  const numClients = decoding.readVarUint(d);
  const structsStart = d.pos;
  for (let i = 0; i < numClients; i++) {
    const numStructs = decoding.readVarUint(d);
    clients.push(decoding.readVarUint(d));
    decoding.readVarUint(d); // first clock
    for (let j = 0; j < numStructs; j++) reader.struct(0, 0);
  }
  const structsEnd = d.pos;
  const deleteClients = decoding.readVarUint(d);
  const deletesStart = d.pos;
  for (let i = 0; i < deleteClients; i++) {
    decoding.readVarUint(d); // client
    const n = decoding.readVarUint(d);
    for (let k = 0; k < 2 * n; k++) decoding.readVarUint(d);
  }
  if (d.pos !== update.byteLength) return null;
  return {
    clients,
    structs: update.subarray(structsStart, structsEnd),
    deleteClients,
    deletes: update.subarray(deletesStart),
  };
}

/**
 * The one walk over Yjs 13.6's v1 layout (UpdateDecoderV1; updates.js lazyStructReaderGenerator; Item.js
 * readItemContent): per client a struct count, the client and its first clock; per struct an info byte
 * (info 10 a skip, low 5 bits 0 a GC range, else an item), origins, parent info, content by its ref; then
 * the delete set. With `out` null it only counts (scanUpdate); else it records each struct's outline.
 * Hand-written because Yjs has no reader that leaves the content unread.
 */
class OutlineReader {
  readonly d: decoding.Decoder;
  private readonly out: OutlineStruct[] | null;

  constructor(update: Uint8Array, out: OutlineStruct[] | null) {
    this.d = decoding.createDecoder(update);
    this.out = out;
  }

  /** Reads one struct; returns its content ref. */
  struct(client: number, clock: number): number {
    const d = this.d;
    const info = decoding.readUint8(d);
    if (info === Content.skip || (info & 0b1_1111) === Content.gc) {
      const length = decoding.readVarUint(d);
      const content = info === Content.skip ? Content.skip : Content.gc;
      this.out?.push(bare(content, client, clock, length));
      return content;
    }
    const ref = info & 0b1_1111;
    const origin = info & 0b1000_0000 ? this.id() : null;
    const rightOrigin = info & 0b0100_0000 ? this.id() : null;
    let parent: string | OutlineId | null = null;
    let parentSub: string | null = null;
    if ((info & 0b1100_0000) === 0) {
      parent = decoding.readVarUint(d) === 1 ? this.string() : this.id();
      if (info & 0b0010_0000) parentSub = this.string();
    }
    let length = 1;
    let typeRef = -1;
    switch (ref) {
      case Content.deleted:
        length = decoding.readVarUint(d);
        break;
      case Content.json:
        length = decoding.readVarUint(d);
        for (let k = 0; k < length; k++) this.json(true);
        break;
      case Content.binary:
        this.skip(decoding.readVarUint(d));
        break;
      case Content.string:
        length = this.stringLength();
        break;
      case Content.embed:
        this.json(false);
        break;
      case Content.format:
        this.string();
        this.json(false);
        break;
      case Content.type:
        typeRef = decoding.readVarUint(d);
        if (typeRef > 6) throw new Error(`unknown type ref ${typeRef}`);
        // XmlElement (3) and XmlHook (5) carry a node name
        if (typeRef === 3 || typeRef === 5) this.string();
        break;
      case Content.any:
        length = decoding.readVarUint(d);
        for (let k = 0; k < length; k++) decoding.readAny(d);
        break;
      case Content.doc:
        this.string();
        decoding.readAny(d);
        break;
      default:
        throw new Error(`unknown content type ${ref}`);
    }
    this.out?.push({ content: ref, typeRef, client, clock, length, origin, rightOrigin, parent, parentSub });
    return ref;
  }

  /** The delete set: per client, `each(client, n)` reads its n ranges itself (true) or leaves them to skip. */
  deletes(each: (client: number, n: number) => boolean): void {
    const d = this.d;
    const clients = decoding.readVarUint(d);
    for (let i = 0; i < clients; i++) {
      const client = decoding.readVarUint(d);
      const n = decoding.readVarUint(d);
      if (each(client, n) === true) continue;
      for (let k = 0; k < n; k++) {
        decoding.readVarUint(d);
        decoding.readVarUint(d);
      }
    }
  }

  private id(): OutlineId | null {
    const client = decoding.readVarUint(this.d);
    const clock = decoding.readVarUint(this.d);
    return this.out ? { client, clock } : null;
  }

  private skip(n: number): void {
    const d = this.d;
    if (n > d.arr.length - d.pos) throw new Error('length past the end of the update');
    d.pos += n;
  }

  /** A key or name the checks need: decoded as Yjs decodes it (counting: skipped). */
  private string(): string | null {
    if (!this.out) {
      this.skip(decoding.readVarUint(this.d));
      return null;
    }
    return decoding.readVarString(this.d);
  }

  /** JSON content (embeds, formats, legacy JSON arrays) is parsed as Yjs parses it, for its errors. */
  private json(undefinedAllowed: boolean): void {
    const s = this.string();
    if (s !== null && !(undefinedAllowed && s === 'undefined')) JSON.parse(s);
  }

  /**
   * A ContentString's length in UTF-16 code units (Yjs's clocks), from its UTF-8 bytes: every byte that
   * starts a character counts one, a 4-byte character (a surrogate pair) two. Yjs decodes with a fatal
   * TextDecoder, so bytes that are not UTF-8 are refused here too.
   */
  private stringLength(): number {
    const n = decoding.readVarUint(this.d);
    this.skip(n);
    // Counting (scanUpdate) needs no length, and makes no view: it may walk ~900,000 tiny items.
    if (!this.out) return n;
    const bytes = this.d.arr.subarray(this.d.pos - n, this.d.pos);
    if (isAscii(bytes)) return n;
    if (!isUtf8(bytes)) throw new Error('a string that is not UTF-8');
    let units = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
    }
    return units;
  }
}

function bare(content: number, client: number, clock: number, length: number): OutlineStruct {
  return {
    content,
    typeRef: -1,
    client,
    clock,
    length,
    origin: null,
    rightOrigin: null,
    parent: null,
    parentSub: null,
  };
}
