import * as Y from 'yjs';
import type { BlameRange } from '../../schema/protocol.ts';
import type { AttributionRecord } from './suggestion-store.ts';

type Author =
  | { kind: 'human'; userId: string; imported: ImportedBy | undefined }
  | { kind: 'ai'; row: AttributionRecord };

/** Text inserted by an archive import (IO-7): its clientID is the import's own. */
export interface ImportedBy {
  id: string;
  userId: string;
  at: number;
}

interface LineAcc {
  from: number;
  humans: Map<string, number>;
  imported: ImportedBy | null;
  importedChars: number;
  ai: AttributionRecord | null;
  aiChars: number;
  chars: number;
}

/**
 * Blame for one file (AGENT-9): a walk of the Y.Text's live items, each character attributed by its Yjs
 * id, to an accepted suggestion (attribution rows) or else to the person whose clientID inserted it
 * (client bindings). The result is per line, adjacent lines with the same author merged: `ai` when every
 * character came from Spark, `human` when every character came from people (the main author named),
 * `mixed` when both.
 */
export function blameText(
  ytext: Y.Text,
  userOf: (client: number) => string | undefined,
  rows: readonly AttributionRecord[],
  importOf: (client: number) => ImportedBy | undefined = () => undefined,
): BlameRange[] {
  const byClient = indexRows(rows);
  const lines: BlameRange[] = [];
  let acc: LineAcc = newLine(0);
  let index = 0;
  for (let item = ytext._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable || !(item.content instanceof Y.ContentString)) continue;
    const str = item.content.str;
    const { client, clock } = item.id;
    const clientRows = byClient.get(client);
    for (let i = 0; i < str.length; i++) {
      const author = authorOf(client, clock + i, clientRows, userOf, importOf);
      acc.chars++;
      if (author.kind === 'ai') {
        acc.aiChars++;
        acc.ai ??= author.row;
      } else {
        acc.humans.set(author.userId, (acc.humans.get(author.userId) ?? 0) + 1);
        if (author.imported) {
          acc.importedChars++;
          acc.imported ??= author.imported;
        }
      }
      if (str.charCodeAt(i) === 10) {
        lines.push(finishLine(acc, index + i + 1));
        acc = newLine(index + i + 1);
      }
    }
    index += str.length;
  }
  if (acc.chars > 0) lines.push(finishLine(acc, index));
  return mergeLines(lines);
}

/**
 * The authors of a Y.Text's characters in order, as runs of equal authors (the same attribution as
 * blameText): what a rename carries over to the copied text (AGENT-17).
 */
export function authorRuns(
  ytext: Y.Text,
  userOf: (client: number) => string | undefined,
  rows: readonly AttributionRecord[],
): { length: number; author: { kind: 'human'; userId: string } | { kind: 'ai'; row: AttributionRecord } }[] {
  const byClient = indexRows(rows);
  const runs: ReturnType<typeof authorRuns> = [];
  const none = () => undefined;
  for (let item = ytext._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable || !(item.content instanceof Y.ContentString)) continue;
    const { client, clock } = item.id;
    const clientRows = byClient.get(client);
    for (let i = 0; i < item.content.str.length; i++) {
      const a = authorOf(client, clock + i, clientRows, userOf, none);
      const author = a.kind === 'ai' ? a : { kind: 'human' as const, userId: a.userId };
      const last = runs.at(-1);
      const same =
        last !== undefined &&
        (last.author.kind === 'ai'
          ? author.kind === 'ai' && author.row === last.author.row
          : author.kind === 'human' && author.userId === last.author.userId);
      if (same) last.length++;
      else runs.push({ length: 1, author });
    }
  }
  return runs;
}

function indexRows(rows: readonly AttributionRecord[]): Map<number, AttributionRecord[]> {
  const map = new Map<number, AttributionRecord[]>();
  for (const row of rows) {
    const list = map.get(row.client);
    if (list) list.push(row);
    else map.set(row.client, [row]);
  }
  for (const list of map.values()) list.sort((a, b) => a.clock - b.clock);
  return map;
}

function authorOf(
  client: number,
  clock: number,
  rows: AttributionRecord[] | undefined,
  userOf: (client: number) => string | undefined,
  importOf: (client: number) => ImportedBy | undefined,
): Author {
  if (rows) {
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const row = rows[mid]!;
      if (clock < row.clock) hi = mid - 1;
      else if (clock >= row.clock + row.length) lo = mid + 1;
      // Text a revert wrote back belongs to the person who reverted (REVIEW-5).
      else
        return row.kind === 'human'
          ? { kind: 'human', userId: row.acceptedBy, imported: undefined }
          : { kind: 'ai', row };
    }
  }
  const imported = importOf(client);
  return { kind: 'human', userId: imported?.userId ?? userOf(client) ?? 'unknown', imported };
}

function newLine(from: number): LineAcc {
  return { from, humans: new Map(), imported: null, importedChars: 0, ai: null, aiChars: 0, chars: 0 };
}

function finishLine(acc: LineAcc, to: number): BlameRange {
  let mainHuman: string | undefined;
  let best = 0;
  for (const [userId, n] of acc.humans) {
    if (n > best) {
      best = n;
      mainHuman = userId;
    }
  }
  const range: BlameRange = {
    from: acc.from,
    to,
    kind: acc.aiChars === 0 ? 'human' : acc.aiChars === acc.chars ? 'ai' : 'mixed',
  };
  if (mainHuman !== undefined) range.userId = mainHuman;
  // A line that is mostly imported text says so; someone's later edits inside it do not hide that.
  if (acc.imported && acc.imported.userId === mainHuman && acc.importedChars * 2 > acc.chars - acc.aiChars) {
    range.importId = acc.imported.id;
    range.importedAt = acc.imported.at;
  }
  if (acc.ai) {
    range.runId = acc.ai.runId;
    range.suggestionId = acc.ai.suggestionId;
    range.requestedBy = acc.ai.requestedBy;
    range.acceptedBy = acc.ai.acceptedBy;
  }
  return range;
}

function mergeLines(lines: BlameRange[]): BlameRange[] {
  const out: BlameRange[] = [];
  for (const line of lines) {
    const last = out.at(-1);
    if (
      last &&
      last.to === line.from &&
      last.kind === line.kind &&
      last.userId === line.userId &&
      last.suggestionId === line.suggestionId &&
      last.importId === line.importId
    ) {
      last.to = line.to;
    } else {
      out.push({ ...line });
    }
  }
  return out;
}
