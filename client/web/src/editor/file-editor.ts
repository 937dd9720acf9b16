import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, indentOnInput } from '@codemirror/language';
import { unifiedMergeView } from '@codemirror/merge';
import { searchKeymap } from '@codemirror/search';
import { Compartment, EditorState, type Extension, StateEffect } from '@codemirror/state';
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from '@codemirror/view';
import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { BlameRange } from '../../../../schema/protocol.ts';
import { currentTheme, onThemeChange } from '../ui/theme.ts';
import { type BlameConfig, blame, setBlame } from './blame.ts';
import { editorTheme } from './editor-theme.ts';
import { isOwnMove } from './follow-mode.ts';
import { languageFor } from './language-for.ts';
import { ownUndo } from './own-undo.ts';
import { presence } from './presence.ts';
import type { Participant } from './presence-state.ts';
import { matchHighlight } from './search-hits.ts';
import type { InlineSuggestion } from './suggestion-ranges.ts';
import { type SuggestionsConfig, setSuggestions, suggestions, suggestionsField } from './suggestions.ts';
import { sendEditsFirst, ySyncFirst } from './y-sync-first.ts';

/** Room kept beside a revealed position: wider than a name flag on a remote caret ("Ada Lovelace"). */
const REVEAL_X_MARGIN = 96;

export interface FileEditorDeps {
  parent: HTMLElement;
  awareness: Awareness;
  agentAwareness: Awareness | null;
  /** may not change the file now (a viewer, or a freeze): switched in place by `setReadOnly` (CLASS-29) */
  readOnly: boolean;
  suggestions: SuggestionsConfig;
  blame: BlameConfig;
  agentLabel: (p: Participant) => string;
  /** this person typed, selected or moved (ends follow mode) */
  onOwnMove(): void;
  /** the open file's text (docChanged) or selection changed */
  onChange?(docChanged: boolean): void;
  /** Ctrl+Z right after this person's own accept in the open file: undo (revert) that accept */
  undoAccept(file: string, suggestionId: string): void;
  /** Ctrl+Z reached a step of this person whose text is gone (replaced since); nothing was undone */
  nothingToUndo(file: string): void;
  /** more extensions for every file (navigation's outline watcher, ...) */
  extensions?: Extension[];
}

/** The id of the element that tells how to leave the editor (the room layout draws it). */
export const EDITOR_HINT_ID = 'editor-keys-hint';

/**
 * The one CodeMirror view of the room, showing one file at a time. Each file gets its own Y.UndoManager,
 * kept across file switches, that tracks only this person's edits: undo never takes back anyone else's.
 */
export class FileEditor {
  readonly view: EditorView;
  private path: string | null = null;
  private ytext: Y.Text | null = null;
  /** PERF-51: the file shown read-only from REST while the room's document syncs, before `open` binds it */
  private loadingPath: string | null = null;
  private readonly undoManagers = new Map<Y.Text, Y.UndoManager>();
  /** this person's accepts per file, newest last, until Ctrl+Z undoes them */
  private readonly ownAccepts = new Map<Y.Text, { suggestionId: string; at: number }[]>();
  private readonly language = new Compartment();
  private readonly blameSlot = new Compartment();
  /** the change from the base version shown inline (CR-22): @codemirror/merge's unified view, or nothing */
  private readonly diffSlot = new Compartment();
  private diffOriginal: string | null = null;
  /** light or dark colours, switched live when the person (or their system) changes theme (WEB-43) */
  private readonly themeSlot = new Compartment();
  private readonly stopThemeWatch: () => void;
  private blameOn = false;
  /** the room search's matches (NAV-30), or the selection's other occurrences when no search is shown */
  private readonly matchSlot = new Compartment();
  private searchQuery: RegExp | null = null;
  /**
   * CLASS-29: read-only or not, and the editor's name saying so, in one slot that a freeze or the pen switches
   * in place: the view, its undo history, scroll and selection stay.
   */
  private readonly readOnlySlot = new Compartment();
  private readOnly: boolean;
  private readonly deps: FileEditorDeps;

