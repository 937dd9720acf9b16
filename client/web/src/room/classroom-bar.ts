import { penAt, type RoomModes } from '../../../../schema/protocol.ts';
import type { ClassroomClient } from '../../../sdk/classroom-client.ts';
import { h, mount } from '../ui/dom.ts';
import { ClassroomControls } from './classroom-controls.ts';

export interface ClassroomBarDeps {
  host: HTMLElement;
  classroom: ClassroomClient;
  me: { id: string };
  modes: () => RoomModes;
  /** owners see the controls (CLASS-5) */
  canManage: boolean;
  /** members to hand the pen to */
  members: () => { id: string; name: string }[];
  openAssignments: () => void;
  /** the owner's one entry point to the folded controls (WEB-72): a toggle in the room's top bar */
  toggle: HTMLButtonElement;
  /** its copy in a phone's sidebar drawer (NAV-14), which clicks `toggle` */
  phoneToggle?: HTMLElement;
}

/**
 * Is the room used as a classroom (WEB-72)? A mode is on, the pen is out, or it has handed out an
 * assignment. Until then the owner's controls stay folded behind the top bar's Classroom button.
 */
export function classroomInUse(modes: RoomModes, assignments: number): boolean {
  const l = modes.lecture;
  return modes.tutor.enabled || l.follow || l.frozen || l.pen !== null || assignments > 0;
}

/**
 * The classroom bar above the editor (CLASS-1, CLASS-14): which modes are on, who leads, who holds the pen
 * and for how long; for owners, the switches, folded away until the room is used as a classroom (WEB-72).
 * Drawn from the review doc's modes, so it follows live.
 */
export class ClassroomBar {
  private readonly deps: ClassroomBarDeps;
  private timer: number | null = null;
  private readonly chipsHost = h('div', { class: 'mode-chips', role: 'status' });
  private readonly controls: ClassroomControls | null;
  /** assignments made from this room (owners only; null until asked) */
  private assignments: number | null = null;
  /** the owner unfolded or folded the controls by hand; null: follow whether the room is in use */
  private unfolded: boolean | null = null;
  private wasInUse = false;
  private readonly onToggle = () => {
    this.unfolded = !this.expanded();
    this.render();
  };

  constructor(deps: ClassroomBarDeps) {
    this.deps = deps;
    this.controls = deps.canManage ? new ClassroomControls(deps.classroom, deps.openAssignments) : null;
    mount(deps.host, this.chipsHost, this.controls?.root);
    deps.toggle.hidden = !deps.canManage;
    if (deps.phoneToggle) deps.phoneToggle.hidden = !deps.canManage;
    deps.toggle.addEventListener('click', this.onToggle);
    if (deps.canManage) {
      deps.classroom.assignments().then(
        (list) => this.assignmentsChanged(list.length),
        // Unknown: the controls stay folded until a mode is on; the rest of the room works as before.
        (err: unknown) => console.warn('listing the assignments failed', err),
      );
    }
  }

  /** How many assignments this room has (the dialog says so when it makes one): the room is a classroom. */
  assignmentsChanged(count: number): void {
    this.assignments = count;
    this.render();
  }

  private expanded(): boolean {
    return this.deps.canManage && (this.unfolded ?? classroomInUse(this.deps.modes(), this.assignments ?? 0));
  }

  render(): void {
    const { host, toggle } = this.deps;
    const modes = this.deps.modes();
    const inUse = classroomInUse(modes, this.assignments ?? 0);
    // The room just became a classroom (a co-owner turned a mode on, an assignment was made): unfold.
    if (inUse && !this.wasInUse && this.unfolded === false) this.unfolded = null;
    // WEB-75: the owner turned the last mode off (unfroze, ended the lecture): the switches stay where her
    // hand is, for the next freeze or pen, until she folds them with the Classroom button.
    if (!inUse && this.wasInUse && this.unfolded === null && this.deps.canManage) this.unfolded = true;
    this.wasInUse = inUse;
    const pen = penAt(modes.lecture, Date.now());
    const chips = [
      modes.tutor.enabled &&
        h(
          'span',
          { class: 'mode-chip tutor-chip' },
          `Tutor mode: Spark gives hints, at most ${modes.tutor.maxChangedLines} lines a run`,
        ),
      modes.lecture.follow &&
        modes.lecture.leader &&
        h(
          'span',
          { class: 'mode-chip lecture-chip' },
          modes.lecture.leader.id === this.deps.me.id
            ? 'Lecture: everyone follows you'
            : `Lecture: everyone follows ${modes.lecture.leader.name}`,
        ),
      modes.lecture.frozen && h('span', { class: 'mode-chip frozen-chip' }, 'Code frozen'),
      pen &&
        h(
          'span',
          { class: 'mode-chip pen-chip' },
          `✎ ${pen.userId === this.deps.me.id ? 'You hold' : `${pen.name} holds`} the pen (${clock(pen.until - Date.now())} left)`,
        ),
    ].filter(Boolean);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = pen ? window.setTimeout(() => this.render(), 1000) : null;
    const expanded = this.expanded();
    host.hidden = chips.length === 0 && !expanded;
    mount(this.chipsHost, ...chips);
    this.chipsHost.hidden = chips.length === 0;
    toggle.setAttribute('aria-expanded', String(expanded));
    toggle.classList.toggle('active', expanded);
    if (!this.controls) return;
    this.controls.root.hidden = !expanded;
    this.controls.showModes(modes);
    this.peopleChanged();
  }

  /** The people one can hand the pen to may have changed: the picker follows, keeping its choice. */
  peopleChanged(): void {
    this.controls?.showPeople(this.deps.members().filter((m) => m.id !== this.deps.me.id));
  }

  destroy(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.deps.toggle.removeEventListener('click', this.onToggle);
  }
}

function clock(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
