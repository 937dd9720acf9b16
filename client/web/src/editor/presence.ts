import { type Extension, Facet, type Range, StateEffect } from '@codemirror/state';
import {
  Decoration,
  type DecorationSet,
  EditorView,
  ViewPlugin,
  type ViewUpdate,
  WidgetType,
} from '@codemirror/view';
import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { SPARK_COLOR } from '../../../../schema/protocol.ts';
import { translucent } from '../ui/translucent.ts';
import { type LocalPresence, type Participant, participantsOf } from './presence-state.ts';
import { remoteSelection } from './remote-selection.ts';
import { suggestionsField } from './suggestions.ts';

export interface PresenceConfig {
  /** the code doc's awareness: people */
  awareness: Awareness;
  /** the review doc's awareness: the agent */
  agentAwareness: Awareness | null;
  ytext: Y.Text;
  file: string;
  /** label for the agent's caret, e.g. "Spark, asked by Ada" */
  agentLabel: (p: Participant) => string;
}

const presenceConfig = Facet.define<PresenceConfig, PresenceConfig | null>({
  combine: (values) => values[values.length - 1] ?? null,
});

/** Dispatched when someone else's presence changed, so the carets are redrawn. */
const refresh = StateEffect.define<null>();

class CaretWidget extends WidgetType {
  constructor(
    readonly color: string,
    readonly label: string,
    readonly agent: boolean,
    /** where it stands: a move redraws it, which shows the name flag again for a moment */
    readonly at: number,
  ) {
    super();
  }
  override eq(other: CaretWidget): boolean {
    return (
      other.color === this.color &&
      other.label === this.label &&
      other.agent === this.agent &&
      other.at === this.at
    );
  }
  toDOM(): HTMLElement {
    const caret = document.createElement('span');
    caret.className = this.agent ? 'cm-remote-caret cm-remote-caret-agent' : 'cm-remote-caret';
    caret.style.borderColor = this.color;
    const flag = document.createElement('span');
    flag.className = 'cm-remote-flag';
    flag.style.backgroundColor = this.color;
    flag.textContent = this.label;
    caret.append('\u2060', flag, '\u2060');
    return caret;
  }
  override ignoreEvent(): boolean {
    return true;
  }
}

function personDecorations(
  p: Participant,
  conf: PresenceConfig,
  doc: EditorView['state']['doc'],
): Range<Decoration>[] {
  if (!p.cursor || p.file !== conf.file) return [];
  // A cursor that cannot be placed (malformed, or naming text not here yet) draws nothing this time; the
  // person's next cursor is drawn as usual.
  const sel = remoteSelection(p.cursor, conf.ytext);
  if (!sel) return [];
  const a = Math.min(sel.anchor, doc.length);
  const h = Math.min(sel.head, doc.length);
  const out: Range<Decoration>[] = [];
  if (a !== h) {
    const style = `background-color: ${translucent(p.user.color, 0.22)}`;
    out.push(
      Decoration.mark({ class: 'cm-remote-selection', attributes: { style } }).range(
        Math.min(a, h),
        Math.max(a, h),
      ),
    );
  }
  out.push(
    Decoration.widget({
      widget: new CaretWidget(p.user.color, p.user.name, false, h),
      side: h > a ? -1 : 1,
    }).range(h),
  );
  return out;
}

function agentDecorations(
  p: Participant,
  conf: PresenceConfig,
  state: EditorView['state'],
): Range<Decoration>[] {
  if (p.file !== conf.file) return [];
  // The agent types into a suggestion, not into the file. When that hunk is on screen, its proposal
  // (labelled "Spark, asked by NAME", with a typing cursor) is where the agent is: no second caret.
  if (p.agentSuggestionId) {
    const items = state.field(suggestionsField, false)?.items ?? [];
    if (items.some((s) => s.id === p.agentSuggestionId)) return [];
  }
  if (p.agentIndex === null || p.agentSuggestionId) return [];
  const at = Math.max(0, Math.min(p.agentIndex, state.doc.length));
  return [
    Decoration.widget({ widget: new CaretWidget(SPARK_COLOR, conf.agentLabel(p), true, at), side: 1 }).range(
      at,
    ),
  ];
}

