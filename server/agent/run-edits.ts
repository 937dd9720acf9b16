import type { RunView } from '../../schema/protocol.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import type { Room } from '../rooms/room.ts';
import type { RunChannel } from '../suggestions/proposal-port.ts';
import type { EditEvent, HunkStart } from './edit-parser.ts';
import { type FileSnapshot, readLive } from './file-snapshot.ts';
import { isCurrent } from './live-lines.ts';
import { placeHunk } from './place-hunk.ts';
import type { RunRecorder } from './run-recorder.ts';
import { SLICE_ITEMS } from './sliced-walk.ts';
import { HunkLines, type TutorBudget } from './tutor-budget.ts';

/** PERF-95: problems with a run's edits listed on it; the one after says more were dropped. */
export const MAX_RUN_UNANCHORED = 50;

export interface RunEditsDeps {
  room: Room;
  channel: RunChannel;
  recorder: RunRecorder;
  /** the run as shown: its message and unanchored list grow here */
  view: RunView;
  /** tutor mode's line budget over all turns (CLASS-3); null without tutor mode */
  tutor: TutorBudget | null;
  /** hunks one run may start (SAFE-51) */
  maxHunks: number;
  model: string;
  requestedBy: string;
}

interface HunkState {
  /** null when the hunk could not be anchored (its text is ignored) */
  suggestionId: string | null;
  /** tutor mode: the hunk's file, its changed lines so far and its text (CLASS-3) */
  tutor?: { file: string; lines: HunkLines; text: string };
}

/** What one turn's edits need: the files as the turn saw them and where its hunks went. */
export interface TurnEdits {
  snapshots: Map<string, FileSnapshot>;
  hunks: Map<number, HunkState>;
  /** per file, the line after the last hunk placed there this turn: `@@` headers are sought from it */
  cursors: Map<string, number>;
}

export function newTurnEdits(snapshots: Map<string, FileSnapshot>): TurnEdits {
  return { snapshots, hunks: new Map(), cursors: new Map() };
}

/**
 * What the model's parsed edits do to a run: prose goes to its message, hunks are placed in the code
 * (AGENT-4) and stream into suggestions through the run's channel, within the run's caps (SAFE-51) and
 * tutor mode's budget (CLASS-3). The stream itself, its turns and its end are AgentRun's.
 */
export class RunEdits {
  private readonly deps: RunEditsDeps;
  /** hunks the model started over all turns (SAFE-51: past the cap they are refused unplaced) */
  private hunksSeen = 0;
  /** edits that could not be placed or parsed, over all turns (PERF-95: past the cap only counted) */
  private unanchoredSeen = 0;
  /** the suggestion Spark is typing (or typed last): its presence cursor sits on it */
  writing: { id: string; file: string } | null = null;

  constructor(deps: RunEditsDeps) {
    this.deps = deps;
  }

  /**
   * SAFE-176: a hunk in a long file someone changed since the turn's snapshot needs the file's live view
   * read again (SAFE-160); it is read here in slices across turns of the event loop, and the stream waits
   * for it (null: nothing to read, apply at once). The hunk is then placed in the same task as the last
   * slice, on the view of the text as it is.
   */
  liveReady(turn: TurnEdits, edit: EditEvent): Promise<void> | null {
    if (edit.type !== 'hunk-start' || edit.newFile || edit.moveTo !== undefined) return null;
    const snap = turn.snapshots.get(edit.file);
    const ytext = fileText(this.deps.room.code.doc, edit.file);
    if (!snap || !ytext || isCurrent(snap.live, ytext) || ytext.length <= SLICE_ITEMS) return null;
    return readLive(snap, ytext, this.deps.room.code.doc);
  }

  apply(turn: TurnEdits, edit: EditEvent): void {
    const { channel, view, tutor } = this.deps;
    switch (edit.type) {
      case 'text':
        // Appended to the run's message (a Y.Text) in the next frame: never the whole message again.
        view.message += edit.text;
        channel.appendMessage(edit.text);
        break;
      case 'parse-error':
        this.unanchored('(edit)', edit.message);
        break;
      case 'hunk-start':
        turn.hunks.set(edit.hunk, this.anchor(turn, edit));
        break;
      case 'hunk-delta': {
        const hunk = turn.hunks.get(edit.hunk);
        const id = hunk?.suggestionId;
        if (!id || !hunk) break;
        // CLASS-3: a hunk whose certainly-added lines alone pass the budget is refused while it streams.
        if (hunk.tutor && tutor) {
          hunk.tutor.text += edit.text;
          const atLeast = hunk.tutor.lines.push(edit.text, tutor.left);
          if (tutor.exceeds(atLeast)) {
            this.refuseHunk(hunk, atLeast);
            break;
          }
        }
        // False once the hunk takes no more text (a person's edit made it stale): its other hunks go on.
        channel.appendProposed(id, edit.text);
        break;
      }
      case 'hunk-end': {
        const hunk = turn.hunks.get(edit.hunk);
        const id = hunk?.suggestionId;
        if (!id || !hunk) break;
        if (!this.spendTutorLines(hunk)) break;
        channel.endHunk(id, edit.complete ? 'proposed' : 'interrupted');
        break;
      }
    }
  }

