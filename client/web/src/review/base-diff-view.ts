import { structuredPatch } from 'diff';
import { h } from '../ui/dom.ts';

/**
 * The change of one file since the base as an inline diff (two lines of context); with `comment`, a removed
 * line offers "+ comment", which asks for the text and starts a thread on that line of the base (CR-14).
 */
export function baseDiffView(
  files: { baseFiles: Map<string, string>; headFiles: Map<string, string> },
  file: string,
  comment: ((from: number, to: number, text: string) => void) | null,
): HTMLElement {
  const before = files.baseFiles.get(file) ?? '';
  const after = files.headFiles.get(file) ?? '';
  const patch = structuredPatch(file, file, before, after, '', '', { context: 2 });
  const baseLineStarts = lineStarts(before);
  const rows: HTMLElement[] = [];
  for (const hunk of patch.hunks) {
    rows.push(
      h(
        'div',
        { class: 'diff-hunk-head' },
        `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`,
      ),
    );
    let oldLine = hunk.oldStart;
    for (const line of hunk.lines) {
      const kind = line[0] === '+' ? 'add' : line[0] === '-' ? 'del' : 'ctx';
      const row = h(
        'div',
        { class: `diff-line ${kind}` },
        h('span', { class: 'sign' }, line[0] ?? ' '),
        line.slice(1),
      );
      if (kind === 'del' && comment) {
        const n = oldLine;
        row.append(
          h(
            'button',
            {
              class: 'btn ghost tiny comment-removed',
              title: 'Comment on this removed line',
              on: {
                click: () => {
                  const text = prompt(`Comment on removed line ${n} of ${file}`);
                  if (!text?.trim()) return;
                  const from = baseLineStarts[n - 1] ?? 0;
                  const to = (baseLineStarts[n] ?? before.length + 1) - 1;
                  comment(from, Math.max(from, to), text);
                },
              },
            },
            '+ comment',
          ),
        );
      }
      if (kind !== 'add') oldLine++;
      rows.push(row);
    }
  }
  return h('div', { class: 'inline-diff', dataset: { file } }, ...rows);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}