function build(view: EditorView, conf: PresenceConfig): DecorationSet {
  const doc = view.state.doc;
  const ranges: Range<Decoration>[] = [];
  for (const p of participantsOf(conf.awareness.getStates(), conf.awareness.clientID)) {
    ranges.push(...personDecorations(p, conf, doc));
  }
  if (conf.agentAwareness) {
    for (const p of participantsOf(conf.agentAwareness.getStates(), null)) {
      if (p.user.role === 'agent') ranges.push(...agentDecorations(p, conf, view.state));
    }
  }
  return Decoration.set(ranges, true);
}

const presencePlugin = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    private readonly conf: PresenceConfig;
    private readonly onChange: (change: { added: number[]; updated: number[]; removed: number[] }) => void;
    private destroyed = false;

    constructor(readonly view: EditorView) {
      const conf = view.state.facet(presenceConfig);
      if (!conf) throw new Error('presence() needs its config');
      this.conf = conf;
      this.onChange = (change) => {
        const ids = [...change.added, ...change.updated, ...change.removed];
        if (ids.some((id) => id !== conf.awareness.clientID)) {
          // Awareness events can arrive while CodeMirror is mid-update (a local edit); redraw after it.
          queueMicrotask(() => {
            if (!this.destroyed) view.dispatch({ effects: refresh.of(null) });
          });
        }
      };
      conf.awareness.on('change', this.onChange);
      conf.agentAwareness?.on('change', this.onChange);
      this.publish(true);
      this.decorations = build(view, conf);
    }

    update(update: ViewUpdate): void {
      if (update.selectionSet || update.docChanged) this.publish(false);
      this.decorations = build(update.view, this.conf);
    }

    /** Publishes this person's file and selection (relative positions survive others' edits). */
    private publish(force: boolean): void {
      const { awareness, ytext, file } = this.conf;
      const local = awareness.getLocalState() as Partial<LocalPresence> | null;
      if (local === null) return;
      const sel = this.view.state.selection.main;
      const cursor = {
        anchor: Y.createRelativePositionFromTypeIndex(ytext, sel.anchor),
        head: Y.createRelativePositionFromTypeIndex(ytext, sel.head),
      };
      const same =
        !force &&
        local.file === file &&
        local.cursor != null &&
        Y.compareRelativePositions(Y.createRelativePositionFromJSON(local.cursor.anchor), cursor.anchor) &&
        Y.compareRelativePositions(Y.createRelativePositionFromJSON(local.cursor.head), cursor.head);
      if (!same) awareness.setLocalState({ ...local, file, cursor });
    }

    destroy(): void {
      this.destroyed = true;
      this.conf.awareness.off('change', this.onChange);
      this.conf.agentAwareness?.off('change', this.onChange);
    }
  },
  { decorations: (v) => v.decorations },
);

const presenceTheme = EditorView.baseTheme({
  '.cm-remote-caret': {
    position: 'relative',
    borderLeft: '2px solid',
    marginLeft: '-1px',
    marginRight: '-1px',
  },
  // The name shows when someone moves or types, then fades so it never hides code for long; hovering
  // the caret shows it again.
  '.cm-remote-flag': {
    animation: 'cm-remote-flag-fade 0.4s ease-in 2.5s forwards',
    position: 'absolute',
    bottom: '100%',
    left: '-2px',
    padding: '0 5px',
    borderRadius: '4px 4px 4px 0',
    color: 'white',
    font: '600 10.5px/16px system-ui, sans-serif',
    whiteSpace: 'nowrap',
    zIndex: '5',
    opacity: '0.92',
  },
  '.cm-remote-caret:hover .cm-remote-flag': { animation: 'none', opacity: '0.92' },
  '@keyframes cm-remote-flag-fade': { to: { opacity: '0' } },
  '.cm-remote-caret-agent': { borderLeftWidth: '3px' },
  '.cm-remote-caret-agent .cm-remote-flag': { color: '#1f1300' },
});

/**
 * Presence for one open file: publishes this person's `file` and `cursor` in the code doc's awareness
 * (the same cursor shape as y-codemirror.next, so stock clients interoperate) and draws everyone else's
 * caret and selection, and the agent's caret, with a name flag in their colour.
 */
export function presence(config: PresenceConfig): Extension {
  return [presenceConfig.of(config), presencePlugin, presenceTheme];
}
