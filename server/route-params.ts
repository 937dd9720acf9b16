import { ROOM_ID_PATTERN } from '../schema/protocol.ts';
import { AppError } from './errors.ts';

/*
 * Parameters taken from a URL path, parsed one way for the REST routes (http/) and the WebSocket endpoint
 * (sync/). A value outside its alphabet cannot name anything, so it is a 404, never a 400 that would tell a
 * prober the shape of valid ids.
 */

/** Room ids are URL-safe (ROOM-1). */
export function roomIdParam(value: string | undefined): string {
  if (!value || !ROOM_ID_PATTERN.test(value)) throw new AppError('not_found', 'no such room');
  return value;
}

/** Server-made ids (runs, suggestions, checkpoints): URL-safe, at most 80 characters. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

export function idParam(value: string | undefined, what: string): string {
  if (!value || !ID_PATTERN.test(value)) throw new AppError('not_found', `no such ${what}`);
  return value;
}

/** A whole number query parameter (paging), or undefined when absent; anything else is a 400. */
export function intQuery(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new AppError('bad_request', `${name} must be a whole number`);
  return Number(value);
}
