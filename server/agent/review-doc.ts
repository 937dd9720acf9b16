import * as Y from 'yjs';
import {
  REVIEW_RUNS_KEY,
  REVIEW_SUGGESTIONS_KEY,
  type RunView,
  type SuggestionView,
} from '../../schema/protocol.ts';

/**
 * Reading and writing the review doc's shape (DESIGN.md section 2): `runs` and `suggestions` are
 * Y.Map<id, Y.Map>; a suggestion's `proposed` is a Y.Text so it can be typed live; every other field is a
 * plain value. Only the server writes this doc.
 */
export function runsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap(REVIEW_RUNS_KEY);
}

export function suggestionsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap(REVIEW_SUGGESTIONS_KEY);
}

export function writeFields(map: Y.Map<unknown>, fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && map.get(key) !== value) map.set(key, value);
  }
}

export function newRunMap(view: RunView): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(view)) map.set(key, value);
  return map;
}

export function newSuggestionMap(view: SuggestionView): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(view)) {
    map.set(key, key === 'proposed' ? new Y.Text(value as string) : value);
  }
  return map;
}

export function readRun(map: Y.Map<unknown>): RunView {
  return map.toJSON() as RunView;
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
