import * as Y from 'yjs';
import {
  REVIEW_ROOM_KEY,
  REVIEW_RUNS_KEY,
  REVIEW_SUGGESTIONS_KEY,
  type RunView,
  type SuggestionView,
} from '../../schema/protocol.ts';

/**
 * Reading and writing the review doc's shape (docs/design.md section 2): `runs` and `suggestions` are
 * Y.Map<id, Y.Map>. What grows while a run streams is a Yjs type, appended to and never rewritten whole
 * (a rewrite sends the whole value to every watcher again): a suggestion's `proposed` and a run's `message`
 * are Y.Text, a run's `steers` and `unanchored` are Y.Array. Every other field is a plain value. Only the
 * server writes this doc.
 */
export function runsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap(REVIEW_RUNS_KEY);
}

export function suggestionsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap(REVIEW_SUGGESTIONS_KEY);
}

/** Room-wide state pages follow live (the policy). */
export function roomMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(REVIEW_ROOM_KEY);
}

export function writeFields(map: Y.Map<unknown>, fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && map.get(key) !== value) map.set(key, value);
  }
}

/** Run fields that are appended to rather than replaced. */
export const appendedRunFields = ['message', 'steers', 'unanchored'] as const;

export function newRunMap(view: RunView): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(view)) {
    if (key === 'message') map.set(key, new Y.Text(value as string));
    else if (key === 'steers' || key === 'unanchored')
      map.set(key, Y.Array.from(value as Record<string, unknown>[]));
    else map.set(key, value);
  }
  return map;
}

export function newSuggestionMap(view: SuggestionView): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(view)) {
    map.set(key, key === 'proposed' ? new Y.Text(value as string) : value);
  }
  return map;
}

/** A run as plain values (Yjs types render as their string or array; older docs held plain values). */
export function readRun(map: Y.Map<unknown>): RunView {
  const json = map.toJSON() as RunView;
  return {
    ...json,
    message: String(json.message ?? ''),
    steers: json.steers ?? [],
    unanchored: json.unanchored ?? [],
  };
}

export function readSuggestion(map: Y.Map<unknown>): SuggestionView {
  const json = map.toJSON() as SuggestionView;
  // toJSON renders a Y.Text as its string already; keep the type honest for older docs.
  return { ...json, proposed: String(json.proposed ?? '') };
}

export function proposedText(map: Y.Map<unknown>): Y.Text {
  const text = map.get('proposed');
  if (!(text instanceof Y.Text)) throw new Error('suggestion has no proposed text');
  return text;
}

/** Appends to a run's Y.Text/Y.Array field; a run written by an older server (plain value) is upgraded once. */
export function appendToRun(run: Y.Map<unknown>, field: 'message', text: string): void;
export function appendToRun(run: Y.Map<unknown>, field: 'steers' | 'unanchored', item: unknown): void;
export function appendToRun(
  run: Y.Map<unknown>,
  field: (typeof appendedRunFields)[number],
  value: unknown,
): void {
  const current = run.get(field);
  if (field === 'message') {
    if (current instanceof Y.Text) current.insert(current.length, value as string);
    else run.set(field, new Y.Text(`${typeof current === 'string' ? current : ''}${value as string}`));
    return;
  }
  const item = value as Record<string, unknown>;
  if (current instanceof Y.Array) current.push([item]);
  else run.set(field, Y.Array.from([...(Array.isArray(current) ? current : []), item]));
}
