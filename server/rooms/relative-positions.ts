import * as Y from 'yjs';

/*
 * Y.RelativePosition as base64: how the review doc stores a place in a file's Y.Text (a suggestion's range,
 * an accepted insertion). Relative positions follow every concurrent edit, which offsets would not.
 */

export function encodeRelativePosition(rel: Y.RelativePosition): string {
  return Buffer.from(Y.encodeRelativePosition(rel)).toString('base64');
}

export function decodeRelativePosition(b64: string): Y.RelativePosition {
  return Y.decodeRelativePosition(new Uint8Array(Buffer.from(b64, 'base64')));
}
