import * as Y from 'yjs';
import { CODE_FILES_KEY, isValidFilePath } from '../../schema/protocol.ts';
import {
  Content,
  type OutlineId,
  type OutlineStruct,
  readUpdateOutline,
  TYPE_REF_TEXT,
} from './update-scan.ts';

/**
 * The code doc has one shape (SAFE-35): one top-level `files` map whose every key is a valid relative path
 * and whose every value is a Y.Text holding plain text (no embeds, no formatting, no attributes). Spark,
 * blame, exports and the web client all read it that way.
 *
 * Checks what a client update would do to that shape before it is applied; returns why it is refused, or
 * null. Convenience for tests and one-off callers: rooms read the outline once and call codeStructsProblem.
 */
export function codeUpdateProblem(update: Uint8Array, doc: Y.Doc = new Y.Doc()): string | null {
  return codeStructsProblem(readUpdateOutline(update).structs, doc);
}

/** Where an item lands once integrated: under a top-level type, inside another item's type, or nowhere. */
type Place =
  | { kind: 'root'; name: string; sub: string | null }
  | { kind: 'inside'; fileText: boolean; sub: string | null }
  | { kind: 'gc' }
  /** its origin or parent has not arrived: Yjs keeps it pending, and it is checked again when it can land */
  | { kind: 'unknown' };

const GC_PLACE: Place = { kind: 'gc' };
const UNKNOWN: Place = { kind: 'unknown' };

/** An item of the update (or of what Yjs holds pending), not a GC range or a skip. */
const isItem = (s: OutlineStruct) => s.content !== Content.gc && s.content !== Content.skip;

/**
 * The same check over an update's outline the caller has read already (SAFE-168: the room reads each
 * update's outline once, and only Yjs decodes its content).
 *
 * An item of an update names its parent only when it has no neighbour: an item that overwrites an existing
 * map key or extends a text carries just its left/right origin, and Yjs takes the parent from that
 * neighbour when it integrates. So the parent is resolved the way Yjs will resolve it: through the
 * neighbour in the document, in this update, or among the structs Yjs holds pending (which may integrate
 * with this update, so they are checked again each time).
 */
export function codeStructsProblem(structs: readonly OutlineStruct[], doc: Y.Doc): string | null {
  const pendingBytes = doc.store.pendingStructs?.update;
  if (!pendingBytes) {
    const problem = structsProblemFromDoc(structs, doc);
    if (problem !== NEEDS_OUTLINE) return problem;
  }
  return resolvedStructsProblem(structs, doc);
}

/** codeStructsProblem through the PlaceResolver always: any update, with what Yjs holds pending. */
export function resolvedStructsProblem(structs: readonly OutlineStruct[], doc: Y.Doc): string | null {
  const pendingBytes = doc.store.pendingStructs?.update;
  // Yjs keeps what it holds pending as a V2 update (rare: the room holds orphans itself, ROOM-14).
  const pending = pendingBytes ? readUpdateOutline(Y.convertUpdateFormatV2ToV1(pendingBytes)).structs : [];
  const resolver = new PlaceResolver(doc, pending.length > 0 ? [...structs, ...pending] : structs);
  for (const list of pending.length > 0 ? [structs, pending] : [structs]) {
    for (const struct of list) {
      if (!isItem(struct)) continue;
      const problem = itemProblem(struct, resolver.placeOf(struct));
      if (problem !== null) return problem;
    }
  }
  return null;
}

/** structsProblemFromDoc's answer when some item hangs off another item of the update (not in the document). */
export const NEEDS_OUTLINE = Symbol('needs the outline');

/**
 * PERF-146: the same check for an update whose every item names a parent or neighbours the document holds
 * already (a keystroke: one string item whose origins are integrated text), with nothing pending: each item's
 * place is then read from the document alone, as PlaceResolver's first step would read it, so no index of
 * the outline, memo, chain or place objects are built. NEEDS_OUTLINE when an item's place depends on the
 * update itself (a new file's text, a run of items typed on one another); the resolver then decides.
 */
