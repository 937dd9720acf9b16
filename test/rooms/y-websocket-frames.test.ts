import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as syncProtocol from 'y-protocols/sync';
import { messageType } from '../../schema/protocol.ts';
import { decodeFrame, updateFrame } from '../../server/rooms/y-websocket-frames.ts';

/** The frame as y-protocols writes it (the reference the one-copy frame must equal, byte for byte). */
function reference(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType.sync);
  syncProtocol.writeUpdate(encoder, update);
  return encoding.toUint8Array(encoder);
}

describe('SAFE-157: an update frame copies the update once', () => {
  // Lengths around lib0's first buffer (100 bytes) and its varint steps (128, 16,384, 2,097,152).
  for (const length of [0, 1, 95, 97, 100, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 4_500_000]) {
    it(`SAFE-157: ${length} bytes: the same bytes y-protocols writes, decoded back to the update`, () => {
      const update = new Uint8Array(length).map((_, i) => (i * 31 + 7) & 0xff);
      const frame = updateFrame(update);
      expect(Buffer.from(frame).equals(Buffer.from(reference(update)))).toBe(true);
      const decoded = decodeFrame(frame);
      expect(decoded.type).toBe('update');
      if (decoded.type === 'update')
        expect(Buffer.from(decoded.update).equals(Buffer.from(update))).toBe(true);
      // The frame owns its bytes: changing the update afterwards does not change what is sent.
      if (length > 0) {
        update[0] = (update[0] ?? 0) ^ 0xff;
        expect(frame[frame.byteLength - length]).not.toBe(update[0]);
      }
    });
  }
});
