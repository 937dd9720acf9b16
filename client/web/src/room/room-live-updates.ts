import type { RoomSession } from './room-session.ts';

/** The room page's parts as the live updates redraw them; each is one part's own render or refresh. */
export interface RoomParts {
  /** the review section: threads, verdicts, the diff against the base */
  refreshReview(): void;
  /** the open file follows a rename or deletion; opens the first file once synced (WEB-111) */
  filesChanged(): void;
  renderPending(): void;
  feedSuggestions(): void;
  renderTree(): void;
  renderSparkPanel(): void;
  /** the Spark panel, outside the stream's frames and at most every few frames (PERF-111) */
  renderSparkPanelSoon(): void;
  renderPreview(): void;
  renderPeoplePanel(): void;
  renderReadOnlyNotice(): void;
  refreshFileBar(): void;
  renderFollowBanner(): void;
  /** the person followed may have moved or a file they are in arrived */
  followPresenceChanged(): void;
  navPresenceChanged(): void;
  blameReviewChanged(): void;
  /** whether this person may change code changed (CLASS-29): the editor switches in place */
  setEditorReadOnly(): void;
  /** the same for the room's tools (upload, rename, ...) */
  toolsWritableChanged(): void;
  /** the pen of the classroom ended or moved (CLASS) */
  penOver(): void;
  renderClassroomBar(): void;
  classroomPeopleChanged(): void;
  /** lecture mode: follow the teacher when it asks */
  autoFollow(): void;
}

/**
 * What each of the session's change notifications redraws on the room page, in order; returns the
 * unsubscribes. One place for the wiring, so a new part is added to every topic it depends on.
 */
export function roomLiveUpdates(session: RoomSession, p: RoomParts): (() => void)[] {
  return [
    session.on('files', () => {
      p.refreshReview();
      p.filesChanged();
      p.renderPending();
      // Presence is relayed at once but edits only after they are stored, so a person's new file can
      // be announced before it exists here: look again when it arrives.
      p.followPresenceChanged();
    }),
    session.on('review', () => {
      p.refreshReview();
      p.renderPending();
      p.feedSuggestions();
      p.renderTree();
      p.renderSparkPanelSoon();
      p.renderPreview();
      p.followPresenceChanged();
      p.blameReviewChanged();
    }),
    // CLASS-29: a freeze, the pen or its end changed whether this person may change code: the editor and
    // every control that changes code switch in place (the editor keeps its text, undo history, scroll and
    // selection; the Spark prompt keeps what is typed in it).
    session.on('writable', () => {
      p.penOver();
      p.setEditorReadOnly();
      p.renderReadOnlyNotice();
      p.refreshFileBar();
      p.renderTree();
      p.renderPending();
      p.renderSparkPanel();
      p.feedSuggestions();
      p.renderPreview();
      p.toolsWritableChanged();
    }),
    session.on('modes', () => {
      p.penOver();
      p.renderClassroomBar();
      p.renderReadOnlyNotice();
      p.autoFollow();
      p.renderFollowBanner();
    }),
    session.on('presence', () => {
      p.autoFollow();
      p.classroomPeopleChanged();
      p.navPresenceChanged();
      p.renderPeoplePanel();
      p.renderTree();
      p.followPresenceChanged();
    }),
    session.on('info', () => {
      p.refreshReview();
      // The policy may have changed (WEB-11): buttons in the panel and in the widgets follow at once.
      p.renderPending();
      p.renderPeoplePanel();
      p.renderSparkPanel();
      p.feedSuggestions();
      p.renderPreview();
    }),
  ];
}