export function structsProblemFromDoc(
  structs: readonly OutlineStruct[],
  doc: Y.Doc,
): string | null | typeof NEEDS_OUTLINE {
  const store = doc.store;
  for (let i = 0; i < structs.length; i++) {
    const item = structs[i]!;
    if (!isItem(item)) continue;
    const parent = item.parent;
    let problem: string | null;
    if (typeof parent === 'string') {
      problem = rootItemProblem(item, parent, item.parentSub);
    } else if (parent !== null) {
      if (parent.clock >= Y.getState(store, parent.client)) return NEEDS_OUTLINE;
      const owner = Y.getItem(store, Y.createID(parent.client, parent.clock));
      // a GC'd parent: Yjs drops the item
      if (!(owner instanceof Y.Item)) continue;
      problem = insideItemProblem(item, isFileTextItem(doc, owner), item.parentSub);
    } else {
      // No parent info: Yjs takes it from the left neighbour, else the right; a GC neighbour makes it GC.
      const o = item.origin;
      const ro = item.rightOrigin;
      if (o !== null && o.clock >= Y.getState(store, o.client)) return NEEDS_OUTLINE;
      if (ro !== null && ro.clock >= Y.getState(store, ro.client)) return NEEDS_OUTLINE;
      const left = o !== null ? Y.getItem(store, Y.createID(o.client, o.clock)) : null;
      const right = ro !== null ? Y.getItem(store, Y.createID(ro.client, ro.clock)) : null;
      if ((o !== null && !(left instanceof Y.Item)) || (ro !== null && !(right instanceof Y.Item))) continue;
      const neighbour = (left ?? right) as Y.Item | null;
      if (neighbour === null) continue;
      const home = neighbour.parent;
      if (!(home instanceof Y.AbstractType)) continue;
      problem =
        home._item === null
          ? rootItemProblem(item, Y.findRootTypeKey(home), neighbour.parentSub)
          : insideItemProblem(item, isFileTextItem(doc, home._item), neighbour.parentSub);
    }
    if (problem !== null) return problem;
  }
  return null;
}

function itemProblem(item: OutlineStruct, place: Place): string | null {
  switch (place.kind) {
    case 'gc':
    case 'unknown':
      return null;
    case 'root':
      return rootItemProblem(item, place.name, place.sub);
    case 'inside':
      return insideItemProblem(item, place.fileText, place.sub);
  }
}

/** An item landing under the top-level type `name`, at key `sub` (null: in its list). */
function rootItemProblem(item: OutlineStruct, name: string, sub: string | null): string | null {
  if (name !== CODE_FILES_KEY) {
    return `the code doc has no top-level type ${JSON.stringify(name.slice(0, 80))}`;
  }
  if (sub === null) return `${CODE_FILES_KEY} is a map of paths: it holds no list items`;
  if (!isValidFilePath(sub)) return `invalid file path ${JSON.stringify(sub.slice(0, 80))}`;
  if (item.content === Content.deleted || isTextOutline(item)) return null;
  return `file ${JSON.stringify(sub.slice(0, 80))} must be a Y.Text`;
}

/** An item landing inside another item's type (a file's text when `fileText`), at key `sub`. */
function insideItemProblem(item: OutlineStruct, fileText: boolean, sub: string | null): string | null {
  if (!fileText) return 'the update writes inside a value that is not a file';
  if (sub !== null) return 'file texts take no attributes';
  if (item.content === Content.string || item.content === Content.deleted) return null;
  return 'file texts hold plain text only (no embeds, formatting or nested types)';
}

/** An integrated item that carries a file's Y.Text: a value of the top-level `files` map. */
function isFileTextItem(doc: Y.Doc, item: Y.Item): boolean {
  const files = doc.share.get(CODE_FILES_KEY);
  return files !== undefined && item.parent === files && item.parentSub !== null && isTextType(item.content);
}

