/** PERF-193: a frame this long after the one before it means the page is not keeping up with the display. */
const BEHIND_MS = 25;
/** PERF-193: a frame this long after the one before it follows a pause, not a page that is behind. */
const PAUSE_MS = 250;
/**
 * PERF-199: a late frame means the page is behind only when another of the frames just before it was late
 * too; a page past one slow frame is on time again at the next.
 */
const RECENT_LATE_FRAMES = 6;

/**
 * PERF-193: does this animation frame draw what changed? While the page keeps up, every frame does (one draw
 * per frame, however many updates arrived). While it is behind (this frame came more than BEHIND_MS after
 * the last, and so did another of the last RECENT_LATE_FRAMES), a frame that has only Spark's stream or
 * presence to draw (`pacedOnly`), after a frame that drew, is left for the next: the stream is drawn at most
 * every other frame, each draw showing all that arrived. A draw costs about the same however much text it
 * adds (CodeMirror's update and measure, Chromium's style, layout, paint and commit), so a page short of a
 * core drew fewer tokens per draw and kept less of a core for its socket and the rest of the machine; a frame
 * that draws nothing costs next to nothing. At most a frame's wait is added to a token, and only on a page
 * that is already late.
 *
 * PERF-199: one late frame is not a page that is behind. A page that keeps up is late once past a slow frame
 * (a card drawn anew, a reservation step, a garbage collection) and on time again at the next; leaving the
 * frame after it for the next one added a frame to exactly the tokens that had already waited, and saved
 * nothing.
 */
export class FramePacer {
  /** when the last frame callback ran, and whether it drew */
  private lastFrameAt: number | null = null;
  private drewLastFrame = false;
  /** frame callbacks since the last late one */
  private framesSinceLate = Number.POSITIVE_INFINITY;

  /** Called once per frame callback with its time; true: draw now, false: leave it for the next frame. */
  due(now: number, pacedOnly: boolean): boolean {
    const last = this.lastFrameAt;
    this.lastFrameAt = now;
    const late = last !== null && now - last > BEHIND_MS && now - last < PAUSE_MS;
    const behind = late && this.framesSinceLate <= RECENT_LATE_FRAMES;
    this.framesSinceLate = late ? 1 : this.framesSinceLate + 1;
    const due = !(behind && pacedOnly && this.drewLastFrame);
    this.drewLastFrame = due;
    return due;
  }
}
