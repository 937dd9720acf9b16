import type { ThreadAnchor, ThreadView } from '../../schema/protocol.ts';

/**
 * The thread as Spark reads it (CR-18, SAFE-116): where it sits, the code it quotes and its comments, at
 * most this many characters. A thread holds up to 300 comments of 10,000 characters, far beyond what a
 * request should carry: the asking comment always goes in, then the earlier ones newest first while they
 * fit; the rest are counted.
 */
export const MAX_THREAD_CONTEXT_CHARS = 16_000;
/** one earlier comment is cut to this many characters */
const MAX_EARLIER_COMMENT_CHARS = 2_000;

export function renderThreadForSpark(thread: ThreadView, anchor: ThreadAnchor | null): string {
  const where =
    thread.side === 'base'
      ? `lines of ${thread.file} that were removed since the base version (base line ${thread.line})`
      : anchor === null
        ? `${thread.file}, a file that no longer exists`
        : anchor.deleted
          ? `code of ${thread.file} that has since been deleted (it was at line ${thread.line})`
          : `${thread.file}, line ${anchor.line}`;
  const head = [
    '## Review thread',
    `People reviewing this code asked you from a thread on ${where}. The code the thread quotes:`,
    fenced(thread.quote),
    'The thread, oldest comment first:',
  ].join('\n');
  const comments = thread.comments;
  const last = comments.at(-1);
  const rendered = last ? [comment(last.byName, last.text)] : [];
  let size = head.length + (rendered[0]?.length ?? 0);
  let shown = 0;
  for (let i = comments.length - 2; i >= 0; i--) {
    const c = comments[i]!;
    const text =
      c.text.length > MAX_EARLIER_COMMENT_CHARS ? `${c.text.slice(0, MAX_EARLIER_COMMENT_CHARS)}…` : c.text;
    const block = comment(c.byName, text);
    if (size + block.length > MAX_THREAD_CONTEXT_CHARS) break;
    rendered.unshift(block);
    size += block.length;
    shown++;
  }
  const left = comments.length - 1 - shown;
  const note = left > 0 ? `(${left} earlier comment${left === 1 ? '' : 's'} not shown)\n` : '';
  return `${head}\n${note}${rendered.join('')}`;
}

/** A comment as a quoted block under its author's name (one line), so its text cannot start a heading. */
function comment(name: string, text: string): string {
  const quoted = text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
  return `${name.replace(/[\r\n]+/g, ' ')} wrote:\n${quoted}\n`;
}

function fenced(text: string): string {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const bar = '`'.repeat(Math.max(3, longest + 1));
  return `${bar}\n${text.replace(/\n$/, '')}\n${bar}`;
}
