import type { SparkCheckReport } from '../../../../schema/protocol.ts';
import { h } from '../ui/dom.ts';
import { formatMs } from '../ui/duration.ts';

const stepNames: Record<SparkCheckReport['steps'][number]['step'], string> = {
  configured: 'Configured',
  reachable: 'Reachable',
  key: 'API key',
  api: 'API mode',
  model: 'Model',
  streaming: 'Streaming',
};
const stepMarks: Record<SparkCheckReport['steps'][number]['status'], string> = {
  ok: '✓',
  failed: '✗',
  unknown: '?',
  skipped: '–',
};

/** OPS-12: the owner's connection test answered as a headline, one row per step, the speed and the advice. */
export function checkReportView(report: SparkCheckReport, close: () => void): HTMLElement[] {
  const headline = report.ok
    ? 'Spark is connected.'
    : `Spark cannot work yet: ${stepNames[report.steps.find((s) => s.status === 'failed')?.step ?? 'configured']} failed.`;
  const parts: (HTMLElement | null)[] = [
    h('p', { class: `spark-check-headline ${report.ok ? 'ok' : 'failed'}` }, headline),
    h(
      'ul',
      { class: 'spark-check-steps' },
      ...report.steps.map((s) =>
        h(
          'li',
          { class: `spark-check-step ${s.status}`, dataset: { step: s.step, status: s.status } },
          h('span', { class: 'spark-check-mark', 'aria-hidden': 'true' }, stepMarks[s.status]),
          h('strong', null, stepNames[s.step]),
          h('span', { class: 'spark-check-detail' }, s.detail),
        ),
      ),
    ),
    report.ttftMs !== null
      ? h(
          'p',
          { class: 'spark-check-speed' },
          `First token after ${formatMs(report.ttftMs)}${report.tokensPerSecond === null ? '' : ` · ${report.tokensPerSecond} tokens/s`}`,
        )
      : null,
    report.advice ? h('p', { class: 'spark-check-advice' }, `To fix: ${report.advice}`) : null,
    h('button', { class: 'btn small', type: 'button', on: { click: close } }, 'Close'),
  ];
  return parts.filter((e): e is HTMLElement => e !== null);
}
