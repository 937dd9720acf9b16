/**
 * One client-to-server binary WebSocket frame, built by hand so a test can write it straight to a socket
 * (a flood in one write, a compressed frame ws on the sending side never inflates). Masked, as RFC 6455
 * requires of clients; the default all-zero key leaves the payload's bytes as they are. `compressed` sets
 * RSV1: the payload is permessage-deflate data.
 */
export function clientFrame(payload: Uint8Array, opts: { compressed?: boolean; mask?: Buffer } = {}): Buffer {
  const first = opts.compressed ? 0xc2 : 0x82;
  const len = payload.byteLength;
  const head =
    len < 126
      ? Buffer.from([first, 0x80 | len])
      : len < 65536
        ? Buffer.from([first, 0x80 | 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([first, 0x80 | 127]), bigLength(len)]);
  const mask = opts.mask ?? Buffer.alloc(4);
  const body = Buffer.from(payload.buffer, payload.byteOffset, len);
  if (mask.every((b) => b === 0)) return Buffer.concat([head, mask, body]);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = body[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, masked]);
}

function bigLength(len: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(len));
  return b;
}