  constructor(deps: FileEditorDeps) {
    this.deps = deps;
    this.readOnly = deps.readOnly;
    this.view = new EditorView({
      parent: deps.parent,
      state: EditorState.create({ doc: '' }),
      // PERF-109: this person's edit leaves for the others before the editor computes and draws it.
      dispatchTransactions: sendEditsFirst,
    });
    this.view.dom.hidden = true;
    this.stopThemeWatch = onThemeChange((theme) => {
      if (this.path || this.loadingPath)
        this.view.dispatch({ effects: this.themeSlot.reconfigure(editorTheme(theme)) });
    });
  }

  get file(): string | null {
    return this.path;
  }

  get text(): Y.Text | null {
    return this.ytext;
  }

  /** the file shown read-only while the room syncs (showLoading), until a file is opened */
  get loadingFile(): string | null {
    return this.loadingPath;
  }

  /**
   * PERF-51: shows `path` with `text` (what the server answered over REST) before the room's document has
   * synced: read-only, not editable, named as loading, with the gutter, theme and highlighting `open` gives
   * it, so that `open` of the same file later swaps the live text in without moving anything. Ignored once
   * a file is open.
   */
  showLoading(path: string, text: string): void {
    if (this.path !== null) return;
    this.loadingPath = path;
    this.view.setState(
      EditorState.create({
        doc: text,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightSpecialChars(),
          drawSelection(),
          highlightActiveLine(),
          this.themeSlot.of(editorTheme(currentTheme())),
          this.language.of([]),
          EditorState.readOnly.of(true),
          EditorView.editable.of(false),
          EditorView.editorAttributes.of({ class: 'cm-loading' }),
          EditorView.contentAttributes.of({
            'aria-label': `Loading, read-only until the room is in sync: ${path}`,
            'aria-describedby': EDITOR_HINT_ID,
          }),
          // the room's own extensions too (the threads' gutter): the text starts where it will stay
          ...(this.deps.extensions ?? []),
        ],
      }),
    );
    this.view.dom.hidden = false;
    this.highlight(path, () => this.loadingPath === path && this.path === null);
  }

  /**
   * NAV-30: while the room search shows a query (its compiled expression), the open file marks its matches;
   * null goes back to marking the selection's other occurrences.
   */
  showSearchHits(query: RegExp | null): void {
    const same = (a: RegExp | null, b: RegExp | null) =>
      a === b || (a !== null && b !== null && a.source === b.source && a.flags === b.flags);
    if (same(query, this.searchQuery)) return;
    this.searchQuery = query;
    if (this.path) this.view.dispatch({ effects: this.matchSlot.reconfigure(matchHighlight(query)) });
  }

  /** Shows `path`; its Y.Text is bound both ways to the editor through y-codemirror.next (`ySyncFirst`). */
  open(path: string, ytext: Y.Text): void {
    if (this.ytext === ytext && this.path === path) return;
    // PERF-51: the same file was shown while the room synced: the live one takes its place where the person
    // was (the top line they saw, and any selection), with the highlighting it had.
    const swap = this.loadingPath === path;
    const carried = swap ? (this.language.get(this.view.state) ?? []) : [];
    this.path = path;
    this.ytext = ytext;
    let undo = this.undoManagers.get(ytext);
    if (!undo) {
      undo = new Y.UndoManager(ytext);
      this.undoManagers.set(ytext, undo);
    }
    const d = this.deps;
    const extensions: Extension[] = [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      drawSelection(),
      dropCursor(),
      EditorState.allowMultipleSelections.of(true),
      indentOnInput(),
      bracketMatching(),
      rectangularSelection(),
      crosshairCursor(),
      highlightActiveLine(),
      this.matchSlot.of(matchHighlight(this.searchQuery)),
      ownUndo({
        undoManager: undo,
        lastOwnAccept: () => this.ownAccepts.get(ytext)?.at(-1) ?? null,
        undoAccept: (id) => {
          this.ownAccepts.get(ytext)?.pop();
          d.undoAccept(path, id);
        },
        nothingToUndo: () => d.nothingToUndo(path),
      }),
      keymap.of([...defaultKeymap, ...searchKeymap, indentWithTab]),
      this.themeSlot.of(editorTheme(currentTheme())),
      this.language.of(carried),
      this.blameSlot.of(this.blameOn ? blame(d.blame) : []),
      this.diffSlot.of([]),
      ySyncFirst(ytext, undo),
      presence({
        awareness: d.awareness,
        agentAwareness: d.agentAwareness,
        ytext,
        file: path,
        agentLabel: d.agentLabel,
      }),
      suggestions(d.suggestions),
      this.readOnlySlot.of(readOnlyLook(this.readOnly, path)),
      EditorView.updateListener.of((update) => {
        if (update.transactions.some(isOwnMove)) d.onOwnMove();
        if (update.docChanged || update.selectionSet) d.onChange?.(update.docChanged);
      }),
    ];
    if (d.extensions) extensions.push(...d.extensions);
    this.diffOriginal = null;
    this.loadingPath = null;
    const doc = ytext.toString();
    if (swap) {
      // The view stays (its scroll, selection and measured heights): the text catches up with the edits
      // made since REST answered (only the part that differs), then the live extensions replace the loading
      // ones. Two steps, so y-codemirror.next never sees the catch-up as an edit of this person's.
      const change = textChange(this.view.state.doc.toString(), doc);
      if (change) this.view.dispatch({ changes: change });
      this.view.dispatch({ effects: StateEffect.reconfigure.of(extensions) });
    } else this.view.setState(EditorState.create({ doc, extensions }));
    this.view.dom.hidden = false;
    this.highlight(path, () => this.path === path);
  }

  private highlight(path: string, stillShown: () => boolean): void {
    languageFor(path).then(
      (lang) => {
        if (lang && stillShown()) this.view.dispatch({ effects: this.language.reconfigure(lang) });
      },
      (err: unknown) => console.warn(`no syntax highlighting for ${path}`, err),
    );
  }

  /**
   * Makes the editor read-only or writable in place (CLASS-29: a freeze, the pen and its end): one
   * reconfiguration of the same view, so the text, undo history, selection, scroll and focus stay.
   */
  setReadOnly(readOnly: boolean): void {
    if (readOnly === this.readOnly) return;
    this.readOnly = readOnly;
    if (this.path)
      this.view.dispatch({ effects: this.readOnlySlot.reconfigure(readOnlyLook(readOnly, this.path)) });
  }

  get isReadOnly(): boolean {
    return this.readOnly;
  }

  /** No file open (the room is empty, or the open file was deleted). */
  close(): void {
    this.path = null;
    this.ytext = null;
    this.loadingPath = null;
    this.view.setState(EditorState.create({ doc: '' }));
    this.view.dom.hidden = true;
  }

  /** Forgets the undo history of a file that no longer exists. */
  dropHistory(ytext: Y.Text): void {
    this.undoManagers.get(ytext)?.destroy();
    this.undoManagers.delete(ytext);
    this.ownAccepts.delete(ytext);
  }

  /**
   * This person accepted a suggestion in `ytext` at `at` (performance.now() when they asked): it becomes
   * their newest step there, so Ctrl+Z undoes it rather than an older edit of theirs (REVIEW-3).
   */
  noteOwnAccept(ytext: Y.Text, suggestionId: string, at: number): void {
    const list = this.ownAccepts.get(ytext) ?? [];
    list.push({ suggestionId, at });
    list.sort((a, b) => a.at - b.at);
    this.ownAccepts.set(ytext, list);
  }

  setSuggestions(items: InlineSuggestion[]): void {
    if (!this.path) return;
    // Fed after every edit: a file without suggestions, which stays so, needs no transaction per keystroke.
    if (items.length === 0 && this.view.state.field(suggestionsField, false)?.items.length === 0) return;
    this.view.dispatch({ effects: setSuggestions.of(items) });
  }

  /** Shows blame ranges (null hides the gutter). */
  setBlame(ranges: BlameRange[] | null): void {
    const on = ranges !== null;
    const effects = [];
    if (on !== this.blameOn) {
      this.blameOn = on;
      effects.push(this.blameSlot.reconfigure(on ? blame(this.deps.blame) : []));
    }
    if (this.path) {
      this.view.dispatch({ effects });
      if (on) this.view.dispatch({ effects: setBlame.of(ranges) });
    }
  }

  /**
   * Shows the open file's change from `original` (its base version) inline, or hides it (null): added lines
   * marked, removed lines drawn above them, read-only (CR-22). Cheap to call again with the same text.
   */
  setBaseDiff(original: string | null): void {
    if (!this.path || original === this.diffOriginal) return;
    this.diffOriginal = original;
    const ext =
      original === null
        ? []
        : unifiedMergeView({
            original,
            mergeControls: false,
            highlightChanges: true,
            gutter: true,
            syntaxHighlightDeletions: true,
          });
    this.view.dispatch({ effects: this.diffSlot.reconfigure(ext) });
  }

  get diffShown(): boolean {
    return this.diffOriginal !== null;
  }

  /**
   * Scrolls a position into the middle of the view without moving this person's own cursor (following
   * someone). Sideways it keeps REVEAL_X_MARGIN px clear on either side: the caret of the person followed
   * carries their name to its right, which the default 5 px cut off at the view's edge (WEB-124).
   */
  reveal(index: number): void {
    const pos = Math.max(0, Math.min(index, this.view.state.doc.length));
    this.view.dispatch({
      effects: EditorView.scrollIntoView(pos, { y: 'center', xMargin: REVEAL_X_MARGIN }),
    });
  }

  /** Puts this person's cursor at `index`, scrolls it to the middle and focuses the editor (a jump). */
  jumpTo(index: number): void {
    const pos = Math.max(0, Math.min(index, this.view.state.doc.length));
    this.view.dispatch({
      selection: { anchor: pos },
      effects: EditorView.scrollIntoView(pos, { y: 'center' }),
      userEvent: 'select.suggestion',
    });
    this.view.focus();
  }

  selection(): { from: number; to: number } {
    const { from, to } = this.view.state.selection.main;
    return { from, to };
  }

  focus(): void {
    this.view.focus();
  }

  destroy(): void {
    this.stopThemeWatch();
    for (const u of this.undoManagers.values()) u.destroy();
    this.view.destroy();
  }
}

/**
 * Read-only or not: the state facet (no typing, pasting or dropping; Ctrl+Z refuses too, own-undo.ts) and the
 * editor's name, which says so to screen readers (WEB-12: it also tells how to leave the editor).
 */
function readOnlyLook(readOnly: boolean, path: string): Extension {
  return [
    EditorState.readOnly.of(readOnly),
    EditorView.contentAttributes.of({
      'aria-label': `${readOnly ? 'Read-only code' : 'Code editor'}: ${path}`,
      'aria-describedby': EDITOR_HINT_ID,
    }),
  ];
}

/** The one change that turns `from` into `to` (what lies between their common start and end), or null. */
function textChange(from: string, to: string): { from: number; to: number; insert: string } | null {
  if (from === to) return null;
  const max = Math.min(from.length, to.length);
  let start = 0;
  while (start < max && from.charCodeAt(start) === to.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && from.charCodeAt(from.length - 1 - end) === to.charCodeAt(to.length - 1 - end))
    end++;
  return { from: start, to: from.length - end, insert: to.slice(start, to.length - end) };
}
