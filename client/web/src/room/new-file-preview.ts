import { acceptableStates, type SuggestionView } from '../../../../schema/protocol.ts';
import { h, mount } from '../ui/dom.ts';

export interface NewFilePreviewActions {
  accept(id: string): void;
  reject(id: string): void;
  close(): void;
}

/** A file Spark proposes to create, shown with its proposed content until someone decides. */
export function renderNewFilePreview(
  host: HTMLElement,
  s: SuggestionView,
  askedBy: string,
  canDecide: boolean,
  actions: NewFilePreviewActions,
): void {
  const acceptable = acceptableStates.includes(s.state);
  mount(
    host,
    h(
      'div',
      { class: 'cm-spark-proposal preview', dataset: { suggestionId: s.id } },
      h(
        'div',
        { class: 'cm-spark-head' },
        h('span', { class: 'cm-spark-who' }, `✦ Spark, asked by ${askedBy}, proposes a new file: ${s.file}`),
        h('span', { class: `cm-spark-badge cm-spark-badge-${s.state}` }, s.state),
        h(
          'span',
          { class: 'cm-spark-actions' },
          canDecide &&
            acceptable &&
            h(
              'button',
              { class: 'cm-spark-btn cm-spark-btn-accept', on: { click: () => actions.accept(s.id) } },
              'Accept',
            ),
          canDecide &&
            h('button', { class: 'cm-spark-btn', on: { click: () => actions.reject(s.id) } }, 'Reject'),
          h('button', { class: 'cm-spark-btn', on: { click: () => actions.close() } }, 'Close'),
        ),
      ),
      h(
        'pre',
        { class: 'cm-spark-text' },
        s.proposed,
        s.state === 'streaming' && h('span', { class: 'cm-spark-typing' }),
      ),
    ),
  );
}
