import type { BlameResponse, SuggestionView } from '../../../../schema/protocol.ts';
import type { FileEditor } from '../editor/file-editor.ts';
import { describeError } from '../ui/describe-error.ts';
import { toast } from '../ui/toast.ts';

export interface BlameToggleDeps {
  /** the top-bar button that turns blame on and off */
  button: HTMLButtonElement;
  editor: Pick<FileEditor, 'file' | 'setBlame'>;
  blame(file: string): Promise<BlameResponse>;
  nameOf(userId: string): string;
  /** reloads the member list, so authors who joined after us get their names */
  refreshInfo(): Promise<unknown>;
}

/** After an edit, wait this long for typing to pause before asking the server for blame again. */
const REFRESH_DELAY_MS = 1200;

/**
 * The Blame button: while on, the open file's gutter shows who wrote each line, fetched from the
 * server when a file opens and again after edits or accepts settle.
 */
export class BlameToggle {
  private on = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private acceptedCount = 0;

  constructor(private readonly deps: BlameToggleDeps) {
    deps.button.addEventListener('click', () => this.set(!this.on));
  }

  set(on: boolean): void {
    this.on = on;
    this.deps.button.setAttribute('aria-pressed', String(on));
    this.deps.button.classList.toggle('active', on);
    if (on) void this.refresh();
    else this.deps.editor.setBlame(null);
  }

  /** A file was opened: show its blame at once. */
  fileOpened(): void {
    if (this.on) void this.refresh();
  }

  /** The open file's text changed: refresh once the edits pause. */
  textChanged(): void {
    if (this.on) this.schedule();
  }

  /** The review doc changed: an accept rewrote code, so its authors changed. */
  reviewChanged(suggestions: readonly SuggestionView[]): void {
    const accepted = suggestions.filter((s) => s.state === 'accepted').length;
    if (this.on && accepted !== this.acceptedCount) this.schedule();
    this.acceptedCount = accepted;
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  private async refresh(): Promise<void> {
    const { editor, nameOf } = this.deps;
    const file = editor.file;
    if (!this.on || !file) return;
    try {
      const result = await this.deps.blame(file);
      if (
        result.ranges.some((r) =>
          [r.userId, r.requestedBy, r.acceptedBy].some((id) => id && nameOf(id) === 'someone'),
        )
      ) {
        await this.deps.refreshInfo().catch(() => undefined);
      }
      // The person may have turned blame off or moved to another file while we waited.
      if (this.on && editor.file === file) editor.setBlame(result.ranges);
    } catch (err) {
      toast(`Blame is not available: ${describeError(err, 'agent')}`, 'error');
      this.set(false);
    }
  }
}
