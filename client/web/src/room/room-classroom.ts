import { type JoinResponse, penAt, type TokenClaims } from '../../../../schema/protocol.ts';
import { ClassroomClient } from '../../../sdk/classroom-client.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { h } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';
import { openAssignmentsDialog } from './assignments-dialog.ts';
import { ClassroomBar } from './classroom-bar.ts';
import type { FollowController } from './follow-controller.ts';
import type { RoomSession } from './room-session.ts';
import type { RoomLayout } from './room-view.ts';

export interface RoomClassroomDeps {
  layout: RoomLayout;
  client: SparkroomClient;
  session: RoomSession;
  me: TokenClaims;
  /** may this person change code now */
  canWrite(): boolean;
  /** the room page's follow controller (made after this, so asked for when needed) */
  follow(): FollowController;
  /** opens another room with a token (a teacher opening a student's copy, CLASS-24) */
  openRoom?: (join: JoinResponse, hash: string) => void;
}

/** The room page's classroom side (CLASS): the modes bar, assignments, following the lecture's leader. */
export interface RoomClassroom {
  bar: ClassroomBar;
  /** follows the lecture's leader, or the person the page was opened to follow, when not following yet */
  autoFollow(): void;
  /** CLASS-10: while the owner leads, a viewer cannot stop following them */
  followLocked(): boolean;
  /** this person stopped following the lecture's leader (an editor may): not pulled back until it ends */
  optOut(): void;
  /** WEB-76: tells the pen's holder once when it went back */
  penOver(): void;
}

export function mountClassroom(deps: RoomClassroomDeps): RoomClassroom {
  const { layout, session, me } = deps;
  const leaderId = () => {
    const l = session.modes.lecture;
    return l.follow && l.leader && l.leader.id !== me.sub ? l.leader.id : null;
  };
  const followLocked = (): boolean =>
    me.role === 'viewer' && leaderId() !== null && deps.follow().target !== null;
  /** whom this page should follow by itself: the lecture's leader, or a student the teacher asked for */
  let followUserWanted = new URLSearchParams(location.hash.slice(1)).get('follow');
  /** the lecture's leader this person stopped following (editors may); null again when the lecture ends */
  let optedOutOf: string | null = null;
  const autoFollow = () => {
    const follow = deps.follow();
    const leader = leaderId();
    if (leader !== optedOutOf) optedOutOf = null;
    const wanted = (leader !== optedOutOf ? leader : null) ?? followUserWanted;
    if (!wanted || follow.target) return;
    const person = session.participants().people.find((p) => p.user.id === wanted);
    if (!person) return;
    if (wanted === followUserWanted) followUserWanted = null;
    follow.follow({ kind: 'person', clientId: person.clientId, name: person.user.name });
  };
  const classroom = new ClassroomClient('', session.info.id, deps.client.token);
  const barHost = h('div', { class: 'classroom-bar', hidden: true });
  layout.readOnlyNotice.before(barHost);
  const bar = new ClassroomBar({
    host: barHost,
    toggle: layout.classroomButton,
    phoneToggle: layout.classroomPhoneButton,
    classroom,
    me: { id: me.sub },
    modes: () => session.modes,
    canManage: session.can('manage'),
    members: () => {
      // Members as last read, and whoever is online now (people who joined since the page opened).
      const byId = new Map(session.info.members.map((m) => [m.id, m.name]));
      for (const p of session.participants().people) byId.set(p.user.id, p.user.name);
      return [...byId].map(([id, name]) => ({ id, name }));
    },
    openAssignments: () =>
      openAssignmentsDialog(
        classroom,
        location.origin,
        (join, followUser) =>
          deps.openRoom?.(join, followUser ? `#follow=${encodeURIComponent(followUser)}` : ''),
        (count) => bar.assignmentsChanged(count),
      ),
  });
  // WEB-76: the holder is told when the pen went back (its time ran out, or the owner took it), once.
  let heldPen = penAt(session.modes.lecture, Date.now())?.userId === me.sub;
  const penOver = () => {
    const holds = penAt(session.modes.lecture, Date.now())?.userId === me.sub;
    if (heldPen && !holds && !deps.canWrite())
      toast('Your turn with the pen is over: the code is read-only again. What you wrote stays.', 'info');
    heldPen = holds;
  };
  return {
    bar,
    autoFollow,
    followLocked,
    optOut: () => {
      optedOutOf = leaderId();
    },
    penOver,
  };
}
