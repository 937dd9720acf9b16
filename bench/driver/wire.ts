import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/**
 * How a contender frames the Yjs sync protocol on its socket.
 * - `y-websocket`: one document per socket, frames are `[messageType][payload]` (Sparkroom and
 *   @y/websocket-server).
 * - `hocuspocus`: sockets multiplex documents, every frame starts with the document name, and a socket must
 *   send an auth frame (token, possibly empty) before the server handles anything else for that document.
 */
export type Wire = 'y-websocket' | 'hocuspocus';

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_AUTH = 2;
/** Hocuspocus-only reply type that carries sync messages like MESSAGE_SYNC. */
const MESSAGE_SYNC_REPLY = 4;
const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;
const AUTH_TOKEN = 0;

export type FrameKind = 'step1' | 'step2' | 'update' | 'awareness' | 'other';

export interface Frame {
  kind: FrameKind;
  /** state vector (step1), update (step2, update), awareness update, or empty */
  payload: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function begin(wire: Wire, docName: string, type: number): encoding.Encoder {
  const encoder = encoding.createEncoder();
  if (wire === 'hocuspocus') encoding.writeVarString(encoder, docName);
  encoding.writeVarUint(encoder, type);
  return encoder;
}

function syncFrame(wire: Wire, docName: string, step: number, payload: Uint8Array): Uint8Array {
  const encoder = begin(wire, docName, MESSAGE_SYNC);
  encoding.writeVarUint(encoder, step);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

export const encodeSyncStep1 = (wire: Wire, docName: string, stateVector: Uint8Array): Uint8Array =>
  syncFrame(wire, docName, SYNC_STEP1, stateVector);

export const encodeSyncStep2 = (wire: Wire, docName: string, update: Uint8Array): Uint8Array =>
  syncFrame(wire, docName, SYNC_STEP2, update);

export const encodeUpdate = (wire: Wire, docName: string, update: Uint8Array): Uint8Array =>
  syncFrame(wire, docName, SYNC_UPDATE, update);

/** One awareness entry in the y-protocols wire format (count, then clientID, clock, JSON state). */
export function encodeAwareness(
  wire: Wire,
  docName: string,
  clientId: number,
  clock: number,
  state: Record<string, unknown> | null,
): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, 1);
  encoding.writeVarUint(inner, clientId);
  encoding.writeVarUint(inner, clock);
  encoding.writeVarString(inner, JSON.stringify(state));
  const encoder = begin(wire, docName, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, encoding.toUint8Array(inner));
  return encoding.toUint8Array(encoder);
}

/** The frame a Hocuspocus provider sends first for each document (what its `token` option carries). */
export function encodeHocuspocusAuth(docName: string, token: string): Uint8Array {
  const encoder = begin('hocuspocus', docName, MESSAGE_AUTH);
  encoding.writeVarUint(encoder, AUTH_TOKEN);
  encoding.writeVarString(encoder, token);
  return encoding.toUint8Array(encoder);
}

/**
 * Reads the kind and payload of a frame without copying the payload (a view into `data`). Frames for
 * another document on a multiplexed socket, auth answers and sync-status acks come back as `other`.
 */
export function decodeFrame(wire: Wire, docName: string, data: Uint8Array): Frame {
  const decoder = decoding.createDecoder(data);
  if (wire === 'hocuspocus' && decoding.readVarString(decoder) !== docName)
    return { kind: 'other', payload: EMPTY };
  const type = decoding.readVarUint(decoder);
  if (type === MESSAGE_SYNC || (wire === 'hocuspocus' && type === MESSAGE_SYNC_REPLY)) {
    const step = decoding.readVarUint(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    if (step === SYNC_STEP1) return { kind: 'step1', payload };
    if (step === SYNC_STEP2) return { kind: 'step2', payload };
    if (step === SYNC_UPDATE) return { kind: 'update', payload };
    return { kind: 'other', payload: EMPTY };
  }
  if (type === MESSAGE_AWARENESS) return { kind: 'awareness', payload: decoding.readVarUint8Array(decoder) };
  return { kind: 'other', payload: EMPTY };
}
