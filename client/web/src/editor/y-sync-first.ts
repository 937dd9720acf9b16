import { type ChangeSet, type Extension, StateEffect, type Transaction } from '@codemirror/state';
import { type EditorView, type PluginValue, ViewPlugin } from '@codemirror/view';
import { type YSyncConfig, yCollab, ySync, ySyncAnnotation, ySyncFacet } from 'y-codemirror.next';
import type * as Y from 'yjs';

/** Transactions whose changes `sendEditsFirst` gave the Y.Text before the editor took them in. */
const givenFirst = new WeakSet<Transaction>();

/**
 * PERF-109: y-codemirror.next's binding of `ytext` (with `undoManager`), except that this person's edits
 * reach the Y.Text, and so the socket, before CodeMirror computes the new state and draws it: the stock
 * `ySync` plugin writes them in its view update, after the new state (the language's incremental parse, up
 * to 20 ms of it, and every state field), and after the plugins before it. Needs `sendEditsFirst` as the
 * view's `dispatchTransactions`; without it (or for a transaction it leaves), the plugin writes the edit in
 * its update as `ySync` did. Remote changes come in as with `ySync`.
 */
export function ySyncFirst(ytext: Y.Text, undoManager: Y.UndoManager): Extension {
  // In ySync's place, so the plugins after it (the undo manager's) see the same order.
  return (yCollab(ytext, null, { undoManager }) as Extension[]).map((e) => (e === ySync ? syncPlugin : e));
}

/**
 * The view's `dispatchTransactions`: a lone transaction with this person's edit goes to the Y.Text first,
 * then the editor updates. Several at once (rare: CodeMirror's own input handling dispatches one) are left
 * to the plugin, as is any that changes the configuration (a file switch, whose binding is another).
 */
export function sendEditsFirst(trs: readonly Transaction[], view: EditorView): void {
  const tr = trs.length === 1 ? trs[0] : undefined;
  const sync = view.plugin(syncPlugin);
  if (tr && sync && tr.startState === view.state && !reconfigures(tr)) sync.giveFirst(tr);
  view.update(trs);
}

function reconfigures(tr: Transaction): boolean {
  return tr.effects.some((e) => e.is(StateEffect.reconfigure) || e.is(StateEffect.appendConfig));
}

/** The plugin of `ySyncFirst` (exported for its tests). */
export class SyncFirst implements PluginValue {
  private readonly conf: YSyncConfig;
  private readonly observer: (event: Y.YTextEvent, tr: Y.Transaction) => void;

  constructor(view: Pick<EditorView, 'state' | 'dispatch'>) {
    const conf = view.state.facet(ySyncFacet);
    this.conf = conf;
    // As y-codemirror.next's ySync: a change from anyone else becomes one transaction, marked as theirs.
    this.observer = (event, tr) => {
      if (tr.origin === conf) return;
      const changes: { from: number; to: number; insert: string }[] = [];
      let pos = 0;
      for (const d of event.delta) {
        if (d.insert != null) changes.push({ from: pos, to: pos, insert: d.insert as string });
        else if (d.delete != null) {
          changes.push({ from: pos, to: pos + d.delete, insert: '' });
          pos += d.delete;
        } else pos += d.retain ?? 0;
      }
      view.dispatch({ changes, annotations: [ySyncAnnotation.of(conf)] });
    };
    conf.ytext.observe(this.observer);
  }

  giveFirst(tr: Transaction): void {
    if (!this.isOwnEdit(tr) || tr.startState.facet(ySyncFacet) !== this.conf) return;
    this.write(tr.changes);
    givenFirst.add(tr);
  }

  update(update: { transactions: readonly Transaction[] }): void {
    for (const tr of update.transactions)
      if (this.isOwnEdit(tr) && !givenFirst.has(tr)) this.write(tr.changes);
  }

  destroy(): void {
    this.conf.ytext.unobserve(this.observer);
  }

  private isOwnEdit(tr: Transaction): boolean {
    return tr.docChanged && tr.annotation(ySyncAnnotation) !== this.conf;
  }

  /** One Y transaction for one CodeMirror transaction, with the origin the undo manager tracks. */
  private write(changes: ChangeSet): void {
    const ytext = this.conf.ytext;
    ytext.doc!.transact(() => {
      // Positions of `changes` are in the text before it; each change already written shifts the rest.
      let adj = 0;
      changes.iterChanges((fromA, toA, _fromB, _toB, insert) => {
        const text = insert.sliceString(0, insert.length, '\n');
        if (fromA !== toA) ytext.delete(fromA + adj, toA - fromA);
        if (text.length > 0) ytext.insert(fromA + adj, text);
        adj += text.length - (toA - fromA);
      });
    }, this.conf);
  }
}

const syncPlugin = ViewPlugin.fromClass(SyncFirst);
