import type { ContenderName } from '../contenders/contender.ts';
import { type Figure, formatValue, ratio, sparkroomBehind } from './figure.ts';

const peers: ContenderName[] = ['y-websocket-server', 'hocuspocus'];

export interface TableInput {
  figures: readonly Figure[];
  contenders: readonly ContenderName[];
}

interface Rendered {
  header: string[];
  rows: string[][];
  notes: string[];
}

function render({ figures, contenders }: TableInput): Rendered {
  const shownPeers = peers.filter((p) => contenders.includes(p));
  const header = ['figure', 'unit', ...contenders, ...shownPeers.map((p) => `SR/${short(p)}`)];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const f of figures) {
    const cells = contenders.map((c) => {
      let cell = formatValue(f.values[c], f.unit);
      const note = f.notes?.[c];
      if (note) {
        notes.push(`[${notes.length + 1}] ${f.label}, ${c}: ${note}`);
        cell += ` [${notes.length}]`;
      }
      return cell;
    });
    const ratios = contenders.includes('sparkroom')
      ? shownPeers.map((p) => {
          const r = ratio(f, p);
          if (r === null) return 'n/a';
          // "!" marks where Sparkroom is behind that peer by more than 10%.
          return `${r.toFixed(2)}x${sparkroomBehind(f, p) ? ' !' : ''}`;
        })
      : [];
    rows.push([f.label, f.unit, ...cells, ...ratios]);
  }
  return { header, rows, notes };
}

function short(p: ContenderName): string {
  return p === 'y-websocket-server' ? 'yws' : p === 'hocuspocus' ? 'hocus' : p;
}

/** A fixed-width table for the terminal. */
export function terminalTable(input: TableInput): string {
  const { header, rows, notes } = render(input);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  if (notes.length > 0) out.push('', ...notes);
  out.push(
    '',
    'SR/peer = Sparkroom divided by the peer: below 1 is better for latency, memory, CPU and losses; above 1 is',
    'better for edits/s. "!" marks figures where Sparkroom is more than 10% behind that peer.',
  );
  return out.join('\n');
}

/** The same table in Markdown, for bench/RESULTS.md. */
export function markdownTable(input: TableInput): string {
  const { header, rows, notes } = render(input);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => esc(c.trim())).join(' | ')} |`),
  ];
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${esc(n)}`));
  return out.join('\n');
}
