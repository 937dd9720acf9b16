import { can as canDo, type Permission, type PublicUser, type RoomPolicy } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';

/** What a person may do in a room: the permission table of schema/protocol.ts (AUTH-4). */
export function can(user: PublicUser, permission: Permission, policy: RoomPolicy): boolean {
  return canDo(user.role, permission, policy);
}

const verbs: Record<Permission, string> = {
  manage: 'manage',
  write: 'write',
  prompt: 'prompt',
  accept: 'accept',
  interrupt: 'redirect Spark',
  stop: 'stop Spark',
  comment: 'comment on code',
  checkSpark: 'test the connection to Spark',
};

export function requirePermission(user: PublicUser, permission: Permission, policy: RoomPolicy): void {
  if (!can(user, permission, policy)) {
    const article = /^[aeiou]/.test(user.role) ? 'an' : 'a';
    throw new AppError('forbidden', `${article} ${user.role} may not ${verbs[permission]} in this room`);
  }
}
