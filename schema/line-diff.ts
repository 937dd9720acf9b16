import { diffLines } from 'diff';

/** Past this the line diff gives up and counts every line as removed and added (bounded work per file). */
const LINE_DIFF_TIMEOUT_MS = 30;

/**
 * Added and removed line counts from one text to another (CR-13), shared by the server's summary and the
 * web client's Changed Files list so both say the same numbers.
 */
export function lineChanges(before: string, after: string): { added: number; removed: number } {
  if (before === after) return { added: 0, removed: 0 };
  const parts = diffLines(before, after, { timeout: LINE_DIFF_TIMEOUT_MS });
  if (!parts) return { added: countLines(after), removed: countLines(before) };
  let added = 0;
  let removed = 0;
  for (const p of parts) {
    if (p.added) added += p.count ?? countLines(p.value);
    else if (p.removed) removed += p.count ?? countLines(p.value);
  }
  return { added, removed };
}

export function countLines(text: string): number {
  if (text === '') return 0;
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n - 1 : n;
}

/** Every file changed between two versions of a project, sorted by path. */
export function fileChanges(
  base: ReadonlyMap<string, string>,
  head: ReadonlyMap<string, string>,
): { file: string; status: 'added' | 'removed' | 'modified'; added: number; removed: number }[] {
  const out: { file: string; status: 'added' | 'removed' | 'modified'; added: number; removed: number }[] =
    [];
  for (const [file, text] of head) {
    const before = base.get(file);
    if (before === undefined) out.push({ file, status: 'added', added: countLines(text), removed: 0 });
    else if (before !== text) out.push({ file, status: 'modified', ...lineChanges(before, text) });
  }
  for (const [file, text] of base) {
    if (!head.has(file)) out.push({ file, status: 'removed', added: 0, removed: countLines(text) });
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
