import { colorFor, type TokenClaims } from '../../../../schema/protocol.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import type { Participant } from '../editor/presence-state.ts';
import type { FollowController } from './follow-controller.ts';
import { peopleActions } from './people-actions.ts';
import { renderPeople } from './people-panel.ts';
import type { RoomSession } from './room-session.ts';

export interface PeopleSectionDeps {
  host: HTMLElement;
  client: SparkroomClient;
  session: RoomSession;
  me: TokenClaims;
  follow: () => FollowController;
  agentLabel(p: Participant): string;
}

/**
 * The People panel in the room: who is here (and who is not), whom this page follows, and an owner's
 * actions on people. `render` is called on every presence change.
 */
export function mountPeople(deps: PeopleSectionDeps): { render(): void; destroy(): void } {
  const { host, session, me } = deps;
  const { changeRole, removePerson } = peopleActions({
    client: deps.client,
    session,
    redraw: () => render(),
  });
  // Presence redraws the panel many times a second; an owner's open role picker must not vanish under them.
  let stale = false;
  const render = () => {
    const active = document.activeElement;
    if (active instanceof HTMLSelectElement && host.contains(active)) {
      stale = true;
      return;
    }
    stale = false;
    const follow = deps.follow();
    const { people, agents } = session.participants();
    renderPeople(
      host,
      {
        me: { id: me.sub, name: me.name, role: me.role, color: colorFor(me.sub) },
        people,
        agents,
        offline: session.info.members.filter((m) => m.id !== me.sub),
        following: follow.target,
        agentConfigured: session.info.agent.configured,
        agentLabel: deps.agentLabel,
        canManage: session.can('manage'),
      },
      {
        follow: (t) => follow.follow(t),
        stopFollowing: () => follow.stop(),
        setRole: changeRole,
        remove: removePerson,
      },
    );
  };
  const onBlur = () => {
    if (stale) queueMicrotask(render);
  };
  host.addEventListener('focusout', onBlur);
  return { render, destroy: () => host.removeEventListener('focusout', onBlur) };
}
