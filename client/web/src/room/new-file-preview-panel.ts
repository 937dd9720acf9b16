import type { SuggestionView } from '../../../../schema/protocol.ts';
import { pendingStates } from '../../../../schema/protocol.ts';
import { renderNewFilePreview } from './new-file-preview.ts';

export interface NewFilePreviewPanelDeps {
  /** where the proposal is drawn */
  host: HTMLElement;
  /** the editor, hidden while a proposal is shown in its place */
  editorHost: HTMLElement;
  suggestions(): readonly SuggestionView[];
  askedByOf(s: SuggestionView): string;
  canAccept(): boolean;
  accept(id: string): void;
  reject(id: string): void;
  /** someone accepted or rejected the shown proposal; the panel is already hidden */
  decided(path: string): void;
  /** the person closed the preview; the panel is already hidden */
  closed(): void;
}

/**
 * Shows a new file Spark proposes in place of the editor (there is no file to open yet) and keeps it
 * current while Spark streams it, until someone decides or closes it.
 */
export class NewFilePreviewPanel {
  private shown: string | null = null;

  constructor(private readonly deps: NewFilePreviewPanelDeps) {}

  /** the proposed file on show, or null while the editor (or the empty state) is showing */
  get path(): string | null {
    return this.shown;
  }

  show(path: string): void {
    this.shown = path;
    this.render();
  }

  hide(): void {
    this.shown = null;
    this.deps.host.hidden = true;
    this.deps.host.replaceChildren();
    this.deps.editorHost.hidden = false;
  }

  /** Redraws the shown proposal from the latest review state; does nothing while none is shown. */
  render(): void {
    const path = this.shown;
    if (!path) return;
    const { deps } = this;
    const s = deps.suggestions().find((x) => x.newFile && x.file === path && pendingStates.includes(x.state));
    if (!s) {
      // Decided: an accepted file now exists in the tree; a rejected one is simply gone.
      this.hide();
      deps.decided(path);
      return;
    }
    deps.host.hidden = false;
    deps.editorHost.hidden = true;
    renderNewFilePreview(deps.host, s, deps.askedByOf(s), deps.canAccept(), {
      accept: (id) => deps.accept(id),
      reject: (id) => deps.reject(id),
      close: () => {
        this.hide();
        deps.closed();
      },
    });
  }
}
