import type * as Y from 'yjs';
import {
  canNow,
  completePolicy,
  defaultModes,
  type Permission,
  REVIEW_MODES_KEY,
  type Role,
  type RoomInfo,
  type RoomModes,
  type RoomPolicy,
  type RunView,
  type SuggestionView,
  type TokenClaims,
} from '../../../../schema/protocol.ts';
import { fileNames, fileText } from '../../../sdk/code-files.ts';
import { listRuns, listSuggestions } from '../../../sdk/review-views.ts';
import type { RoomConnection, SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { type Participant, participantsOf } from '../editor/presence-state.ts';
import { FramePacer } from './frame-pacer.ts';

/**
 * `role`: an owner changed this person's role (the page is built again around it, AUTH-5); `writable`: a
 * freeze or the pen changed whether they may change code now (the page switches in place, CLASS-29).
 */
type Topic = 'files' | 'review' | 'presence' | 'info' | 'role' | 'writable' | 'modes';

/**
 * PERF-193: the topics a frame may leave for the next while the page is behind: Spark's stream (the review
 * doc) and presence (its cursor moves with the stream). Anything else (a file's keys, a role, the policy,
 * a freeze) is drawn in the first frame.
 */
const PACED: ReadonlySet<Topic> = new Set<Topic>(['review', 'presence']);

/**
 * The live model of one room for the page: the SDK connection, room info, and views of the files,
 * runs, suggestions and participants, with change notifications coalesced to one per animation frame
 * (Spark may stream hundreds of deltas a second; the page redraws at most once per frame).
 */
export class RoomSession {
  readonly conn: RoomConnection;
  info: RoomInfo;
  private runList: RunView[] = [];
  private modesNow: RoomModes = defaultModes;
  /** the review doc changed since readReview last ran (PERF-42: read once per frame or when asked) */
  private reviewStale = false;
  private penTimer: number | null = null;
  private writable = true;
  private suggestionList: SuggestionView[] = [];
  private readonly names = new Map<string, string>();
  /**
   * ROOM-27: runs that left the live review doc once settled (decided and ended), with their suggestions:
   * the last view this page saw of each, and the room's recent ones from REST at load. Only a revert (or
   * its undo) still changes one: `reloadSettledRun` reads it again from REST (REVIEW-12).
   */
  private readonly settledRuns = new Map<string, RunView>();
  private readonly settledSuggestions = new Map<string, SuggestionView>();
  /** the runs the review doc held at the last read */
  private liveRunIds = new Set<string>();
  private readonly listeners = new Map<Topic, Set<() => void>>();
  private readonly dirty = new Set<Topic>();
  private frame: number | null = null;
  /** PERF-193/199: whether a frame draws now or leaves the stream for the next */
  private readonly pacer = new FramePacer();
  private readonly cleanups: (() => void)[] = [];
  /** fileNames() as last read; null once a key of the files map was added, removed or replaced */
  private fileList: readonly string[] | null = null;

  /** who this tab is; the role follows an owner's changes (AUTH-5), the rest is the token's */
  me: TokenClaims;

  constructor(
    readonly client: SparkroomClient,
    me: TokenClaims,
    info: RoomInfo,
  ) {
    this.me = me;
    this.info = info;
    this.indexNames(info);
    this.writable = this.can('write');
    this.conn = client.connect();
    const files = () => {
      this.fileList = null;
      this.touch('files');
    };
    // PERF-42: Spark streams a review-doc update per frame and more when the page is behind; reading every
    // run and suggestion (each proposal's whole text) is done once, when the frame or a caller needs them.
    // A hidden tab gets no frames: it reads at once, as before, so a run that starts and leaves the live
    // doc while it is hidden is still noted as settled (ROOM-27).
    const review = () => {
      this.reviewStale = true;
      if (document.hidden) this.readReview();
      this.touch('review');
    };
    const presence = () => this.touch('presence');
    // AUTH-5: when an owner changes our role, the server stamps our own presence with it (a newer clock,
    // so the provider takes it as our local state): that is how this tab learns it without reconnecting.
    const ownStamp = (change: { added: number[]; updated: number[] }) => {
      const own = this.conn.codeProvider.awareness.clientID;
      if (!change.updated.includes(own) && !change.added.includes(own)) return;
      const user = this.conn.codeProvider.awareness.getLocalState()?.user as { role?: unknown } | undefined;
      const role = user?.role;
      if (isRole(role) && role !== this.me.role) {
        this.me = { ...this.me, role };
        this.writable = this.can('write');
        this.touch('role');
      }
    };
    this.conn.codeProvider.awareness.on('change', ownStamp);
    this.cleanups.push(() => this.conn.codeProvider.awareness.off('change', ownStamp));
    this.conn.files.observe(files);
    this.conn.reviewDoc.on('update', review);
    this.conn.codeProvider.awareness.on('change', presence);
    this.conn.reviewProvider.awareness.on('change', presence);
    this.cleanups.push(
      () => this.conn.files.unobserve(files),
      () => this.conn.reviewDoc.off('update', review),
      () => this.conn.codeProvider.awareness.off('change', presence),
      () => this.conn.reviewProvider.awareness.off('change', presence),
    );
    void this.loadSettledRuns();
    // Our own presence on the code doc: y-codemirror.next's fields, plus the file we are in.
    this.conn.codeProvider.awareness.setLocalState({
      user: { name: me.name, color: '#64748b' },
      file: null,
      cursor: null,
    });
  }

  /** the room's Spark runs, newest first: the live review doc's and those that left it (ROOM-27) */
  get runs(): RunView[] {
    this.freshReview();
    return this.runList;
  }

  /** every suggestion of those runs */
  get suggestions(): SuggestionView[] {
    this.freshReview();
    return this.suggestionList;
  }

  /** tutor and lecture mode, live from the review doc (CLASS-1) */
  get modes(): RoomModes {
    this.freshReview();
    return this.modesNow;
  }

  private freshReview(): void {
    if (!this.reviewStale) return;
    this.reviewStale = false;
    this.readReview();
  }

  on(topic: Topic, fn: () => void): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  get files(): Y.Map<Y.Text> {
    return this.conn.files;
  }

  /**
   * The files that are texts, sorted; a key an older store left holding something else is skipped
   * (SAFE-36). Read once per change of the map's keys (PERF-39): the tree, the file bar and quick open
   * ask for it many times per change, and a room of thousands of files made each ask cost milliseconds.
   * The same array until the keys change, so callers may compare it by identity; never mutate it.
   */
  fileNames(): readonly string[] {
    this.fileList ??= fileNames(this.conn.files);
    return this.fileList;
  }

  /** A file's text, or undefined when there is none or its key holds something else (SAFE-36). */
  text(path: string): Y.Text | undefined {
    return fileText(this.conn.files, path);
  }

  /**
   * What this person may do now: the shared permission table with the room's current policy; writing also
   * follows lecture mode (CLASS-11: the freeze and the pen), by the same rule the server applies.
   */
  can(permission: Permission): boolean {
    return canNow(
      { id: this.me.sub, role: this.me.role },
      permission,
      this.info.policy,
      this.modes,
      Date.now(),
    );
  }

  /** A display name for a user id ("you" aware callers add that themselves). */
  nameOf(userId: string): string {
    return this.names.get(userId) ?? 'someone';
  }

  /** Who asked for a suggestion's run, by name. */
  askedByOf(s: Pick<SuggestionView, 'runId' | 'requestedBy'>): string {
    const run = this.runs.find((r) => r.id === s.runId);
    return run?.requestedByName || this.nameOf(s.requestedBy);
  }

  /** People online (code doc awareness, without this tab) and Spark's active runs (review doc). */
  participants(): { people: Participant[]; agents: Participant[] } {
    const people = participantsOf(
      this.conn.codeProvider.awareness.getStates() as Map<number, Record<string, unknown>>,
      this.conn.codeProvider.awareness.clientID,
    );
    for (const p of people) this.names.set(p.user.id, p.user.name);
    const agents = participantsOf(
      this.conn.reviewProvider.awareness.getStates() as Map<number, Record<string, unknown>>,
      null,
    ).filter((p) => p.user.role === 'agent');
    return { people, agents };
  }

  async refreshInfo(): Promise<void> {
    this.info = await this.client.roomInfo();
    this.indexNames(this.info);
    this.touch('info');
  }

  /**
   * CLASS-29: when a freeze, a pen or its end changes whether this person may change code, the page is told
   * (`writable`) and switches its editor and buttons in place: nothing typed, scrolled or undoable is lost.
   * A pen's end is checked at its time (the server's timer publishes it too, a moment later).
   */
  private checkWritable(): void {
    if (this.penTimer !== null) clearTimeout(this.penTimer);
    this.penTimer = null;
    const pen = this.modes.lecture.pen;
    if (pen && pen.userId === this.me.sub && pen.until > Date.now()) {
      this.penTimer = window.setTimeout(() => this.checkWritable(), pen.until - Date.now() + 50);
    }
    const writable = this.can('write');
    if (writable !== this.writable) {
      this.writable = writable;
      this.touch('writable');
    }
  }

  destroy(): void {
    if (this.penTimer !== null) clearTimeout(this.penTimer);
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    for (const c of this.cleanups) c();
    this.conn.destroy();
    this.listeners.clear();
  }

  private indexNames(info: RoomInfo): void {
    for (const m of info.former) this.names.set(m.id, m.name);
    for (const m of info.members) this.names.set(m.id, m.name);
    this.names.set(this.me.sub, this.me.name);
  }

  private readReview(): void {
    this.reviewStale = false;
    // WEB-11: the policy lives in the review doc too, so a change reaches every open page at once.
    const policy = this.conn.room.get('policy');
    if (policy && typeof policy === 'object' && JSON.stringify(policy) !== JSON.stringify(this.info.policy)) {
      this.info = { ...this.info, policy: completePolicy(policy as Partial<RoomPolicy>) };
      this.touch('info');
    }
    const modes = this.conn.room.get(REVIEW_MODES_KEY) as RoomModes | undefined;
    if (modes && JSON.stringify(modes) !== JSON.stringify(this.modesNow)) {
      this.modesNow = modes;
      this.touch('modes');
      this.checkWritable();
    }
    const liveRuns = listRuns(this.conn.runs);
    const live = new Set(liveRuns.map((r) => r.id));
    // A run that was live at the last read and is gone now has settled: keep what this page last saw of it.
    for (const r of this.runList) {
      if (!this.liveRunIds.has(r.id) || live.has(r.id)) continue;
      this.settledRuns.set(r.id, r);
      for (const x of this.suggestionList) if (x.runId === r.id) this.settledSuggestions.set(x.id, x);
    }
    this.liveRunIds = live;
    this.runList = [...liveRuns, ...[...this.settledRuns.values()].filter((r) => !live.has(r.id))].sort(
      (a, b) => b.createdAt - a.createdAt,
    );
    for (const r of this.runList) if (r.requestedByName) this.names.set(r.requestedBy, r.requestedByName);
    this.suggestionList = [
      ...listSuggestions(this.conn.suggestions),
      ...[...this.settledSuggestions.values()].filter((x) => !live.has(x.runId)),
    ];
  }

  /** Is this run one that left the live review doc (ROOM-27), shown from this page's last view of it? */
  isSettled(runId: string): boolean {
    return this.settledRuns.has(runId) && !this.liveRunIds.has(runId);
  }

  /**
   * REVIEW-12: reads a run that left the live review doc again from REST (after a revert of one of its
   * suggestions, or before one), so the panel shows its suggestions as storage holds them now. Resolves to
   * the run's suggestions as read; a run back in the live doc, or one that could not be read, to null.
   */
  async reloadSettledRun(runId: string): Promise<SuggestionView[] | null> {
    if (!this.isSettled(runId)) return null;
    try {
      const { suggestions, ...view } = await this.client.run(runId);
      if (!this.isSettled(runId)) return null;
      this.settledRuns.set(runId, view);
      for (const x of suggestions) this.settledSuggestions.set(x.id, x);
      this.readReview();
      this.touch('review');
      return suggestions;
    } catch (err) {
      console.warn('reading a settled Spark run again failed', err);
      return null;
    }
  }

  /** The room's recent runs from REST (ROOM-26): those no longer in the review doc join the live ones. */
  private async loadSettledRuns(): Promise<void> {
    try {
      const page = await this.client.listRuns({ limit: 50 });
      for (const run of page.runs) {
        const { suggestions, ...view } = run;
        if (this.settledRuns.has(view.id) || this.liveRunIds.has(view.id)) continue;
        this.settledRuns.set(view.id, view);
        for (const x of suggestions) this.settledSuggestions.set(x.id, x);
      }
      this.readReview();
      this.touch('review');
    } catch (err) {
      // The live runs still show; only older ones are missing until the next load.
      console.warn('loading earlier Spark runs failed', err);
    }
  }

  private touch(topic: Topic): void {
    this.dirty.add(topic);
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame((now) => this.drawFrame(now));
  }

  private drawFrame(now: number): void {
    this.frame = null;
    if (!this.frameDue(now)) {
      // Left for the next frame: what arrives meanwhile joins it, and only the newest state is drawn.
      this.frame = requestAnimationFrame((next) => this.drawFrame(next));
      return;
    }
    // Before the topics are taken: a policy or mode change it finds fires with them.
    this.freshReview();
    const topics = [...this.dirty];
    this.dirty.clear();
    for (const t of topics) for (const fn of this.listeners.get(t) ?? []) fn();
  }

  /** PERF-193: does this frame draw what changed? A page that is behind leaves the stream for the next. */
  private frameDue(now: number): boolean {
    let pacedOnly = true;
    for (const t of this.dirty) if (!PACED.has(t)) pacedOnly = false;
    return this.pacer.due(now, pacedOnly);
  }
}

function isRole(v: unknown): v is Role {
  return v === 'owner' || v === 'editor' || v === 'viewer';
}
