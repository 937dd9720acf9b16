import * as Y from 'yjs';

/** A selection in one file's text, as offsets. */
export interface Selection {
  anchor: number;
  head: number;
}

/**
 * Where a remote person's selection lies in `ytext`, or null when it cannot be placed there: the cursor
 * came from the network, so its relative positions may be malformed, point into another file, or name
 * items this client has not received yet. Never throws: one bad cursor must not stop the presence
 * plugin, which would stop drawing everyone's caret (WEB-24).
 */
export function remoteSelection(cursor: { anchor: unknown; head: unknown }, ytext: Y.Text): Selection | null {
  const doc = ytext.doc;
  if (!doc) return null;
  const anchor = indexIn(cursor.anchor, ytext, doc);
  const head = indexIn(cursor.head, ytext, doc);
  return anchor === null || head === null ? null : { anchor, head };
}

function indexIn(json: unknown, ytext: Y.Text, doc: Y.Doc): number | null {
  if (!looksLikeRelativePosition(json)) return null;
  try {
    const abs = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(json), doc);
    if (!abs || abs.type !== ytext) return null;
    return Math.max(0, Math.min(abs.index, ytext.length));
  } catch {
    // Shapes that pass the check below but that Yjs still cannot resolve: the person is not drawn.
    return null;
  }
}

const isId = (v: unknown): boolean => {
  if (typeof v !== 'object' || v === null) return false;
  const id = v as Record<string, unknown>;
  return Number.isSafeInteger(id.client) && Number.isSafeInteger(id.clock) && (id.clock as number) >= 0;
};

/** The JSON of a Y.RelativePosition: an item id, a type id or a root type name, and an assoc. */
function looksLikeRelativePosition(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = v as Record<string, unknown>;
  const item = p.item ?? null;
  const type = p.type ?? null;
  const tname = p.tname ?? null;
  if (item !== null && !isId(item)) return false;
  if (type !== null && !isId(type)) return false;
  if (tname !== null && typeof tname !== 'string') return false;
  if (p.assoc !== undefined && p.assoc !== null && !Number.isSafeInteger(p.assoc)) return false;
  return item !== null || type !== null || tname !== null;
}
