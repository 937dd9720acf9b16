import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import type * as Y from 'yjs';
import { messageType } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import { varUintLength, writeVarUintAt } from './varuint.ts';

/** One y-websocket frame, decoded (ROOM-2): what a room decides from, without the wire's varints. */
export type Frame =
  | { type: 'sync-step-1'; stateVector: Uint8Array }
  | { type: 'sync-step-2'; update: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }
  | { type: 'auth' };

/**
 * Reads the message type, the sync sub-type and the payload of a frame. Anything else (an unknown type, a
 * truncated varint, a length past the end) is a 4400 `malformed_frame` for the sending socket (SAFE-7).
 * Payloads are returned as they are: whether an update or a state vector makes sense is the room's call.
 */
export function decodeFrame(data: Uint8Array): Frame {
  try {
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case messageType.sync: {
        const syncType = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        switch (syncType) {
          case syncProtocol.messageYjsSyncStep1:
            return { type: 'sync-step-1', stateVector: payload };
          case syncProtocol.messageYjsSyncStep2:
            return { type: 'sync-step-2', update: payload };
          case syncProtocol.messageYjsUpdate:
            return { type: 'update', update: payload };
          default:
            throw new AppError('malformed_frame', `unknown sync message type ${syncType}`);
        }
      }
      case messageType.awareness:
        return { type: 'awareness', update: decoding.readVarUint8Array(decoder) };
      case messageType.queryAwareness:
        return { type: 'query-awareness' };
      case messageType.auth:
        return { type: 'auth' };
      default:
        throw new AppError('malformed_frame', `unknown message type ${type}`);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('malformed_frame', `malformed frame: ${(err as Error).message}`, { cause: err });
  }
}

/** Sync step 1: the server's state vector, so the client answers with what the server lacks. */
export function syncStep1Frame(doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType.sync);
  syncProtocol.writeSyncStep1(encoder, doc);
  return encoding.toUint8Array(encoder);
}

/** Sync step 2 holding `update`: everything the holder of a state vector lacks (`syncAnswer`, ROOM-36). */
export function syncStep2Frame(update: Uint8Array): Uint8Array {
  return syncFrame(syncProtocol.messageYjsSyncStep2, update);
}

/**
 * The frame y-protocols' `writeUpdate` writes, with the update copied once (SAFE-157): lib0's encoder copies
 * a payload longer than its buffer into a new buffer of at least that size and then copies everything again
 * into the result, so a relayed 4 MB update cost 8 MB of transient memory and two copies.
 */
export function updateFrame(update: Uint8Array): Uint8Array {
  return syncFrame(syncProtocol.messageYjsUpdate, update);
}

function syncFrame(syncType: number, update: Uint8Array): Uint8Array {
  // sized up front: one allocation, the update copied once (PERF-73)
  const size = update.byteLength;
  const header = varUintLength(messageType.sync) + varUintLength(syncType) + varUintLength(size);
  const frame = new Uint8Array(header + size);
  let pos = writeVarUintAt(frame, 0, messageType.sync);
  pos = writeVarUintAt(frame, pos, syncType);
  pos = writeVarUintAt(frame, pos, size);
  frame.set(update, pos);
  return frame;
}

/** The awareness states of `clients` (removed ones as null). */
export function awarenessFrame(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType.awareness);
  encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(encoder);
}

/**
 * An awareness update with no entries: a valid frame that changes nothing. Sent to a socket that has heard
 * nothing for a while, so the stock client (which reconnects after 30 s of silence) keeps it (SAFE-55).
 */
export const KEEPALIVE_FRAME: Uint8Array = (() => {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType.awareness);
  const update = encoding.createEncoder();
  encoding.writeVarUint(update, 0);
  encoding.writeVarUint8Array(encoder, encoding.toUint8Array(update));
  return encoding.toUint8Array(encoder);
})();
