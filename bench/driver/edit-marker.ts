/**
 * Every benchmark edit carries a marker `\x1e<writer>.<seq>.<sentAtMicros>\x1f` in the text it inserts.
 * Yjs writes inserted strings as contiguous UTF-8 in an update, so a reader finds markers by scanning the
 * raw bytes of each update frame: counting clients learn which edit arrived and when it was sent without
 * holding a Y.Doc, and a restarted server's text tells which edits survived. The two control characters
 * never occur in the generated seed content.
 */
export interface EditMark {
  writer: number;
  seq: number;
  /** clockMs() of the writer right before its transaction */
  sentAt: number;
}

const START = 0x1e;
const END = 0x1f;
const DOT = 0x2e;

export function markerText(writer: number, seq: number, sentAt: number): string {
  return `\x1e${writer}.${seq}.${Math.round(sentAt * 1000)}\x1f`;
}

/** Calls `found` for every marker in `bytes` (an update payload). */
export function scanMarkers(
  bytes: Uint8Array,
  found: (writer: number, seq: number, sentAt: number) => void,
): void {
  let i = bytes.indexOf(START);
  while (i !== -1) {
    const parsed = parseAt(bytes, i + 1);
    if (parsed) found(parsed.writer, parsed.seq, parsed.sentAt);
    i = bytes.indexOf(START, i + 1);
  }
}

function parseAt(bytes: Uint8Array, from: number): EditMark | null {
  const nums = [0, 0, 0];
  let field = 0;
  let digits = 0;
  for (let j = from; j < bytes.length && j < from + 40; j++) {
    const b = bytes[j] as number;
    if (b === END)
      return field === 2 && digits > 0 ? { writer: nums[0]!, seq: nums[1]!, sentAt: nums[2]! / 1000 } : null;
    if (b === DOT) {
      if (digits === 0 || field === 2) return null;
      field++;
      digits = 0;
    } else if (b >= 0x30 && b <= 0x39) {
      nums[field] = nums[field]! * 10 + (b - 0x30);
      digits++;
    } else return null;
  }
  return null;
}

/** All markers in a document's text (durability: what survived a crash). */
export function markersInText(text: string): EditMark[] {
  const out: EditMark[] = [];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the marker delimiters are control characters on purpose
  for (const m of text.matchAll(/\x1e(\d+)\.(\d+)\.(\d+)\x1f/g)) {
    out.push({ writer: Number(m[1]), seq: Number(m[2]), sentAt: Number(m[3]) / 1000 });
  }
  return out;
}
