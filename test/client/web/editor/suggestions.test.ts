import { EditorSelection, EditorState, type Transaction } from '@codemirror/state';
import type { Decoration, EditorView } from '@codemirror/view';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import {
  encodeRelativePosition,
  type InlineSuggestion,
  inlineSuggestions,
  resolveRange,
} from '../../../../client/web/src/editor/suggestion-ranges.ts';
import {
  acceptSuggestionAtCursor,
  nextSuggestion,
  previousSuggestion,
  rejectSuggestionAtCursor,
  type SuggestionsConfig,
  setSuggestions,
  suggestionAt,
  suggestions,
  suggestionsField,
} from '../../../../client/web/src/editor/suggestions.ts';
import type { SuggestionView } from '../../../../schema/protocol.ts';

const BASE = 'function add(a, b) {\n  return a - b;\n}\n\nexport { add };\n';

/** A code doc with one file, and a suggestion over `old` anchored the way the server anchors it. */
function docWithHunk(text: string, old: string) {
  const doc = new Y.Doc();
  const ytext = doc.getMap<Y.Text>('files').set('a.js', new Y.Text());
  ytext.insert(0, text);
  const from = text.indexOf(old);
  const view: SuggestionView = {
    id: 's1',
    runId: 'r1',
    file: 'a.js',
    start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, from, 0)),
    end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, from + old.length, -1)),
    baseText: old,
    proposed: 'return a + b;',
    state: 'proposed',
    proposedBy: { agent: 'spark', model: 'm' },
    requestedBy: 'u_ada',
    decidedBy: null,
    decidedAt: null,
    interruptedBy: null,
    newFile: false,
  };
  return { doc, ytext, view, from };
}

function config(overrides: Partial<SuggestionsConfig> = {}): SuggestionsConfig {
  return {
    canDecide: true,
    onAccept: vi.fn(),
    onReject: vi.fn(),
    ...overrides,
  };
}

function stateWith(doc: string, items: InlineSuggestion[], conf = config()): EditorState {
  const state = EditorState.create({ doc, extensions: suggestions(conf) });
  return state.update({ effects: setSuggestions.of(items) }).state;
}

function hunk(doc: string, old: string, id = 's1', extra: Partial<InlineSuggestion> = {}): InlineSuggestion {
  const from = doc.indexOf(old);
  if (from < 0) throw new Error(`${old} not in doc`);
  return {
    id,
    runId: 'r1',
    from,
    to: from + old.length,
    baseText: old,
    proposed: 'NEW',
    state: 'proposed',
    askedBy: 'Ada',
    ...extra,
  };
}

/** Every decoration as [from, to, kind]. */
function decorations(state: EditorState): [number, number, string][] {
  const out: [number, number, string][] = [];
  state.field(suggestionsField).decorations.between(0, state.doc.length, (from, to, value: Decoration) => {
    const spec = value.spec as {
      class?: string;
      widget?: { constructor: { name: string } };
      block?: boolean;
    };
    out.push([from, to, spec.block ? 'proposal' : spec.widget ? 'insert-point' : (spec.class ?? 'line')]);
  });
  return out;
}

/** A minimal view for commands: they only read state and dispatch. */
function fakeView(state: EditorState): EditorView & { state: EditorState } {
  const view = {
    state,
    dispatch(tr: Transaction | Parameters<EditorState['update']>[0]) {
      view.state = 'changes' in tr && 'startState' in tr ? (tr as Transaction).state : state.update(tr).state;
    },
  };
  return view as unknown as EditorView & { state: EditorState };
}

