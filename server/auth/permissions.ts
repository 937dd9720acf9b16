import type { Permission, PublicUser, RoomPolicy } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';

/**
 * What a role may do in a room (DESIGN.md section 4). Owners and editors write, prompt, accept and
 * interrupt; the room policy can narrow accept and interrupt (a classroom where only the teacher accepts).
 * Viewers read and follow.
 */
export function can(user: PublicUser, permission: Permission, policy: RoomPolicy): boolean {
  switch (permission) {
    case 'manage':
      return user.role === 'owner';
    case 'write':
    case 'prompt':
      return user.role === 'owner' || user.role === 'editor';
    case 'accept':
      return policy.accept.includes(user.role);
    case 'interrupt':
      return policy.interrupt.includes(user.role);
  }
}

export function requirePermission(user: PublicUser, permission: Permission, policy: RoomPolicy): void {
  if (!can(user, permission, policy)) {
    throw new AppError('forbidden', `a ${user.role} may not ${permission} in this room`);
  }
}
