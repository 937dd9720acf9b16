import type { ThreadSuggestionView } from '../../../../schema/protocol.ts';
import { h } from '../ui/dom.ts';
import type { LiveThread } from './thread-views.ts';

const outcomeLabels: Record<ThreadSuggestionView['outcome'], string> = {
  pending: 'pending',
  accepted: 'accepted',
  rejected: 'rejected',
  reverted: 'reverted',
  superseded: 'replaced',
};

/**
 * What Spark proposed when asked from the thread (CR-19): each suggestion's file and what became of it; a
 * click opens it where it sits. The Review panel and the gutter popup both show it.
 */
export function threadSuggestionList(
  t: Pick<LiveThread, 'suggestions'>,
  open: (suggestionId: string) => void,
): HTMLElement | null {
  if (t.suggestions.length === 0) return null;
  return h(
    'ul',
    { class: 'thread-suggestions', 'aria-label': 'Spark’s suggestions from this thread' },
    ...t.suggestions.map((s, i) =>
      h(
        'li',
        {
          class: `thread-suggestion outcome-${s.outcome}`,
          dataset: { suggestionId: s.id, outcome: s.outcome },
        },
        h(
          'button',
          { class: 'link small', type: 'button', on: { click: () => open(s.id) } },
          `Spark's suggestion ${i + 1}: ${s.file}`,
        ),
        h('span', { class: `badge outcome outcome-${s.outcome}` }, outcomeLabels[s.outcome]),
      ),
    ),
  );
}
