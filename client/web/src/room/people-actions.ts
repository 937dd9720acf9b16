import type { Role } from '../../../../schema/protocol.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { describeError } from '../ui/describe-error.ts';
import { toast } from '../ui/toast.ts';
import type { PersonRef } from './people-panel.ts';
import type { RoomSession } from './room-session.ts';

/**
 * What an owner does to people from the People panel: change a role, remove someone (after a
 * confirmation that says what it means). Each says how it went; `redraw` puts the panel back as it is
 * when a change was refused.
 */
export function peopleActions(deps: { client: SparkroomClient; session: RoomSession; redraw(): void }): {
  changeRole(person: PersonRef, role: Role): void;
  removePerson(person: PersonRef): void;
} {
  const { client, session } = deps;
  const refreshPeople = () => {
    session.refreshInfo().catch(() => undefined);
  };
  return {
    changeRole(person, role) {
      client.changeRole(person.id, role).then(
        () => {
          toast(`${person.name} is now ${role === 'viewer' ? 'a' : 'an'} ${role}`, 'success');
          refreshPeople();
        },
        (err: unknown) => {
          toast(describeError(err, 'room'), 'error');
          deps.redraw(); // puts the picker back on the role they still have
        },
      );
    },
    removePerson(person) {
      if (
        !confirm(
          `Remove ${person.name} from the room? They are disconnected at once and can no longer open it.`,
        )
      )
        return;
      client.removePerson(person.id).then(
        () => {
          toast(
            `${person.name} was removed. Anyone with the ${person.role} invite link can still join: revoke it in Share to keep them out.`,
            'success',
          );
          refreshPeople();
        },
        (err: unknown) => toast(describeError(err, 'room'), 'error'),
      );
    },
  };
}