  /** Ends the turn's hunks that are still streaming (`interrupted` keeps their partial text). */
  closeOpenHunks(turn: TurnEdits, to: 'proposed' | 'interrupted', by: string | null = null): void {
    for (const hunk of turn.hunks.values()) {
      const id = hunk.suggestionId;
      if (!id) continue;
      // CLASS-3: a partial hunk's lines count against the budget too (it can still be accepted).
      if (!this.spendTutorLines(hunk)) continue;
      this.deps.channel.endHunk(id, to, by);
    }
  }

  /**
   * Reports an edit that could not be placed (AGENT-4); always null, for `place`'s callers. PERF-95: each
   * report is a row of the run's audit trail, a save of the run with its whole list, and an item of the
   * review doc, and a reply of unprefixed lines makes one per line; past MAX_RUN_UNANCHORED reports one more
   * says so and the rest are dropped, so a run's cost stays proportional to its stream.
   */
  unanchored(file: string, reason: string): null {
    const seen = ++this.unanchoredSeen;
    if (seen > MAX_RUN_UNANCHORED + 1) return null;
    const item =
      seen === MAX_RUN_UNANCHORED + 1
        ? {
            file: '(edit)',
            reason: `more than ${MAX_RUN_UNANCHORED} edits could not be used: the rest are not listed`,
          }
        : { file, reason };
    this.deps.view.unanchored.push(item);
    this.deps.channel.addUnanchored(item);
    this.deps.recorder.step(this.deps.view, 'unanchored', null, `${file}: ${reason}`);
    return null;
  }

  /**
   * CLASS-3: a finished (or cut) hunk's changed lines are spent from the budget, once; false when they pass
   * it, and the hunk was refused instead.
   */
  private spendTutorLines(hunk: HunkState): boolean {
    const { tutor, channel } = this.deps;
    if (!hunk.tutor || !tutor) return true;
    const lines = hunk.tutor.lines.final(hunk.tutor.text);
    if (tutor.exceeds(lines)) {
      this.refuseHunk(hunk, lines);
      return false;
    }
    tutor.spend(lines);
    // Counted once: closing the turn's hunks later must not count it again.
    hunk.tutor = undefined;
    channel.updateRun({ tutor: tutor.report() });
    return true;
  }

  /**
   * CLASS-3: tutor mode refuses a hunk past the run's line budget. It stops taking text, ends `refused`
   * (final: never pending, never acceptable), and the run's tutor report names it.
   */
  private refuseHunk(hunk: HunkState, lines: number): void {
    const { tutor, channel, recorder, view } = this.deps;
    const id = hunk.suggestionId;
    if (!tutor || !hunk.tutor || id === null) return;
    hunk.suggestionId = null;
    channel.refuse(id, `tutor mode: past the limit of ${tutor.maxChangedLines} changed lines`);
    tutor.refuse(hunk.tutor.file, id, lines);
    channel.updateRun({ tutor: tutor.report() });
    recorder.step(
      view,
      'unanchored',
      null,
      `${hunk.tutor.file}: refused by tutor mode (${lines} lines, ${tutor.left} left)`,
    );
  }

  /** Places a hunk (AGENT-4) and starts its suggestion; without one its text is ignored. */
  private anchor(turn: TurnEdits, hunk: HunkStart): HunkState {
    const { tutor, channel } = this.deps;
    // CLASS-3: with the budget spent, a further hunk is refused before it is placed.
    if (tutor && tutor.left <= 0) {
      tutor.refuse(hunk.file, null, 0);
      channel.updateRun({ tutor: tutor.report() });
      return { suggestionId: null };
    }
    const started = this.place(turn, hunk);
    if (started === null || !tutor) return { suggestionId: started?.id ?? null };
    const { id, baseText, lead } = started;
    const lines = new HunkLines(baseText);
    const placed: HunkState = { suggestionId: id, tutor: { file: hunk.file, lines, text: lead } };
    const atLeast = lines.push(lead, tutor.left);
    if (tutor.exceeds(atLeast)) this.refuseHunk(placed, atLeast);
    return placed;
  }

  /** Places a hunk (AGENT-4); returns its suggestion, or null after reporting why it cannot be placed. */
  private place(turn: TurnEdits, hunk: HunkStart): { id: string; baseText: string; lead: string } | null {
    // SAFE-51: placing a hunk costs a pass over its file; a run's hunks are capped so a reply of thousands
    // of tiny hunks cannot hold the server. The first refused one is reported, the rest only counted.
    const { maxHunks, channel } = this.deps;
    if (++this.hunksSeen > maxHunks) {
      if (this.hunksSeen === maxHunks + 1)
        this.unanchored(
          hunk.file,
          `more than ${maxHunks} edits in one run: this one and any after it are refused`,
        );
      return null;
    }
    const placed = placeHunk(this.deps.room.code.doc, turn.snapshots, hunk, {
      fromLine: turn.cursors.get(hunk.file) ?? 1,
    });
    if (!placed.ok) return this.unanchored(hunk.file, placed.reason);
    turn.cursors.set(hunk.file, placed.endLine);
    const id = channel.propose(
      { file: hunk.file, ...placed.placement },
      { model: this.deps.model, requestedBy: this.deps.requestedBy },
    );
    if (placed.lead !== '') channel.appendProposed(id, placed.lead);
    this.writing = { id, file: hunk.file };
    return { id, baseText: placed.placement.baseText, lead: placed.lead };
  }
}
