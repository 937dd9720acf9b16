import type { Figure } from './figure.ts';
import { formatValue, ratio } from './figure.ts';

/** A target of issue 17: a ratio to the in-memory reference in the same run, or an absolute bound. */
type Target = { ratioAtMost: number } | { atMost: number } | { atLeast: number };

interface IssueRow {
  row: string;
  /**
   * the figure (by label) and its target; a row may have several. `reading` names how a figure was read
   * where a row has the same quantity read two ways (shown before the figure's label).
   */
  figures: { label: RegExp; target: Target; reading?: string }[];
}

const REFERENCE = 'y-websocket-server';

/**
 * Issue 17's table, row by row, read from a run's figures: what each row's figure was, the ratio to the
 * reference where the target is one, and whether it met the target. A row whose figure the run lacks is
 * listed as not measured, so a full run shows at once whether it measured every row.
 */
const issueRows: IssueRow[] = [
  ...(['p50', 'p99'] as const).map((p) => ({
    row: `fan-out ${p}, rooms of 2/10/50/200, Sparkroom / reference`,
    figures: [2, 10, 50, 200].map((n) => ({
      label: new RegExp(`^fan-out ${n} clients ${p}$`),
      target: { ratioAtMost: p === 'p50' ? 1.1 : 1.0 },
    })),
  })),
  {
    row: 'server CPU per edit at 4,800 edits/s, / reference',
    figures: [{ label: /^server CPU per edit at 4800 edits\/s$/, target: { ratioAtMost: 1.0 } }],
  },
  {
    row: 'p50 / p99 at 9,600 edits/s (100 rooms x 3)',
    figures: [
      { label: /^p50 at 9600 edits\/s$/, target: { ratioAtMost: 1.0 } },
      { label: /^p99 at 9600 edits\/s$/, target: { ratioAtMost: 1.0 } },
    ],
  },
  {
    row: 'Spark CPU per 1,000 tokens (20 watchers)',
    figures: [{ label: /^agent 5k tok\/s: server CPU per 1k tokens$/, target: { atMost: 20 } }],
  },
  {
    row: 'concurrent Spark streams at 1,000 tok/s on one core, token-to-visible p99 < 50 ms',
    figures: [{ label: /concurrent.*stream|stream.*concurrent/i, target: { atLeast: 10 } }],
  },
  {
    row: 'memory per idle small room / reference',
    figures: [{ label: /^memory\/idle room, small doc$/, target: { ratioAtMost: 1.0 } }],
  },
  {
    row: 'lecture room: 1 writer, 1,000 watchers, fan-out p99 / reference',
    figures: [{ label: /^lecture 1000 watchers p99$/, target: { ratioAtMost: 1.0 } }],
  },
  {
    row: 'in Chromium: token-to-visible p99 at 5,000 tok/s; longest main-thread task during it',
    figures: [
      { label: /^browser: Spark 5k tok\/s token-to-visible p99$/, target: { atMost: 50 } },
      { label: /^browser: longest task during the stream$/, target: { atMost: 50 } },
    ],
  },
  {
    row: 'in Chromium: keystroke in one page to text in another, p50 / p99',
    figures: [
      { label: /^browser: keystroke to other page p50$/, target: { atMost: 16 } },
      { label: /^browser: keystroke to other page p99$/, target: { atMost: 40 } },
    ],
  },
  {
    row: 'review doc a joiner receives, after 40 / 1,000 decided runs',
    figures: [
      { label: /^review doc a joiner receives, after 40 decided runs$/, target: { atMost: 100 } },
      { label: /^review doc after 1,000 decided runs/, target: { atMost: 100 } },
    ],
  },
  {
    row: 'bytes a joiner receives for a 15 MB room; join p50 on loopback',
    figures: [
      { label: /^browser join of the 15 MB room: bytes received$/, target: { atMost: 4 } },
      // PERF-187: the join read two ways. Playwright's (the figure's name kept for earlier results) has
      // DevTools' Network domain on, which makes the page hand it the 15.7 MB frame: seconds a person's
      // browser does not spend.
      {
        label: /^browser join over plain CDP: first file shown$/,
        target: { atMost: 300 },
        reading: "page's own times, no DevTools",
      },
      {
        label: /^browser join: first file shown$/,
        target: { atMost: 300 },
        reading: 'Playwright, DevTools Network on',
      },
    ],
  },
];

export interface IssueCell {
  row: string;
  label: string;
  unit: string;
  sparkroom: number | null;
  reference: number | null;
  ratio: number | null;
  target: string;
  /** null when not measured or when a ratio target has no reference value */
  met: boolean | null;
}

/** Issue 17's rows as measured by `figures` (every figure of a row; a missing one as not measured). */
export function issueCells(figures: readonly Figure[]): IssueCell[] {
  const cells: IssueCell[] = [];
  for (const { row, figures: wanted } of issueRows) {
    for (const { label, target, reading } of wanted) {
      const fig = figures.find((f) => label.test(f.label));
      const sparkroom = fig?.values.sparkroom ?? null;
      const reference = fig?.values[REFERENCE] ?? null;
      const r = fig ? ratio(fig, REFERENCE) : null;
      let met: boolean | null = null;
      let text: string;
      if ('ratioAtMost' in target) {
        text = `<= ${target.ratioAtMost.toFixed(1)}x`;
        if (r !== null) met = r <= target.ratioAtMost;
      } else if ('atMost' in target) {
        text = `<= ${target.atMost}${fig ? ` ${fig.unit}` : ''}`;
        if (sparkroom !== null) met = sparkroom <= target.atMost;
      } else {
        text = `>= ${target.atLeast}`;
        if (sparkroom !== null) met = sparkroom >= target.atLeast;
      }
      cells.push({
        row,
        label: `${reading ? `${reading}: ` : ''}${fig?.label ?? `(not measured: ${label.source})`}`,
        unit: fig?.unit ?? '',
        sparkroom,
        reference,
        ratio: r,
        target: text,
        met,
      });
    }
  }
  return cells;
}

/** The rows as a Markdown table (the closing note of issue 17 quotes it). */
export function issueMarkdown(figures: readonly Figure[]): string {
  const lines = [
    '| issue 17 row | figure | sparkroom | reference | SR/ref | target | met |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
  ];
  for (const c of issueCells(figures)) {
    const ratioText = c.ratio === null ? '' : `${c.ratio.toFixed(2)}x`;
    const met = c.met === null ? (c.sparkroom === null ? 'not measured' : '') : c.met ? 'yes' : 'no';
    lines.push(
      `| ${c.row} | ${c.label} | ${formatValue(c.sparkroom, c.unit)} | ${formatValue(c.reference, c.unit)} | ` +
        `${ratioText} | ${c.target} | ${met} |`,
    );
  }
  return lines.join('\n');
}

/** Labels of issue 17's figures this run lacks (a full run should print none). */
export function unmeasuredIssueRows(figures: readonly Figure[]): string[] {
  return issueCells(figures)
    .filter((c) => c.sparkroom === null)
    .map((c) => `${c.row}: ${c.label}`);
}