describe('resolving suggestion anchors (relative positions into the code doc)', () => {
  it('places the hunk over its base text', () => {
    const { ytext, view } = docWithHunk(BASE, 'return a - b;');
    const range = resolveRange(view, ytext);
    expect(range && ytext.toString().slice(range.from, range.to)).toBe('return a - b;');
  });

  it('follows concurrent edits from another replica before, after and at the edges of the hunk', () => {
    const { doc, ytext, view } = docWithHunk(BASE, 'return a - b;');
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    const otherText = other.getMap<Y.Text>('files').get('a.js')!;
    otherText.insert(0, '// header\n'); // before
    otherText.insert(otherText.toString().indexOf('export'), '// tail\n'); // after
    const start = otherText.toString().indexOf('return a - b;');
    otherText.insert(start, '  '); // exactly at the start: outside the hunk (start assoc 0 sticks right)
    otherText.insert(otherText.toString().indexOf('return a - b;') + 'return a - b;'.length, ' // x'); // at the end: outside
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
    const range = resolveRange(view, ytext)!;
    expect(ytext.toString().slice(range.from, range.to)).toBe('return a - b;');
    expect(ytext.toString().slice(0, range.from)).toBe('// header\nfunction add(a, b) {\n    ');
  });

  it('collapses to an empty range when someone deletes across the hunk', () => {
    const { ytext, view } = docWithHunk(BASE, 'return a - b;');
    ytext.delete(BASE.indexOf('{') + 1, BASE.indexOf('}') - BASE.indexOf('{') - 1);
    const range = resolveRange(view, ytext)!;
    expect(range.to - range.from).toBe(0);
  });

  it('cannot place new-file suggestions or anchors into another file', () => {
    const { doc, view } = docWithHunk(BASE, 'return a - b;');
    const otherFile = doc.getMap<Y.Text>('files').set('b.js', new Y.Text('x'));
    expect(resolveRange({ start: null, end: null }, otherFile)).toBeNull();
    expect(resolveRange(view, otherFile)).toBeNull();
    expect(resolveRange({ start: 'not base64!', end: 'x' }, otherFile)).toBeNull();
  });

  it('shows only pending suggestions of the open file, in text order, with who asked', () => {
    const { ytext, view } = docWithHunk(BASE, 'return a - b;');
    const second = {
      ...view,
      id: 's0',
      start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, 0, 0)),
      end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, 8, -1)),
    };
    const all: SuggestionView[] = [
      view,
      second,
      { ...view, id: 'acc', state: 'accepted' },
      { ...view, id: 'rej', state: 'rejected' },
      { ...view, id: 'sup', state: 'superseded' },
      { ...view, id: 'other', file: 'b.js' },
      { ...view, id: 'new', newFile: true, start: null, end: null },
      { ...view, id: 'stale', state: 'stale' },
      { ...view, id: 'int', state: 'interrupted' },
      { ...view, id: 'str', state: 'streaming' },
    ];
    const shown = inlineSuggestions(all, 'a.js', ytext, (s) => (s.requestedBy === 'u_ada' ? 'Ada' : '?'));
    expect(shown.map((s) => s.id)).toEqual(['s0', 's1', 'stale', 'int', 'str']);
    expect(shown.every((s) => s.askedBy === 'Ada')).toBe(true);
  });
});

