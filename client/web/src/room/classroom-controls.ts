import { type RoomModes, TUTOR_MAX_LINES, TUTOR_MIN_LINES } from '../../../../schema/protocol.ts';
import type { ClassroomClient } from '../../../sdk/classroom-client.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';

/**
 * The owner's classroom switches (CLASS-2, CLASS-10, CLASS-12, CLASS-20): tutor mode and its lines, everyone
 * follows me, freeze, give and take the pen, Assignments. Built once and updated in place: the modes and the
 * people change while the owner is using them (a student arrives, a co-owner flips a mode), and drawing
 * them again would close an open picker, reset its choice, drop a half-typed number or move the focus
 * (WEB-71).
 */
export class ClassroomControls {
  readonly root = h('div', { class: 'mode-controls', hidden: true });
  private readonly tutor: HTMLInputElement;
  private readonly lines: HTMLInputElement;
  private readonly follow: HTMLInputElement;
  private readonly freeze: HTMLInputElement;
  private readonly who: HTMLSelectElement;
  private readonly givePen: HTMLButtonElement;
  private readonly takePen: HTMLButtonElement;
  /** the people in the picker, as last drawn */
  private people = '';

  constructor(classroom: ClassroomClient, openAssignments: () => void) {
    const c = classroom;
    const run = (p: Promise<unknown>, done: string) =>
      p.then(
        () => toast(done, 'success'),
        (err: unknown) => toast(describeError(err, 'room'), 'error'),
      );
    const check = (label: string, onChange: (on: boolean) => void) =>
      h('input', {
        type: 'checkbox',
        'aria-label': label,
        on: { change: (e) => onChange((e.target as HTMLInputElement).checked) },
      });
    this.tutor = check('Tutor mode', (on) =>
      run(c.setTutor({ enabled: on }), on ? 'Tutor mode is on' : 'Tutor mode is off'),
    );
    this.lines = h('input', {
      type: 'number',
      class: 'tutor-lines',
      min: String(TUTOR_MIN_LINES),
      max: String(TUTOR_MAX_LINES),
      'aria-label': 'Lines one Spark run may change',
      on: {
        change: () =>
          void run(c.setTutor({ maxChangedLines: Number(this.lines.value) }), 'Tutor limit saved'),
      },
    });
    this.follow = check('Everyone follows me', (on) =>
      run(c.setLecture({ follow: on }), on ? 'Everyone follows you' : 'Follow ended'),
    );
    this.freeze = check('Freeze code', (on) =>
      run(c.setLecture({ frozen: on }), on ? 'Code frozen' : 'Code unfrozen'),
    );
    this.who = h('select', { class: 'pen-person', 'aria-label': 'Hand the pen to' });
    this.givePen = h(
      'button',
      {
        class: 'btn small give-pen',
        type: 'button',
        on: {
          click: () =>
            void run(c.givePen({ userId: this.who.value, seconds: 120 }), 'Pen handed over for 2 minutes'),
        },
      },
      'Give pen (2 min)',
    );
    this.takePen = h(
      'button',
      {
        class: 'btn small ghost take-pen',
        type: 'button',
        hidden: true,
        on: { click: () => void run(c.takePen(), 'Pen taken back') },
      },
      'Take pen back',
    );
    const labelled = (input: HTMLInputElement, label: string) =>
      h('label', { class: 'check' }, input, ` ${label}`);
    mount(
      this.root,
      labelled(this.tutor, 'Tutor mode'),
      this.lines,
      h('span', { class: 'muted small' }, 'lines a run'),
      labelled(this.follow, 'Everyone follows me'),
      labelled(this.freeze, 'Freeze code'),
      this.who,
      this.givePen,
      this.takePen,
      h(
        'button',
        { class: 'btn small assignments-button', type: 'button', on: { click: () => openAssignments() } },
        'Assignments',
      ),
    );
  }

  /** Shows the modes as they are now (on a change of the modes only: a click waits for its answer). */
  showModes(modes: RoomModes): void {
    this.tutor.checked = modes.tutor.enabled;
    // A number the owner is typing is theirs until they leave the field (it is saved on change).
    if (document.activeElement !== this.lines) this.lines.value = String(modes.tutor.maxChangedLines);
    this.follow.checked = modes.lecture.follow;
    this.freeze.checked = modes.lecture.frozen;
    this.takePen.hidden = modes.lecture.pen === null;
  }

  /** The people one may hand the pen to; the one the owner picked stays picked (WEB-71). */
  showPeople(people: { id: string; name: string }[]): void {
    const drawn = JSON.stringify(people);
    if (drawn !== this.people) {
      this.people = drawn;
      const chosen = this.who.value;
      mount(this.who, ...people.map((m) => h('option', { value: m.id }, m.name)));
      if (people.some((m) => m.id === chosen)) this.who.value = chosen;
    }
    this.givePen.disabled = people.length === 0;
  }
}
