import { penAt, type RoomModes, TUTOR_MAX_LINES, TUTOR_MIN_LINES } from '../../../../schema/protocol.ts';
import type { ClassroomClient } from '../../../sdk/classroom-client.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';

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
}

/**
 * The classroom bar above the editor (CLASS-1, CLASS-14): which modes are on, who leads, who holds the pen
 * and for how long; for owners, the switches. Drawn from the review doc's modes, so it follows live.
 */
export class ClassroomBar {
  private readonly deps: ClassroomBarDeps;
  private timer: number | null = null;

  constructor(deps: ClassroomBarDeps) {
    this.deps = deps;
  }

  render(): void {
    const { host, canManage } = this.deps;
    const modes = this.deps.modes();
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
    host.hidden = chips.length === 0 && !canManage;
    mount(
      host,
      h('div', { class: 'mode-chips', role: 'status' }, ...chips),
      canManage && this.controls(modes),
    );
  }

  private people = '';

  /** Redraws when the people one can hand the pen to changed (not on every cursor move). */
  peopleChanged(): void {
    const now = JSON.stringify(this.deps.members());
    if (now === this.people) return;
    this.people = now;
    if (this.deps.canManage && document.activeElement?.closest('.mode-controls') === null) this.render();
    else if (this.deps.canManage && !document.activeElement?.closest('.mode-controls')) this.render();
  }

  destroy(): void {
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private controls(modes: RoomModes): HTMLElement {
    const c = this.deps.classroom;
    const run = (p: Promise<unknown>, done: string) =>
      p.then(
        () => toast(done, 'success'),
        (err: unknown) => toast(describeError(err, 'room'), 'error'),
      );
    const lines = h('input', {
      type: 'number',
      class: 'tutor-lines',
      min: String(TUTOR_MIN_LINES),
      max: String(TUTOR_MAX_LINES),
      value: String(modes.tutor.maxChangedLines),
      'aria-label': 'Lines one Spark run may change',
      on: {
        change: () => void run(c.setTutor({ maxChangedLines: Number(lines.value) }), 'Tutor limit saved'),
      },
    });
    const toggle = (label: string, checked: boolean, onChange: (on: boolean) => void) =>
      h(
        'label',
        { class: 'check' },
        h('input', {
          type: 'checkbox',
          checked,
          'aria-label': label,
          on: { change: (e) => onChange((e.target as HTMLInputElement).checked) },
        }),
        ` ${label}`,
      );
    const who = h(
      'select',
      { class: 'pen-person', 'aria-label': 'Hand the pen to' },
      ...this.deps
        .members()
        .filter((m) => m.id !== this.deps.me.id)
        .map((m) => h('option', { value: m.id }, m.name)),
    );
    return h(
      'div',
      { class: 'mode-controls' },
      toggle('Tutor mode', modes.tutor.enabled, (on) =>
        run(c.setTutor({ enabled: on }), on ? 'Tutor mode is on' : 'Tutor mode is off'),
      ),
      lines,
      h('span', { class: 'muted small' }, 'lines a run'),
      toggle('Everyone follows me', modes.lecture.follow, (on) =>
        run(c.setLecture({ follow: on }), on ? 'Everyone follows you' : 'Follow ended'),
      ),
      toggle('Freeze code', modes.lecture.frozen, (on) =>
        run(c.setLecture({ frozen: on }), on ? 'Code frozen' : 'Code unfrozen'),
      ),
      who,
      h(
        'button',
        {
          class: 'btn small give-pen',
          type: 'button',
          disabled: who.options.length === 0,
          on: {
            click: () =>
              void run(c.givePen({ userId: who.value, seconds: 120 }), 'Pen handed over for 2 minutes'),
          },
        },
        'Give pen (2 min)',
      ),
      modes.lecture.pen &&
        h(
          'button',
          {
            class: 'btn small ghost',
            type: 'button',
            on: { click: () => void run(c.takePen(), 'Pen taken back') },
          },
          'Take pen back',
        ),
      h(
        'button',
        {
          class: 'btn small assignments-button',
          type: 'button',
          on: { click: () => this.deps.openAssignments() },
        },
        'Assignments',
      ),
    );
  }
}

function clock(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