describe('suggestions() decorations on EditorState', () => {
  it('strikes the replaced text, marks its lines and puts the proposal under the last line', () => {
    const s = hunk(BASE, 'return a - b;');
    const state = stateWith(BASE, [s]);
    const lineEnd = state.doc.lineAt(s.to).to;
    expect(decorations(state)).toEqual([
      [state.doc.lineAt(s.from).from, state.doc.lineAt(s.from).from, 'cm-spark-hunk-line'],
      [s.from, s.to, 'cm-spark-deleted'],
      [lineEnd, lineEnd, 'proposal'],
    ]);
  });

  it('shows a pure insertion as an insertion point, not a strike-through', () => {
    // Inside a line: the line is the hunk's, the proposal goes under it.
    const at = BASE.indexOf('b;');
    const state = stateWith(BASE, [{ ...hunk(BASE, 'b;'), to: at, from: at, baseText: '' }]);
    expect(decorations(state).map((d) => d[2])).toEqual(['cm-spark-hunk-line', 'insert-point', 'proposal']);
  });

  it('WEB-77: draws lines inserted at the start of a line above that line, which is not the hunk’s', () => {
    const at = BASE.indexOf('}');
    expect(BASE[at - 1]).toBe('\n');
    const state = stateWith(BASE, [{ ...hunk(BASE, '}'), to: at, from: at, baseText: '' }]);
    // Both at the line's start: the block before the line (side -1), then the insertion point in it.
    expect(decorations(state)).toEqual([
      [at, at, 'proposal'],
      [at, at, 'insert-point'],
    ]);
  });

  it('maps through any single edit exactly as the Yjs anchors move', () => {
    const old = 'return a - b;';
    const at = BASE.indexOf(old);
    const cases: { name: string; from: number; del: number; insert: string }[] = [];
    for (let pos = at - 2; pos <= at + old.length + 2; pos++) {
      cases.push({ name: `insert at ${pos - at}`, from: pos, del: 0, insert: 'XY' });
      cases.push({ name: `delete 3 at ${pos - at}`, from: pos, del: 3, insert: '' });
    }
    cases.push({ name: 'delete across the whole hunk', from: at - 1, del: old.length + 2, insert: '' });
    for (const c of cases) {
      const { ytext, view } = docWithHunk(BASE, old);
      let state = stateWith(
        BASE,
        inlineSuggestions([view], 'a.js', ytext, () => 'Ada'),
      );
      if (c.del) ytext.delete(c.from, c.del);
      if (c.insert) ytext.insert(c.from, c.insert);
      state = state.update({ changes: { from: c.from, to: c.from + c.del, insert: c.insert } }).state;
      const mapped = state.field(suggestionsField).items[0]!;
      expect({ from: mapped.from, to: mapped.to }, c.name).toEqual(resolveRange(view, ytext));
    }
  });

  it('stays on the Yjs answer through any sequence of edits when re-fed after each (seeded fuzz)', () => {
    // Between a local edit and the next feed the field maps on its own; after a replacement at a hunk
    // edge, CodeMirror and Yjs may disagree on which side the new text lies, so the page re-feeds the
    // resolved anchors after every edit. This checks that pipeline end to end.
    const seed = 20240611;
    let rnd = seed;
    const random = () => {
      rnd = (rnd * 1103515245 + 12345) & 0x7fffffff;
      return rnd / 0x7fffffff;
    };
    for (let round = 0; round < 40; round++) {
      const { ytext, view, doc } = docWithHunk(BASE, 'return a - b;');
      let state = stateWith(
        BASE,
        inlineSuggestions([view], 'a.js', ytext, () => 'Ada'),
      );
      for (let step = 0; step < 8; step++) {
        const len = state.doc.length;
        const from = Math.floor(random() * (len + 1));
        const del = random() < 0.4 ? Math.min(len - from, Math.floor(random() * 4)) : 0;
        const insert = random() < 0.7 ? 'xy'.slice(0, 1 + Math.floor(random() * 2)) : '';
        if (del === 0 && insert === '') continue;
        doc.transact(() => {
          if (del) ytext.delete(from, del);
          if (insert) ytext.insert(from, insert);
        });
        state = state.update({ changes: { from, to: from + del, insert } }).state;
        state = state.update({
          effects: setSuggestions.of(inlineSuggestions([view], 'a.js', ytext, () => 'Ada')),
        }).state;
        const where = `seed ${seed} round ${round} step ${step}`;
        expect(state.doc.toString(), where).toBe(ytext.toString());
        const resolved = resolveRange(view, ytext)!;
        const struck = decorations(state).filter((d) => d[2] === 'cm-spark-deleted');
        expect(struck, where).toEqual(
          resolved.to > resolved.from ? [[resolved.from, resolved.to, 'cm-spark-deleted']] : [],
        );
      }
    }
  });

  it('replaces the whole set when the review doc changes (state updates, new hunks, decided ones gone)', () => {
    const a = hunk(BASE, 'return a - b;', 'a');
    const b = hunk(BASE, 'export', 'b');
    let state = stateWith(BASE, [a, b]);
    expect(state.field(suggestionsField).items.map((s) => s.id)).toEqual(['a', 'b']);
    state = state.update({ effects: setSuggestions.of([{ ...b, state: 'stale' }]) }).state;
    expect(state.field(suggestionsField).items).toEqual([{ ...b, state: 'stale' }]);
  });

  it('PERF-89 (PERF-55 again): keeps its decorations while Spark only adds text to streaming proposals within their reserved lines; anything else draws them anew (WEB-114: a new step of reserved lines too)', () => {
    let canDecide = true;
    const conf = {
      ...config(),
      get canDecide() {
        return canDecide;
      },
    };
    const a = hunk(BASE, 'return a - b;', 'a', { state: 'streaming', proposed: 'return' });
    const b = hunk(BASE, 'export', 'b');
    let state = stateWith(BASE, [a, b], conf);
    const drawn = state.field(suggestionsField).decorations;
    const feed = (items: InlineSuggestion[]) => {
      state = state.update({ effects: setSuggestions.of(items) }).state;
      return state.field(suggestionsField);
    };
    // More text at the end of the streaming proposal: the same decorations, the field holds the new text.
    let field = feed([{ ...a, proposed: 'return a +' }, b]);
    expect(field.decorations).toBe(drawn);
    expect(field.items.map((s) => s.proposed)).toEqual(['return a +', 'NEW']);
    field = feed([{ ...a, proposed: 'return a + b;' }, { ...b }]);
    expect(field.decorations).toBe(drawn);
    // WEB-114: text that takes the card to its next step of reserved lines (WEB-112: 8, then 16) is drawn
    // by the editor, so the card's new height goes through its update; the lines after it stay kept.
    const seven = 'return a + b;\n'.repeat(7);
    field = feed([{ ...a, proposed: seven }, b]);
    expect(field.decorations).toBe(drawn);
    field = feed([{ ...a, proposed: `${seven}x;` }, b]);
    expect(field.decorations).toBe(drawn);
    field = feed([{ ...a, proposed: `${seven}x;\n` }, b]);
    expect(field.decorations).not.toBe(drawn);
    const stepped = field.decorations;
    field = feed([{ ...a, proposed: `${seven}x;\ny;\n` }, b]);
    expect(field.decorations).toBe(stepped);
    // The widgets are drawn anew for any other change: a text that is not a continuation, a text change
    // of a hunk that is not streaming, a new state, a new right to decide, a moved hunk.
    const redrawn = (items: InlineSuggestion[]) => {
      const before = state.field(suggestionsField).decorations;
      return feed(items).decorations !== before;
    };
    expect(redrawn([{ ...a, proposed: 'return a - c;' }, b])).toBe(true);
    expect(
      redrawn([
        { ...a, proposed: 'return a - c;' },
        { ...b, proposed: 'NEWER' },
      ]),
    ).toBe(true);
    expect(
      redrawn([
        { ...a, proposed: 'return a - c;', state: 'proposed' },
        { ...b, proposed: 'NEWER' },
      ]),
    ).toBe(true);
    canDecide = false;
    expect(
      redrawn([
        { ...a, proposed: 'return a - c;', state: 'proposed' },
        { ...b, proposed: 'NEWER' },
      ]),
    ).toBe(true);
    expect(
      redrawn([
        { ...a, proposed: 'return a - c;', state: 'proposed' },
        { ...b, proposed: 'NEWER' },
      ]),
    ).toBe(false);
    expect(
      redrawn([
        { ...a, proposed: 'return a - c;', state: 'proposed', from: a.from + 1 },
        { ...b, proposed: 'NEWER' },
      ]),
    ).toBe(true);
    // Each proposal's widget shows the text of the last drawing; the card's stream shows the field's text.
    const widgets: string[] = [];
    state.field(suggestionsField).decorations.between(0, state.doc.length, (_f, _t, d: Decoration) => {
      const w = (d.spec as { widget?: { s?: InlineSuggestion } }).widget?.s;
      if (w) widgets.push(w.proposed);
    });
    expect(widgets).toEqual(['return a - c;', 'NEWER']);
  });
});

