import { EditorState } from '@codemirror/state';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { listSuggestions } from '../../../../client/sdk/review-views.ts';
import { reservedLinesOf } from '../../../../client/web/src/editor/proposal-stream.ts';
import {
  encodeRelativePosition,
  inlineSuggestions,
} from '../../../../client/web/src/editor/suggestion-ranges.ts';
import {
  setSuggestions,
  suggestions,
  suggestionsField,
} from '../../../../client/web/src/editor/suggestions.ts';
import { hunkEntries, LineIndex } from '../../../../client/web/src/room/hunk-index.ts';

/** The String methods that read a string's characters (V8 copies a cons string whole on the first). */
const readers = [
  'at',
  'charAt',
  'charCodeAt',
  'codePointAt',
  'endsWith',
  'includes',
  'indexOf',
  'lastIndexOf',
  'localeCompare',
  'match',
  'replace',
  'slice',
  'split',
  'startsWith',
  'substring',
  'trim',
] as const;

/** Runs `fn` and counts its calls of a String reader on a string at least `length` long. */
function readsOfLength<T>(length: number, fn: () => T): { result: T; reads: number } {
  const proto = String.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const saved = readers.map((name) => [name, proto[name]!] as const);
  let reads = 0;
  for (const [name, original] of saved) {
    proto[name] = function (this: string, ...args: unknown[]) {
      if (this.length >= length) reads++;
      return original.apply(this, args);
    };
  }
  try {
    return { result: fn(), reads };
  } finally {
    for (const [name, original] of saved) proto[name] = original;
  }
}

describe('the readers of a streaming proposal', () => {
  it('PERF-144: each frame reads only what Spark added to the proposal, not the whole of it (the field that keeps the cards, the hunk list)', () => {
    const code = new Y.Doc();
    const files = code.getMap<Y.Text>('files');
    const file = files.set('a.js', new Y.Text());
    file.insert(0, 'function add(a, b) {\n  return a - b;\n}\n');
    const old = '  return a - b;\n';
    const from = file.toString().indexOf(old);
    const review = new Y.Doc();
    const all = review.getMap<Y.Map<unknown>>('suggestions');
    const proposed = new Y.Text();
    const s = new Y.Map<unknown>();
    all.set('s1', s);
    for (const [k, v] of Object.entries({
      id: 's1',
      runId: 'r1',
      file: 'a.js',
      start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(file, from, 0)),
      end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(file, from + old.length, -1)),
      baseText: old,
      state: 'streaming',
      proposed,
    }))
      s.set(k, v);

    let state = EditorState.create({
      doc: file.toString(),
      extensions: suggestions({ canDecide: true, onAccept: vi.fn(), onReject: vi.fn() }),
    });
    const lines = new LineIndex();
    let text = '';
    let wholeReads = 0;
    let steps = 0;
    for (let frame = 0; frame < 100; frame++) {
      const last = text;
      // A frame of the stream: a few tokens, a line now and then, each its own update as from the server.
      for (let t = 0; t < 12; t++) {
        const token = t === 11 && frame % 2 === 0 ? ` x${frame};\n` : ` token${t}`;
        proposed.insert(proposed.length, token);
        text += token;
      }
      const before = state.field(suggestionsField).decorations;
      const { result, reads } = readsOfLength(text.length, () => {
        const views = listSuggestions(all);
        const items = inlineSuggestions(views, 'a.js', file, () => 'Ada');
        state = state.update({ effects: setSuggestions.of(items) }).state;
        return hunkEntries(views, files, lines, () => 'Ada');
      });
      // (past the log's first chunks: a read copies at most a chunk of about 1 KB)
      if (text.length > 4096) wholeReads += reads;
      // What they read is still right: the field holds the whole text, the hunk list its first line, and
      // the cards are drawn anew exactly when they take their next step of reserved lines (WEB-114).
      expect(state.field(suggestionsField).items[0]!.proposed).toBe(text);
      expect(result[0]!.preview).toBe(text.split('\n', 1)[0]);
      const stepped = reservedLinesOf(text) !== reservedLinesOf(last);
      if (state.field(suggestionsField).decorations !== before) steps++;
      if (frame > 0 && !stepped) expect(state.field(suggestionsField).decorations).toBe(before);
    }
    expect(steps).toBeGreaterThan(1);
    // On main each frame read the new proposal whole twice (`onlyStreamsGrew`'s startsWith, the preview's split).
    expect(wholeReads).toBe(0);
  });
});
