import { crc32 } from 'node:zlib';
import { AppError } from '../errors.ts';

/** CRC-32 of a stored update or snapshot (SAFE-38), written in the same statement as the bytes. */
export function docChecksum(data: Uint8Array): number {
  return crc32(data);
}

/**
 * SAFE-38: bytes changed on disk (a bad sector, a hand edit, a copy cut short) are caught here, before Yjs
 * reads them: a flipped byte inside a string decodes fine and would be served as the room. Rows written
 * before the checksum column existed have none (null) and load as before. Both doc stores call this.
 */
export function checkDocChecksum(
  docName: string,
  what: string,
  data: Uint8Array,
  expected: number | string | null,
): void {
  if (expected === null) return;
  const actual = crc32(data);
  if (actual !== Number(expected)) {
    throw new AppError(
      'room_corrupt',
      `document ${docName}: stored ${what} fails its checksum (crc32 ${actual} instead of ${expected})`,
    );
  }
}