/** A Y.Text, not a subclass (Y.XmlText is one and reads differently). */
function isTextType(content: Y.Item['content']): boolean {
  return content instanceof Y.ContentType && content.type.constructor === Y.Text;
}

const isTextOutline = (s: OutlineStruct) => s.content === Content.type && s.typeRef === TYPE_REF_TEXT;

/** Resolves the outline's items' places through the document and the outline, memoised and iterative. */
class PlaceResolver {
  private readonly doc: Y.Doc;
  private readonly byClient = new Map<number, OutlineStruct[]>();
  private readonly places = new Map<OutlineStruct, Place>();

  constructor(doc: Y.Doc, structs: readonly OutlineStruct[]) {
    this.doc = doc;
    for (const s of structs) {
      const list = this.byClient.get(s.client);
      if (list) list.push(s);
      else this.byClient.set(s.client, [s]);
    }
    for (const list of this.byClient.values()) list.sort((a, b) => a.clock - b.clock);
  }

  placeOf(start: OutlineStruct): Place {
    // A chain of overwrites (each item's origin the one before) can be long: walk it with a stack, not
    // recursion, and give every item on it the place found at its end.
    const chain: OutlineStruct[] = [];
    const onChain = new Set<OutlineStruct>();
    let current: OutlineStruct = start;
    let found: Place;
    for (;;) {
      const known = this.places.get(current);
      if (known) {
        found = known;
        break;
      }
      const step = this.step(current);
      if (step.next === null) {
        found = step.place;
        chain.push(current);
        break;
      }
      if (onChain.has(step.next)) {
        // A cycle never integrates: Yjs keeps it pending for ever.
        found = UNKNOWN;
        chain.push(current);
        break;
      }
      chain.push(current);
      onChain.add(current);
      current = step.next;
    }
    // Yjs copies parent and key together from the neighbour, so the whole chain lands where its end does.
    for (const item of chain) this.places.set(item, found);
    return found;
  }

  /** One step: either the item's place, or the neighbour in the outline it takes its parent from. */
  private step(item: OutlineStruct): { place: Place; next: null } | { place: null; next: OutlineStruct } {
    const parent = item.parent;
    if (typeof parent === 'string')
      return { place: { kind: 'root', name: parent, sub: item.parentSub }, next: null };
    if (parent !== null) {
      const owner = this.find(parent);
      if (owner === null) return { place: UNKNOWN, next: null };
      if (owner === 'gc') return { place: GC_PLACE, next: null };
      if (owner instanceof Y.Item) {
        return {
          place: { kind: 'inside', fileText: this.isFileTextItem(owner), sub: item.parentSub },
          next: null,
        };
      }
      // The parent item is in this update: it must itself be a file text and land as one.
      if (!isTextOutline(owner))
        return { place: { kind: 'inside', fileText: false, sub: item.parentSub }, next: null };
      const ownerPlace = this.placeOf(owner);
      const fileText =
        ownerPlace.kind === 'root' &&
        ownerPlace.name === CODE_FILES_KEY &&
        ownerPlace.sub !== null &&
        isValidFilePath(ownerPlace.sub);
      if (ownerPlace.kind === 'unknown') return { place: UNKNOWN, next: null };
      if (ownerPlace.kind === 'gc') return { place: GC_PLACE, next: null };
      return { place: { kind: 'inside', fileText, sub: item.parentSub }, next: null };
    }
    // No parent info: Yjs takes it from the left neighbour, else the right; a GC neighbour makes it GC.
    const left = item.origin ? this.find(item.origin) : undefined;
    const right = item.rightOrigin ? this.find(item.rightOrigin) : undefined;
    if (left === null || right === null) return { place: UNKNOWN, next: null };
    if (left === 'gc' || right === 'gc') return { place: GC_PLACE, next: null };
    const neighbour = left ?? right;
    if (neighbour === undefined) return { place: GC_PLACE, next: null };
    if (neighbour instanceof Y.Item) return { place: this.placeOfIntegrated(neighbour), next: null };
    return { place: null, next: neighbour };
  }

