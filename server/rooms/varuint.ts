/**
 * lib0's unsigned varint (7 bits a byte, low first), written into a buffer sized up front, so a frame or a
 * joined update is one allocation: lib0's Encoder starts every message with a 100-byte buffer and an array
 * of finished buffers, then copies everything into the result (PERF-73).
 */

/** How many bytes `n` (a non-negative integer below 2^53) takes as a varint. */
export function varUintLength(n: number): number {
  let len = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Writes `n` as a varint at `pos`; returns the position after it. */
export function writeVarUintAt(buf: Uint8Array, pos: number, n: number): number {
  while (n > 0x7f) {
    buf[pos++] = 0x80 | (n & 0x7f);
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}
