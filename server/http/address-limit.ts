import type { Context } from 'hono';
import type { RateLimit } from '../auth/rate-limiter.ts';
import { AppError } from '../errors.ts';
import { clientAddress } from './client-address.ts';

/** A per-client-address limit on one kind of request (room creation, joins). */
export interface AddressLimit {
  limiter: RateLimit;
  /** what is limited, for the message: "rooms created", "joins" */
  what: string;
}

/** Counts this request against its client's allowance; 429 with Retry-After once it is used up. */
export async function takeAddressSlot(
  c: Context,
  limit: AddressLimit,
  trustProxy: boolean,
  now: number,
): Promise<void> {
  const wait = await limit.limiter.take(clientAddress(c, trustProxy), now);
  if (wait === 0) return;
  const seconds = Math.ceil(wait / 1000);
  const { limit: n, windowMs } = limit.limiter.rule;
  throw new AppError(
    'rate_limited',
    `too many ${limit.what} from your address (${n} per ${describeWindow(windowMs)}): try again in ${seconds}s`,
    { retryAfterSeconds: seconds },
  );
}

function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'hour' : `${ms / 3_600_000} hours`;
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} minutes`;
  return `${Math.round(ms / 1000)}s`;
}