describe('suggestion keys', () => {
  const doc = BASE;
  const a = hunk(doc, 'return a - b;', 'a');
  const b = hunk(doc, 'export { add };', 'b');

  it('accepts and rejects the hunk under the cursor (on any of its lines)', () => {
    const conf = config();
    const view = fakeView(
      stateWith(doc, [a, b], conf).update({ selection: EditorSelection.cursor(doc.indexOf('  return')) })
        .state,
    );
    expect(suggestionAt(view.state, view.state.selection.main.head)?.id).toBe('a');
    expect(acceptSuggestionAtCursor(view)).toBe(true);
    expect(conf.onAccept).toHaveBeenCalledWith('a');
    view.state = view.state.update({ selection: EditorSelection.cursor(doc.indexOf('{ add }')) }).state;
    expect(rejectSuggestionAtCursor(view)).toBe(true);
    expect(conf.onReject).toHaveBeenCalledWith('b');
  });

  it('does nothing (so the key keeps its usual meaning) off a hunk, for stale hunks, or without the right', () => {
    const conf = config();
    const off = fakeView(stateWith(doc, [a], conf).update({ selection: EditorSelection.cursor(0) }).state);
    expect(acceptSuggestionAtCursor(off)).toBe(false);
    const stale = fakeView(
      stateWith(doc, [{ ...a, state: 'stale' }], conf).update({ selection: EditorSelection.cursor(a.from) })
        .state,
    );
    expect(acceptSuggestionAtCursor(stale)).toBe(false);
    expect(rejectSuggestionAtCursor(stale)).toBe(true);
    const viewerConf = config({ canDecide: false });
    const viewer = fakeView(
      stateWith(doc, [a], viewerConf).update({ selection: EditorSelection.cursor(a.from) }).state,
    );
    expect(acceptSuggestionAtCursor(viewer)).toBe(false);
    expect(viewerConf.onAccept).not.toHaveBeenCalled();
    expect(conf.onAccept).not.toHaveBeenCalled();
  });

  it('jumps to the next and previous hunk, wrapping around', () => {
    const view = fakeView(stateWith(doc, [a, b]).update({ selection: EditorSelection.cursor(0) }).state);
    expect(nextSuggestion(view)).toBe(true);
    expect(view.state.selection.main.head).toBe(a.from);
    nextSuggestion(view);
    expect(view.state.selection.main.head).toBe(b.from);
    nextSuggestion(view);
    expect(view.state.selection.main.head).toBe(a.from);
    previousSuggestion(view);
    expect(view.state.selection.main.head).toBe(b.from);
    expect(nextSuggestion(fakeView(stateWith(doc, [])))).toBe(false);
  });
});
