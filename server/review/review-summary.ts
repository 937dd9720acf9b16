import {
  type RunView,
  type SuggestionView,
  type ThreadWithAnchor,
  type VerdictView,
  verdictLabels,
} from '../../schema/protocol.ts';

/** A file changed since the base version, with its added and removed line counts (CR-13). */
export interface FileChange {
  file: string;
  status: 'added' | 'removed' | 'modified';
  added: number;
  removed: number;
}

export interface SummaryInput {
  roomName: string;
  generatedAt: number;
  /** null: the room holds no base version */
  changes: FileChange[] | null;
  base: { ref: string | null; setAt: number; setByName: string } | null;
  threads: ThreadWithAnchor[];
  verdicts: VerdictView[];
  accepted: { suggestion: SuggestionView; run: RunView | undefined; acceptedByName: string }[];
}

/**
 * The review as Markdown (CR-10): changed files, open then resolved threads with their quoted code,
 * verdicts, and the Spark changes that were accepted and by whom. Pure, so it is tested on its own.
 */
export function reviewSummary(input: SummaryInput): string {
  const out: string[] = [];
  out.push(`# Review: ${inline(input.roomName)}`, '');
  out.push(`Generated ${iso(input.generatedAt)}.`, '');

  out.push('## Changed files', '');
  if (!input.changes || !input.base) {
    out.push('No base version is set, so there is no change to show.', '');
  } else {
    const ref = input.base.ref ? ` (${inline(input.base.ref)})` : '';
    out.push(
      `Against the base version${ref} set by ${inline(input.base.setByName)} on ${iso(input.base.setAt)}.`,
      '',
    );
    if (input.changes.length === 0) out.push('No file differs from the base.', '');
    else {
      out.push('| File | Change | Added | Removed |', '| --- | --- | ---: | ---: |');
      for (const c of input.changes)
        out.push(`| \`${cell(c.file)}\` | ${c.status} | +${c.added} | -${c.removed} |`);
      out.push('');
    }
  }

  const open = input.threads.filter((t) => !t.resolved);
  const resolved = input.threads.filter((t) => t.resolved);
  for (const [title, list] of [
    ['Open threads', open],
    ['Resolved threads', resolved],
  ] as const) {
    out.push(`## ${title} (${list.length})`, '');
    if (list.length === 0) out.push('None.', '');
    for (const t of list) out.push(...threadLines(t));
  }

  out.push('## Verdicts', '');
  if (input.verdicts.length === 0) out.push('Nobody has given a verdict yet.', '');
  else {
    for (const v of input.verdicts) {
      const note = v.note ? `: ${inline(v.note)}` : '';
      out.push(`- **${inline(v.name)}**: ${verdictLabels[v.verdict]} (${iso(v.at)})${note}`);
    }
    out.push('');
  }

  out.push('## Accepted Spark changes', '');
  if (input.accepted.length === 0) out.push('None.', '');
  for (const a of input.accepted) {
    const s = a.suggestion;
    const asked = a.run
      ? `asked by ${inline(a.run.requestedByName)}: “${inline(clip(a.run.prompt, 200))}”`
      : '';
    // CR-19: a change Spark made for a thread says which thread.
    const thread = s.threadId ? input.threads.find((t) => t.id === s.threadId) : undefined;
    const from = thread ? ` From the thread on \`${inline(thread.file)}\`, ${whereOf(thread)}.` : '';
    out.push(
      `### \`${inline(s.file)}\``,
      '',
      `Accepted by ${inline(a.acceptedByName)}${s.decidedAt ? ` on ${iso(s.decidedAt)}` : ''}; ${asked || 'Spark'} (${inline(s.proposedBy.model)}).${from}`,
      '',
      fence(diffLines(s.baseText, s.proposed), 'diff'),
      '',
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function whereOf(t: ThreadWithAnchor): string {
  if (t.anchor === null) return 'file deleted';
  if (t.anchor.deleted) return 'code deleted';
  return `${t.side === 'base' ? 'base line' : 'line'} ${t.anchor.line}`;
}

function threadLines(t: ThreadWithAnchor): string[] {
  const lines = [`### \`${inline(t.file)}\`, ${whereOf(t)}`, ''];
  if (t.anchor?.deleted) lines.push('_The code this thread was on has been deleted; quoted as it was._', '');
  if (t.quote) lines.push(fence(t.quote, ''), '');
  for (const c of t.comments) {
    lines.push(`> **${inline(c.byName)}** (${iso(c.at)}${c.editedAt ? ', edited' : ''}):`);
    for (const l of c.text.split('\n')) lines.push(`> ${l}`);
    lines.push('');
  }
  if (t.suggestions.length > 0) {
    // CR-19: what Spark proposed when asked from this thread, and what became of it.
    const counts = new Map<string, number>();
    for (const s of t.suggestions) counts.set(s.outcome, (counts.get(s.outcome) ?? 0) + 1);
    const parts = [...counts].map(([outcome, n]) => `${n} ${outcome}`);
    lines.push(`Spark's suggestions from this thread: ${parts.join(', ')}.`, '');
  }
  if (t.resolved) lines.push(`Resolved${t.resolvedAt ? ` on ${iso(t.resolvedAt)}` : ''}.`, '');
  return lines;
}

function diffLines(before: string, after: string): string {
  const minus =
    before === ''
      ? []
      : before
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `-${l}`);
  const plus =
    after === ''
      ? []
      : after
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `+${l}`);
  return [...minus, ...plus].join('\n');
}

/** A code fence longer than any backtick run inside the text, so quoted code can never close it. */
function fence(text: string, lang: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const bar = '`'.repeat(longest + 1);
  return `${bar}${lang}\n${text.replace(/\n$/, '')}\n${bar}`;
}

/** One line of text: newlines folded, so a name or note cannot start a heading or a list. */
function inline(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function cell(text: string): string {
  return inline(text).replace(/\|/g, '\\|').replace(/`/g, '');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
