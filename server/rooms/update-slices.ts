import type * as decodingModule from 'lib0/decoding';
import type * as encodingModule from 'lib0/encoding';

/** How much of a document one slice may carry (ROOM-18). */
export interface SliceLimits {
  /** structs (items, GC ranges) per slice; deleted ranges count the same in the delete slices */
  maxStructs: number;
  /** bytes of struct encoding per slice (a struct larger than this is a slice of its own) */
  maxBytes: number;
}

/**
 * A slice applies in ~5-20 ms on a loaded 2-core machine (250,000 one-character items applied in 0.55-1 s,
 * 30 MB of text in 0.25-0.4 s): far under the 50 ms budget of one event-loop step.
 */
export const LOAD_SLICE: SliceLimits = { maxStructs: 4096, maxBytes: 512 * 1024 };

/** The lib0 modules the slicer reads and writes with (passed in: the worker thread has its own copies). */
export interface Lib0 {
  decoding: typeof decodingModule;
  encoding: typeof encodingModule;
}

/**
 * Cuts a v1 update (a document's encoded state) into updates that, applied in order, rebuild the same
 * document and each integrate completely: every struct in a slice finds what it depends on (its client's
 * earlier clocks, its left and right origins, its parent item) in an earlier slice or its own, so Yjs never
 * holds one pending (which it would retry on every later update). Deletions follow in slices of their own,
 * once every struct is in. Returns `[update]` when it fits one slice, or when its structs cannot be ordered
 * (a dependency that is missing or circular: then Yjs gets the whole and decides).
 *
 * This is what lets a room load in steps (ROOM-18): Yjs can only apply an update in one synchronous call,
 * and the whole state of a room at its limits takes seconds. Each struct's bytes are copied as they are:
 * a v1 struct encodes nothing relative to its neighbours, so a run of them is valid on its own.
 *
 * Self-contained (no imports, lib0 passed in): the load worker evaluates this function's source
 * (snapshot-worker.ts). Hand-written because Yjs has no such reader; the layout is Yjs 13.6's
 * UpdateDecoderV1 and readItem/readContent, as in update-scan.ts.
 */
