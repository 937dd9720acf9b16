import { rankPaths } from '../../client/web/src/nav/fuzzy.ts';
import { type SearchQuery, searchFiles } from '../../client/web/src/nav/search-engine.ts';
import { syntheticTree } from '../../test/helpers/project-tree.ts';
import { LatencyHistogram } from '../lib/latency-histogram.ts';
import type { Figure } from '../report/figure.ts';
import type { Scenario } from './scenario.ts';

const FILES = 2000;
const BYTES = 15 * 2 ** 20;

/**
 * Navigation on a repository-sized room (2,000 files, 15 MB; issue 13): quick open's ranking of every
 * path per keystroke, and search across files for each option, with the code the page runs (the search in
 * its worker is the same function). Goal: search results under 50 ms.
 */
export const navigationScenario: Scenario = {
  id: 'navigation',
  title: 'Quick open and search across 2,000 files / 15 MB',
  async run(ctx) {
    const tree = syntheticTree(FILES, BYTES);
    const files = Object.entries(tree).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const paths = files.map(([p]) => p);
    const mb = files.reduce((n, [, t]) => n + t.length, 0) / 2 ** 20;
    ctx.log(`navigation: ${files.length} files, ${mb.toFixed(1)} MB`);
    const samples = ctx.quick ? 10 : 40;
    const time = (fn: () => void) => {
      const h = new LatencyHistogram();
      fn(); // warm
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        fn();
        h.recordMs(performance.now() - t0);
      }
      return h.summary();
    };
    const quickOpen = ['m', 'mod12', 'module-12/file-6', 'fl99ts'].map((q) => ({
      q,
      ...time(() => rankPaths(q, paths, [], 100)),
    }));
    const base: SearchQuery = { text: '', caseSensitive: false, wholeWord: false, regex: false };
    const queries: { label: string; query: SearchQuery }[] = [
      { label: 'plain, rare', query: { ...base, text: 'cacheToken' } },
      { label: 'plain, common (capped)', query: { ...base, text: 'export' } },
      { label: 'match case', query: { ...base, text: 'cacheToken', caseSensitive: true } },
      { label: 'whole word', query: { ...base, text: 'user', wholeWord: true } },
      { label: 'regex', query: { ...base, text: 'retry\\w+\\d{3}', regex: true } },
    ];
    const search = queries.map(({ label, query }) => {
      const r = searchFiles(files, query);
      const total = 'error' in r ? 0 : r.total;
      return { label, total, ...time(() => searchFiles(files, query)) };
    });
    for (const q of quickOpen)
      ctx.log(`quick open "${q.q}": p50 ${q.p50.toFixed(2)} ms, p99 ${q.p99.toFixed(2)} ms`);
    for (const s of search)
      ctx.log(
        `search ${s.label} (${s.total} matches): p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms`,
      );
    const fig = (label: string, value: number): Figure => ({
      scenario: 'navigation',
      label,
      unit: 'ms',
      better: 'lower',
      values: { sparkroom: value },
    });
    return {
      figures: [
        ...quickOpen.map((q) => fig(`quick open "${q.q}" over 2,000 paths p50`, q.p50)),
        ...search.map((s) => fig(`search 15 MB: ${s.label} p50`, s.p50)),
      ],
      details: { files: files.length, mb, quickOpen, search },
    };
  },
};
