import * as Y from 'yjs';
import { CODE_FILES_KEY, type ReplaceResponse } from '../../schema/protocol.ts';
import type { ReplaceRequest } from '../../schema/rest.ts';
import {
  compileQuery,
  expandReplacement,
  type FoundMatch,
  MAX_REPLACE_MATCHES,
} from '../../schema/search-query.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { type HistoryService, toView } from './history-service.ts';
import { MatchWorker } from './match-worker.ts';
import { writeForPerson } from './person-write.ts';
import type { SuggestionStore } from './suggestion-store.ts';

export interface ReplaceServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  history: HistoryService;
  attribution: Pick<SuggestionStore, 'addAttribution'>;
  now: () => number;
  /** a search for the matches still running after this long is stopped, ms (default 2000) */
  matchTimeoutMs?: number;
}

/** How much of the query and replacement the history summary quotes. */
const QUOTED_CHARS = 40;

/**
 * Replace across files (NAV-24..NAV-26): the matches of a search in the files a person picked become the
 * replacement in one code-doc transaction, recorded as one history entry by that person ("Replace “x” → “y”
 * in 12 files") and attributed to them in blame; reverting that entry undoes it as one. The matching is
 * the search's own rule (schema/search-query.ts), run on a worker thread under a time limit (SAFE-121).
 */
export class ReplaceService {
  private readonly deps: ReplaceServiceDeps;
  private readonly matcher: MatchWorker;

  constructor(deps: ReplaceServiceDeps) {
    this.deps = deps;
    this.matcher = new MatchWorker({ timeoutMs: deps.matchTimeoutMs ?? 2000 });
  }

  async replace(user: AuthUser, req: ReplaceRequest): Promise<ReplaceResponse> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, 'write', policy);
    // CLASS-30: a replace changes code, which a frozen room keeps to its owners and the pen holder.
    await this.deps.rooms.assertMayWriteCode(user);
    const re = compileQuery(req.query);
    if (!(re instanceof RegExp)) throw new AppError('bad_request', re.error);
    const seen = new Set<string>();
    for (const f of req.files) {
      if (seen.has(f.path)) throw new AppError('bad_request', `${f.path} is listed twice`);
      seen.add(f.path);
    }
    const { room, release } = await this.deps.registry.acquire(user.roomId);
    try {
      const files = room.code.doc.getMap<Y.Text>(CODE_FILES_KEY);
      const skipped: ReplaceResponse['skipped'] = [];
      const asked = req.files.filter((f) => {
        if (files.get(f.path) instanceof Y.Text) return true;
        skipped.push({ path: f.path, reason: 'no such file now' });
        return false;
      });
      const texts = asked.map((f) => files.get(f.path)?.toString() ?? '');
      // The matches are found off the event loop, on the texts as they are now; a file that changes
      // before the write is skipped rather than written over positions that moved.
      const { found, tooMany } = await this.matcher.find(re, texts, MAX_REPLACE_MATCHES);
      if (tooMany) {
        throw new AppError(
          'too_large',
          `more than ${MAX_REPLACE_MATCHES.toLocaleString('en')} matches: narrow the search and replace in parts`,
        );
      }
      const planned: { path: string; text: string; matches: FoundMatch[] }[] = [];
      for (const [i, f] of asked.entries()) {
        let matches = found[i] ?? [];
        if (f.expect !== undefined && matches.length !== f.expect) {
          skipped.push({
            path: f.path,
            reason: `changed since the search (${matches.length} matches now, ${f.expect} then): search again`,
          });
          continue;
        }
        if (f.lines) matches = onLines(texts[i]!, matches, new Set(f.lines));
        if (matches.length > 0) planned.push({ path: f.path, text: texts[i]!, matches });
      }
      const count = planned.reduce((n, p) => n + p.matches.length, 0);
      const done: ReplaceResponse['files'] = [];
      const summary = `Replace ${quote(req.query.text)} → ${quote(req.replacement)} in ${plural(planned.length, 'file')} (${plural(count, 'match', 'matches')})`;
      const { entry } = await this.deps.history.recordChange(
        room,
        { kind: 'change', by: { id: user.id, name: user.name }, summary },
        () =>
          writeForPerson(room, this.deps.attribution, {
            userId: user.id,
            label: 'replace',
            origin: { source: 'change', userId: user.id, what: 'replace' },
            at: this.deps.now(),
            apply: (map) => {
              for (const p of planned) {
                const ytext = map.get(p.path);
                if (!ytext || ytext.toString() !== p.text) {
                  skipped.push({ path: p.path, reason: 'changed during the replace: search again' });
                  continue;
                }
                // Back to front, so the earlier matches' positions stay valid.
                for (let k = p.matches.length - 1; k >= 0; k--) {
                  const m = p.matches[k]!;
                  ytext.delete(m.index, m.text.length);
                  const by = expandReplacement(req.replacement, req.query.regex, m);
                  if (by.length > 0) ytext.insert(m.index, by);
                }
                done.push({ path: p.path, replaced: p.matches.length });
              }
            },
          }),
      );
      await room.whenFlushed();
      return {
        entry: entry ? toView(entry) : null,
        replaced: done.reduce((n, f) => n + f.replaced, 0),
        files: done,
        skipped,
      };
    } finally {
      release();
    }
  }

  close(): Promise<void> {
    return this.matcher.close();
  }
}

/** The matches that start on one of `lines` (1-based). */
function onLines(text: string, matches: FoundMatch[], lines: Set<number>): FoundMatch[] {
  const kept: FoundMatch[] = [];
  let line = 1;
  let scanned = 0;
  for (const m of matches) {
    for (let nl = text.indexOf('\n', scanned); nl !== -1 && nl < m.index; nl = text.indexOf('\n', nl + 1)) {
      line++;
      scanned = nl + 1;
    }
    if (lines.has(line)) kept.push(m);
  }
  return kept;
}

function quote(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return `“${oneLine.length > QUOTED_CHARS ? `${oneLine.slice(0, QUOTED_CHARS - 1)}…` : oneLine}”`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}