export function sliceUpdate(update: Uint8Array, limits: SliceLimits, lib: Lib0): Uint8Array[] {
  const { decoding, encoding } = lib;
  const d = decoding.createDecoder(update);
  const skip = (n: number) => {
    if (n > d.arr.length - d.pos) throw new Error('length past the end of the update');
    d.pos += n;
  };
  const skipString = () => skip(decoding.readVarUint(d));
  /** UTF-16 length of a UTF-8 string in the update (ContentString's length, in Yjs clocks) */
  const readStringLength = () => {
    const n = decoding.readVarUint(d);
    const from = d.pos;
    skip(n);
    let units = 0;
    for (let i = from; i < from + n; i++) {
      const b = update[i]!;
      if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
    }
    return units;
  };
  const clientIds: number[] = [];
  const clientIndex = new Map<number, number>();
  // Per client, per struct: its first clock, the clock after it, where its bytes start and end, and what it
  // depends on outside its own client's earlier clocks ([client, clock, client, clock, ...] or null).
  const clocks: number[][] = [];
  const ends: number[][] = [];
  const starts: number[][] = [];
  const stops: number[][] = [];
  const deps: (number[] | null)[][] = [];
  let total = 0;
  const numClients = decoding.readVarUint(d);
  for (let i = 0; i < numClients; i++) {
    const numStructs = decoding.readVarUint(d);
    const client = decoding.readVarUint(d);
    let clock = decoding.readVarUint(d);
    if (clientIndex.has(client)) return [update];
    clientIndex.set(client, clientIds.length);
    clientIds.push(client);
    const cClocks: number[] = [];
    const cEnds: number[] = [];
    const cStarts: number[] = [];
    const cStops: number[] = [];
    const cDeps: (number[] | null)[] = [];
    for (let j = 0; j < numStructs; j++) {
      const start = d.pos;
      const info = decoding.readUint8(d);
      const ref = info & 0b1_1111;
      let len = 1;
      let dep: number[] | null = null;
      if (ref === 0 || ref === 10) {
        len = decoding.readVarUint(d); // GC or Skip: a length, no dependency
      } else {
        if (info & 0b1000_0000) dep = [decoding.readVarUint(d), decoding.readVarUint(d)];
        if (info & 0b0100_0000) {
          const right = [decoding.readVarUint(d), decoding.readVarUint(d)];
          dep = dep ? dep.concat(right) : right;
        }
        if ((info & 0b1100_0000) === 0) {
          if (decoding.readVarUint(d) === 1) skipString();
          else dep = [decoding.readVarUint(d), decoding.readVarUint(d)]; // parent item
          if (info & 0b0010_0000) skipString();
        }
        switch (ref) {
          case 1: // ContentDeleted
            len = decoding.readVarUint(d);
            break;
          case 2: // ContentJSON
          case 8: {
            // ContentAny
            len = decoding.readVarUint(d);
            for (let k = 0; k < len; k++) {
              if (ref === 2) skipString();
              else decoding.readAny(d);
            }
            break;
          }
          case 3: // ContentBinary
          case 5: // ContentEmbed
            skipString();
            break;
          case 4: // ContentString
            len = readStringLength();
            break;
          case 6: // ContentFormat
            skipString();
            skipString();
            break;
          case 7: {
            // ContentType
            const typeRef = decoding.readVarUint(d);
            if (typeRef === 3 || typeRef === 5) skipString();
            break;
          }
          case 9: // ContentDoc
            skipString();
            decoding.readAny(d);
            break;
          default:
            throw new Error(`unknown content type ${ref}`);
        }
      }
      cClocks.push(clock);
      clock += len;
      cEnds.push(clock);
      cStarts.push(start);
      cStops.push(d.pos);
      cDeps.push(dep);
    }
    total += numStructs;
    clocks.push(cClocks);
    ends.push(cEnds);
    starts.push(cStarts);
    stops.push(cStops);
    deps.push(cDeps);
  }
  const dsStart = d.pos;
  const dsClients: { client: number; ranges: number[] }[] = [];
  let dsRanges = 0;
  const numDs = decoding.readVarUint(d);
  for (let i = 0; i < numDs; i++) {
    const client = decoding.readVarUint(d);
    const n = decoding.readVarUint(d);
    const ranges: number[] = [];
    for (let k = 0; k < n; k++) ranges.push(decoding.readVarUint(d), decoding.readVarUint(d));
    dsClients.push({ client, ranges });
    dsRanges += n;
  }
  if (total <= limits.maxStructs && dsStart <= limits.maxBytes && dsRanges <= limits.maxStructs) {
    return [update];
  }

  /** index of the struct of client `c` holding `clock`, or -1 */
  const find = (c: number, clock: number) => {
    const cs = clocks[c]!;
    let lo = 0;
    let hi = cs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cs[mid]! > clock) hi = mid - 1;
      else if (ends[c]![mid]! <= clock) lo = mid + 1;
      else return mid;
    }
    return -1;
  };

  const slices: Uint8Array[] = [];
  // the slice being filled: per client index, its first and last struct in it
  let runs = new Map<number, [number, number]>();
  let count = 0;
  let bytes = 0;
  const flush = () => {
    if (runs.size === 0) return;
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, runs.size);
    for (const [c, [first, last]] of runs) {
      encoding.writeVarUint(e, last - first + 1);
      encoding.writeVarUint(e, clientIds[c]!);
      encoding.writeVarUint(e, clocks[c]![first]!);
      encoding.writeUint8Array(e, update.subarray(starts[c]![first]!, stops[c]![last]!));
    }
    encoding.writeVarUint(e, 0); // no deletions: they come once every struct is in
    slices.push(encoding.toUint8Array(e));
    runs = new Map();
    count = 0;
    bytes = 0;
  };

  // Structs go out in an order where each follows what it depends on (depth first, with an explicit stack:
  // a chain of 250,000 prepends is 250,000 deep). A valid document has no cycle; a stack deeper than the
  // number of structs means one, and the update is given whole.
  const included = clocks.map(() => 0);
  const stack: number[] = [];
  for (let c = 0; c < clientIds.length; c++) {
    if (clocks[c]!.length === 0) continue;
    stack.push(c, clocks[c]!.length - 1);
    while (stack.length > 0) {
      const top = stack.length - 2;
      const sc = stack[top]!;
      if (included[sc]! > stack[top + 1]!) {
        stack.length = top;
        continue;
      }
      const j = included[sc]!;
      const dep = deps[sc]![j];
      let blocked = false;
      if (dep) {
        for (let k = 0; k < dep.length; k += 2) {
          const dc = clientIndex.get(dep[k]!);
          const dj = dc === undefined ? -1 : find(dc, dep[k + 1]!);
          if (dc === undefined || dj < 0) return [update];
          if (included[dc]! <= dj) {
            stack.push(dc, dj);
            blocked = true;
            break;
          }
        }
      }
      if (blocked) {
        if (stack.length > 2 * total + 2) return [update];
        continue;
      }
      const run = runs.get(sc);
      if (run) run[1] = j;
      else runs.set(sc, [j, j]);
      included[sc] = j + 1;
      count++;
      bytes += stops[sc]![j]! - starts[sc]![j]!;
      if (count >= limits.maxStructs || bytes >= limits.maxBytes) flush();
    }
  }
  flush();

  // Deletions, in slices of at most maxStructs ranges.
  let group: { client: number; ranges: number[] }[] = [];
  let inGroup = 0;
  const flushDeletes = () => {
    if (group.length === 0) return;
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, group.length);
    for (const { client, ranges } of group) {
      encoding.writeVarUint(e, client);
      encoding.writeVarUint(e, ranges.length / 2);
      for (const n of ranges) encoding.writeVarUint(e, n);
    }
    slices.push(encoding.toUint8Array(e));
    group = [];
    inGroup = 0;
  };
  for (const { client, ranges } of dsClients) {
    for (let k = 0; k < ranges.length; ) {
      const take = Math.min(ranges.length - k, 2 * (limits.maxStructs - inGroup));
      group.push({ client, ranges: ranges.slice(k, k + take) });
      inGroup += take / 2;
      k += take;
      if (inGroup >= limits.maxStructs) flushDeletes();
    }
  }
  flushDeletes();
  return slices;
}
