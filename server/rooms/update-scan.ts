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

/**
 * Reads the outline of a v1 update (the y-websocket wire format): clientIDs, struct and delete-range
 * counts, without creating a single struct (ROOM-15). `Y.decodeUpdate` builds an object per struct, which
 * for an 8 MB update of 1-character items is ~900,000 objects and most of a second: the room must be able
 * to refuse such an update before paying for it. Throws on malformed input (the caller's 4400). Stops as
 * soon as more than `maxStructs` structs are counted (the answer is then "more than the limit").
 *
 * Hand-written because Yjs has no counting reader; the layout follows Yjs 13.6's UpdateDecoderV1 and
 * readItem/readContent (encoding.js, Item.js): info byte, optional origins, parent info, content by type.
 */
export function scanUpdate(update: Uint8Array, maxStructs = Number.POSITIVE_INFINITY): UpdateScan {
  const d = decoding.createDecoder(update);
  const skipBytes = (n: number) => {
    if (n > d.arr.length - d.pos) throw new Error('length past the end of the update');
    d.pos += n;
  };
  const skipString = () => skipBytes(decoding.readVarUint(d));
  const clients: number[] = [];
  let structs = 0;
  const numClients = decoding.readVarUint(d);
  for (let i = 0; i < numClients; i++) {
    const numStructs = decoding.readVarUint(d);
    clients.push(decoding.readVarUint(d));
    decoding.readVarUint(d); // first clock
    for (let j = 0; j < numStructs; j++) {
      const info = decoding.readUint8(d);
      const ref = info & 0b1_1111;
      if (ref === 0 || ref === 10) {
        // GC or Skip: a length
        decoding.readVarUint(d);
        if (ref === 0) structs++;
        continue;
      }
      if (++structs > maxStructs) return { clients, structs, deleteRanges: 0 };
      if (info & 0b1000_0000) {
        decoding.readVarUint(d);
        decoding.readVarUint(d);
      }
      if (info & 0b0100_0000) {
        decoding.readVarUint(d);
        decoding.readVarUint(d);
      }
      if ((info & 0b1100_0000) === 0) {
        if (decoding.readVarUint(d) === 1) skipString();
        else {
          decoding.readVarUint(d);
          decoding.readVarUint(d);
        }
        if (info & 0b0010_0000) skipString();
      }
      switch (ref) {
        case 1: // ContentDeleted
          decoding.readVarUint(d);
          break;
        case 2: {
          // ContentJSON
          const n = decoding.readVarUint(d);
          for (let k = 0; k < n; k++) skipString();
          break;
        }
        case 3: // ContentBinary
        case 4: // ContentString
        case 5: // ContentEmbed
          skipString();
          break;
        case 6: // ContentFormat: key, JSON value
          skipString();
          skipString();
          break;
        case 7: {
          // ContentType: a type ref, and a node name for XmlElement (3) and XmlHook (5)
          const typeRef = decoding.readVarUint(d);
          if (typeRef === 3 || typeRef === 5) skipString();
          break;
        }
        case 8: {
          // ContentAny
          const n = decoding.readVarUint(d);
          for (let k = 0; k < n; k++) decoding.readAny(d);
          break;
        }
        case 9: // ContentDoc: guid, options
          skipString();
          decoding.readAny(d);
          break;
        default:
          throw new Error(`unknown content type ${ref}`);
      }
    }
  }
  let deleteRanges = 0;
  const dsClients = decoding.readVarUint(d);
  for (let i = 0; i < dsClients; i++) {
    decoding.readVarUint(d); // client
    const n = decoding.readVarUint(d);
    for (let k = 0; k < n; k++) {
      decoding.readVarUint(d);
      decoding.readVarUint(d);
    }
    deleteRanges += n;
  }
  return { clients, structs, deleteRanges };
}
