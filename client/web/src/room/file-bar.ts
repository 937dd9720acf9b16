import { h, mount } from '../ui/dom.ts';

export interface FileBarModel {
  /** the file open in the editor */
  file: string | null;
  /** the proposed new file shown in the editor's place */
  previewing: string | null;
  /** PERF-51: the file shown read-only from REST while the room syncs (no file open yet) */
  loading?: { file: string; truncated: boolean } | null;
  fileCount: number;
  canWrite: boolean;
  /** the room has a base version: the file's change from it can be shown inline (CR-22); null: none */
  changes?: { on: boolean } | null;
}

export interface FileBarActions {
  create(path: string): void;
  /** shows or hides the open file's change from the base in the editor */
  toggleChanges?(): void;
}

/**
 * The bar above the editor naming what is shown, and, when nothing is, the empty state that says
 * how to start (with a one-click README for an empty room).
 */
export function renderFileBar(
  bar: HTMLElement,
  emptyState: HTMLElement,
  model: FileBarModel,
  actions: FileBarActions,
): void {
  const { file, previewing } = model;
  const loading = file === null && previewing === null ? (model.loading ?? null) : null;
  emptyState.hidden = file !== null || previewing !== null || loading !== null;
  mount(
    bar,
    file
      ? h('span', { class: 'file-path' }, file)
      : loading
        ? h('span', { class: 'file-path' }, loading.file)
        : h('span', { class: 'muted' }, previewing ? 'New file proposed by Spark' : 'No file open'),
    // The same bar height as the live file's, so nothing below it moves when the live editor takes over.
    loading &&
      h(
        'span',
        { class: 'pill loading-badge', role: 'status' },
        loading.truncated
          ? 'Loading the room: read-only until it is in sync (the start of this file)'
          : 'Loading the room: read-only until it is in sync',
      ),
    file && model.changes
      ? h(
          'button',
          {
            class: `btn ghost small changes-toggle${model.changes.on ? ' active' : ''}`,
            type: 'button',
            'aria-pressed': String(model.changes.on),
            title: 'Show this file’s change from the base version inline',
            on: { click: () => actions.toggleChanges?.() },
          },
          model.changes.on ? 'Hide changes' : 'Show changes',
        )
      : null,
  );
  if (file || previewing || loading) return;
  mount(
    emptyState,
    h('h2', null, model.fileCount === 0 ? 'This room has no files yet' : 'Pick a file to start'),
    h(
      'p',
      { class: 'muted' },
      model.canWrite
        ? 'Create a file from the Files panel, or ask Spark to write one.'
        : 'Files appear here as soon as someone creates one.',
    ),
    model.canWrite &&
      model.fileCount === 0 &&
      h(
        'button',
        { class: 'btn primary', on: { click: () => actions.create('README.md') } },
        'Create README.md',
      ),
  );
}
