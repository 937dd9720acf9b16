import { EditorState, type Transaction } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { describe, expect, it } from 'vitest';
import { ySyncFacet } from 'y-codemirror.next';
import * as Y from 'yjs';
import { SyncFirst, sendEditsFirst, ySyncFirst } from '../../../../client/web/src/editor/y-sync-first.ts';

/**
 * A file bound with ySyncFirst, and the parts of an EditorView that sendEditsFirst and the plugin use: the
 * view's update notes what the Y.Text held and which updates had left when CodeMirror took the edit in.
 */
function bound(text = 'const a = 1;\n') {
  const doc = new Y.Doc();
  const ytext = doc.getText('f');
  ytext.insert(0, text);
  const sent: string[] = [];
  doc.on('update', () => sent.push(ytext.toString()));
  const um = new Y.UndoManager(ytext);
  const seenAtUpdate: { ytext: string; sent: number }[] = [];
  const view = {
    state: EditorState.create({ doc: text, extensions: ySyncFirst(ytext, um) }),
    plugin: () => sync,
    dispatch(spec: Parameters<EditorState['update']>[0]) {
      this.update([this.state.update(spec)]);
    },
    update(trs: readonly Transaction[]) {
      seenAtUpdate.push({ ytext: ytext.toString(), sent: sent.length });
      this.state = trs.at(-1)!.state;
      sync.update({ transactions: trs });
    },
  };
  const sync = new SyncFirst(view as unknown as EditorView);
  const dispatch = (...trs: Transaction[]) => sendEditsFirst(trs, view as unknown as EditorView);
  return { doc, ytext, um, view, sent, seenAtUpdate, dispatch };
}

describe('ySyncFirst (PERF-109)', () => {
  it("PERF-109: a person's edit is in the Y.Text, and its update has left, before the editor takes it in; written once", () => {
    const { ytext, view, sent, seenAtUpdate, dispatch } = bound();
    dispatch(view.state.update({ changes: { from: 6, insert: 'b' }, userEvent: 'input.type' }));
    expect(seenAtUpdate).toEqual([{ ytext: 'const ba = 1;\n', sent: 1 }]);
    expect(ytext.toString()).toBe('const ba = 1;\n');
    expect(view.state.doc.toString()).toBe('const ba = 1;\n');
    expect(sent).toHaveLength(1);
  });

  it('PERF-109: edits the view is given together are written in its update, in order, as y-codemirror.next did', () => {
    const { ytext, view, seenAtUpdate, dispatch } = bound();
    const first = view.state.update({ changes: { from: 0, insert: '// x\n' } });
    const second = first.state.update({ changes: { from: 0, to: 5, insert: '' } });
    dispatch(first, second);
    expect(seenAtUpdate[0]?.ytext).toBe('const a = 1;\n');
    expect(ytext.toString()).toBe('const a = 1;\n');
    expect(view.state.doc.toString()).toBe('const a = 1;\n');
    dispatch(view.state.update({ changes: { from: 13, insert: 'x' } }));
    expect(ytext.toString()).toBe('const a = 1;\nx');
  });

  it("PERF-109: someone else's change comes in as one transaction marked as theirs, and is not written back", () => {
    const { doc, ytext, view, sent } = bound();
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    other.getText('f').insert(0, '// hi\n');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)), 'remote');
    expect(view.state.doc.toString()).toBe('// hi\nconst a = 1;\n');
    expect(ytext.toString()).toBe('// hi\nconst a = 1;\n');
    expect(sent).toHaveLength(1);
  });

  it("PERF-109: an edit given first is this person's for undo (written with the origin y-codemirror.next's undo plugin tracks)", () => {
    const { ytext, um, view, dispatch } = bound();
    // What yUndoManager's view plugin does when the view starts (the fake view runs no plugins).
    um.addTrackedOrigin(view.state.facet(ySyncFacet));
    dispatch(view.state.update({ changes: { from: 0, insert: 'let ' } }));
    expect(um.undoStack).toHaveLength(1);
    um.undo();
    expect(ytext.toString()).toBe('const a = 1;\n');
    expect(view.state.doc.toString()).toBe('const a = 1;\n');
  });
});
