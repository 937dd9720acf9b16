import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { AppError } from '../errors.ts';

/**
 * One entry of a y-protocols awareness update. y-protocols only offers "apply the whole update", but the
 * server must look at each entry (whose clientID, which user) and rewrite its `user` field before anyone
 * sees it, so we read and write the same wire format (varuint count, then clientID, clock, JSON state).
 */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  state: Record<string, unknown> | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads every entry. With `maxStateBytes`, a state whose JSON is longer is a 4413 before it is even parsed
 * (SAFE-31): one person's presence, relayed to everyone, must not fill others' send buffers.
 */
export function decodeAwarenessUpdate(
  update: Uint8Array,
  maxStateBytes = Number.POSITIVE_INFINITY,
): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    // lib0's readVarString: a varuint byte length, then UTF-8.
    const bytes = decoding.readVarUint(decoder);
    if (bytes > maxStateBytes) {
      throw new AppError(
        'too_large',
        `awareness state of ${bytes} bytes: the limit is ${maxStateBytes} bytes per participant`,
      );
    }
    const json = utf8.decode(decoding.readUint8Array(decoder, bytes));
    const state: unknown = JSON.parse(json);
    if (state !== null && (typeof state !== 'object' || Array.isArray(state))) {
      throw new Error('awareness state must be an object or null');
    }
    entries.push({ clientId, clock, state: state as Record<string, unknown> | null });
  }
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes after awareness update');
  return entries;
}

export function encodeAwarenessUpdate(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(encoder, e.clientId);
    encoding.writeVarUint(encoder, e.clock);
    encoding.writeVarString(encoder, JSON.stringify(e.state));
  }
  return encoding.toUint8Array(encoder);
}
