import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

type Struct = ReturnType<typeof Y.decodeUpdate>['structs'][number];
type DeleteRanges = ReturnType<typeof Y.decodeUpdate>['ds']['clients'];

/** Bytes a part may spend on its counts and client headers, besides its structs. */
const HEADER_SLACK = 64;

/**
 * Splits a Yjs update (v1) into updates of at most `maxBytes` each which, applied in order, make the same
 * change (SAFE-165). The server refuses frames over its limit, and one paste or one file saved on disk is
 * one Yjs transaction; this keeps it whole for the person (one undo step) and small on the wire.
 *
 * Structs stay whole and in order, so every part's structs follow on from the previous part's; a string
 * item larger than a part is cut the way Yjs cuts an item it sends from the middle (the right piece's
 * origin is the left piece's last character, its right origin the item's), never inside a surrogate pair.
 * The delete set goes last (it may delete what the structs insert), cut by ranges when it is itself big.
 * An update that fits is returned as it is, undecoded. A single non-string struct larger than a part
 * (a huge embedded value, which our clients never write) stays one part over the size.
 */
export function splitUpdate(update: Uint8Array, maxBytes: number): Uint8Array[] {
  if (update.byteLength <= maxBytes) return [update];
  const budget = maxBytes - HEADER_SLACK;
  if (budget < 1024) throw new Error(`splitUpdate needs parts of at least ${1024 + HEADER_SLACK} bytes`);
  const { structs, ds } = Y.decodeUpdate(update);
  const parts: Uint8Array[] = [];
  let part = new PartWriter();
  const flush = () => {
    if (part.isEmpty()) return;
    parts.push(part.finish(new Map()));
    part = new PartWriter();
  };
  for (const struct of structs) {
    for (const piece of piecesOf(struct, budget)) {
      const bytes = encodedStruct(piece);
      if (part.size + bytes.byteLength > budget) flush();
      part.add(piece, bytes);
    }
  }
  const deletes = deleteParts(ds.clients, budget);
  const last = deletes.shift() ?? new Map();
  if (part.size + deleteSize(last) > budget) flush();
  parts.push(part.finish(last));
  for (const rest of deletes) parts.push(new PartWriter().finish(rest));
  return parts;
}

/** One part being built: its structs grouped by client, each group's clocks following on. */
class PartWriter {
  private readonly groups: { client: number; clock: number; structs: Uint8Array[] }[] = [];
  size = 0;

  isEmpty(): boolean {
    return this.groups.length === 0;
  }

  add(struct: Struct, bytes: Uint8Array): void {
    const last = this.groups.at(-1);
    if (last && last.client === struct.id.client) last.structs.push(bytes);
    else this.groups.push({ client: struct.id.client, clock: struct.id.clock, structs: [bytes] });
    this.size += bytes.byteLength + (last?.client === struct.id.client ? 0 : 16);
  }

  finish(deletes: DeleteRanges): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, this.groups.length);
    for (const g of this.groups) {
      encoding.writeVarUint(encoder, g.structs.length);
      encoding.writeVarUint(encoder, g.client);
      encoding.writeVarUint(encoder, g.clock);
      for (const s of g.structs) encoding.writeUint8Array(encoder, s);
    }
    // The v1 delete set: clients, then each client's ranges (clock, length).
    encoding.writeVarUint(encoder, deletes.size);
    for (const [client, ranges] of deletes) {
      encoding.writeVarUint(encoder, client);
      encoding.writeVarUint(encoder, ranges.length);
      for (const r of ranges) {
        encoding.writeVarUint(encoder, r.clock);
        encoding.writeVarUint(encoder, r.len);
      }
    }
    return encoding.toUint8Array(encoder);
  }
}

/** A struct as v1 writes it inside its client's run (the run's header is the part's). */
function encodedStruct(struct: Struct): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  struct.write(encoder, 0);
  return encoder.toUint8Array();
}

/** The struct itself, or a string item cut into pieces whose text fits `budget` bytes of UTF-8. */
function piecesOf(struct: Struct, budget: number): Struct[] {
  if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) return [struct];
  const str = struct.content.str;
  // Room for the piece's ids and lengths besides its text.
  const room = budget - 64;
  if (str.length * 3 <= room) return [struct];
  const { client, clock } = struct.id;
  const pieces: Struct[] = [];
  let start = 0;
  while (start < str.length) {
    const end = utf8Cut(str, start, room);
    const origin = start === 0 ? struct.origin : Y.createID(client, clock + start - 1);
    pieces.push(
      new Y.Item(
        Y.createID(client, clock + start),
        null,
        origin,
        null,
        struct.rightOrigin,
        start === 0 ? struct.parent : null,
        start === 0 ? struct.parentSub : null,
        new Y.ContentString(str.slice(start, end)),
      ),
    );
    start = end;
  }
  return pieces;
}

/** The end of the longest run of `str` from `start` whose UTF-8 fits `bytes`, not inside a surrogate pair. */
function utf8Cut(str: string, start: number, bytes: number): number {
  let used = 0;
  let i = start;
  while (i < str.length) {
    const c = str.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < str.length;
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (used + size > bytes) break;
    used += size;
    i += pair ? 2 : 1;
  }
  return i;
}

/** The delete set cut into sets of at most `budget` bytes (five varints' worth per range, at most). */
function deleteParts(clients: DeleteRanges, budget: number): DeleteRanges[] {
  const parts: DeleteRanges[] = [];
  let current: DeleteRanges = new Map();
  let size = 0;
  for (const [client, ranges] of clients) {
    for (const r of ranges) {
      if (size + 24 > budget) {
        parts.push(current);
        current = new Map();
        size = 0;
      }
      let mine = current.get(client);
      if (!mine) {
        mine = [];
        current.set(client, mine);
        size += 14;
      }
      mine.push(r);
      size += 10;
    }
  }
  if (current.size > 0) parts.push(current);
  return parts;
}

function deleteSize(deletes: DeleteRanges): number {
  let size = 0;
  for (const ranges of deletes.values()) size += 14 + ranges.length * 10;
  return size;
}
