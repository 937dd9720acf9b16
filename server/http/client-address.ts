import { isIP } from 'node:net';
import type { Context } from 'hono';

/** Who a request forwarded by another node really came from (SAFE-126), set only for proven forwards. */
export interface ForwardedFrom {
  /** the client's address as the first node saw it (its own clientAddress) */
  address: string;
  /** the id of the node that forwarded it */
  node: string;
}

/** The context variable server/cluster/ sets on a request another node forwarded with the shared proof. */
export const FORWARDED_FROM = 'sparkroomForwardedFrom';

export function forwardedFrom(c: Context): ForwardedFrom | undefined {
  return (c.var as Record<string, unknown>)[FORWARDED_FROM] as ForwardedFrom | undefined;
}

/**
 * The address a request came from, as the key of the per-address limits (SAFE-42, SAFE-44). A request
 * another node forwarded (CLUSTER-12) keeps the address that node saw, not the relay's loopback (SAFE-126).
 * With `trustProxy` (SPARKROOM_TRUST_PROXY, for a server behind one reverse proxy) it is the last address
 * in X-Forwarded-For, the one that proxy appended; otherwise the socket's peer. 'unknown' when neither is
 * known (a request made in-process).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  const forwarded = forwardedFrom(c);
  if (forwarded) return forwarded.address;
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
    if (forwarded && isIP(forwarded)) return addressKey(forwarded);
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const peer = env?.incoming?.socket?.remoteAddress;
  return peer ? addressKey(peer) : 'unknown';
}

/**
 * One key per client: an IPv4 address as is (also when written IPv4-mapped, ::ffff:a.b.c.d), an IPv6
 * address by its /64 prefix, because one subscriber usually gets a whole /64 and could otherwise mint
 * addresses without bound.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