  /** The item holding clock `id`: integrated in the doc (a Y.Item), in the outline, GC, or null (missing). */
  private find(id: OutlineId): Y.Item | OutlineStruct | 'gc' | null {
    const store = this.doc.store;
    if (id.clock < Y.getState(store, id.client)) {
      const struct = Y.getItem(store, Y.createID(id.client, id.clock));
      return struct instanceof Y.Item ? struct : 'gc';
    }
    const list = this.byClient.get(id.client);
    if (!list) return null;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid]!;
      if (id.clock < s.clock) hi = mid - 1;
      else if (id.clock >= s.clock + s.length) lo = mid + 1;
      else if (isItem(s)) return s;
      else if (s.content === Content.gc) return 'gc';
      else return null;
    }
    return null;
  }

  private placeOfIntegrated(item: Y.Item): Place {
    const parent = item.parent;
    if (!(parent instanceof Y.AbstractType)) return GC_PLACE;
    if (parent._item === null) {
      return { kind: 'root', name: Y.findRootTypeKey(parent), sub: item.parentSub };
    }
    return { kind: 'inside', fileText: this.isFileTextItem(parent._item), sub: item.parentSub };
  }

  /** An integrated item that carries a file's Y.Text: a value of the top-level `files` map. */
  private isFileTextItem(item: Y.Item): boolean {
    return isFileTextItem(this.doc, item);
  }
}

/**
 * A file's text, or undefined when there is no such file or its key holds something else (or is not a
 * valid path, so it can never reach an export or a disk). Documents stored
 * before SAFE-35 may hold anything under a key; every reader goes through here (or fileTexts) and skips
 * such keys instead of crashing (the room's load reports them once: codeDocShapeProblems).
 */
export function fileText(doc: Y.Doc, path: string): Y.Text | undefined {
  if (!isValidFilePath(path)) return undefined;
  const value: unknown = doc.getMap(CODE_FILES_KEY).get(path);
  return value instanceof Y.Text && value.constructor === Y.Text ? value : undefined;
}

/** Every file that is a Y.Text under a valid path, in map order; other keys are skipped (see fileText). */
export function fileTexts(doc: Y.Doc): [string, Y.Text][] {
  const out: [string, Y.Text][] = [];
  for (const [path, value] of doc.getMap<unknown>(CODE_FILES_KEY).entries()) {
    if (isValidFilePath(path) && value instanceof Y.Text && value.constructor === Y.Text)
      out.push([path, value]);
  }
  return out;
}

/** A part of a loaded code doc that breaks its shape: the key (or top-level name) and what is wrong. */
export interface ShapeProblem {
  key: string;
  problem: string;
}

/**
 * What a loaded code doc holds that SAFE-35 refuses today (it was stored before): other top-level types,
 * keys that are not valid paths or not texts, texts with embeds or formatting. One walk over the document,
 * at load only.
 */
export function codeDocShapeProblems(doc: Y.Doc): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  for (const name of doc.share.keys()) {
    if (name !== CODE_FILES_KEY) problems.push({ key: name, problem: 'a top-level type other than files' });
  }
  const files = doc.share.get(CODE_FILES_KEY);
  if (!files) return problems;
  if (files._start !== null) problems.push({ key: CODE_FILES_KEY, problem: 'list items in the files map' });
  for (const [key, item] of files._map) {
    if (item.deleted) continue;
    if (!isValidFilePath(key)) problems.push({ key, problem: 'not a valid file path' });
    if (!isTextType(item.content)) {
      problems.push({ key, problem: 'not a Y.Text' });
      continue;
    }
    const text = (item.content as Y.ContentType).type;
    let n: Y.Item | null = text._start;
    for (; n !== null; n = n.right) {
      if (!n.deleted && !(n.content instanceof Y.ContentString)) break;
    }
    if (n !== null || text._map.size > 0) {
      problems.push({ key, problem: 'embeds, formatting or attributes in the text' });
    }
  }
  return problems;
}
