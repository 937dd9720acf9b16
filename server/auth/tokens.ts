import { createHmac, timingSafeEqual } from 'node:crypto';
import { roles, type TokenClaims } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';

/**
 * Personal tokens: `base64url(JSON claims) "." base64url(HMAC-SHA256)`. A JWT library would add header
 * negotiation (alg confusion) we do not need; one fixed algorithm and a constant-time compare is the
 * whole job.
 */
export function signToken(claims: TokenClaims, secret: string): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(body, secret)}`;
}

/** Throws AppError('unauthorized') with the precise reason: malformed, forged, or expired. */
export function verifyToken(token: string, secret: string, nowMs: number): TokenClaims {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) throw new AppError('unauthorized', 'malformed token');
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(body, secret), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError('unauthorized', 'token signature is invalid');
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('unauthorized', 'malformed token');
  }
  if (!isClaims(claims)) throw new AppError('unauthorized', 'malformed token');
  if (claims.exp * 1000 <= nowMs) throw new AppError('unauthorized', 'token expired; join the room again');
  return claims;
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

function isClaims(v: unknown): v is TokenClaims {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c.sub === 'string' &&
    typeof c.room === 'string' &&
    typeof c.name === 'string' &&
    typeof c.exp === 'number' &&
    roles.includes(c.role as TokenClaims['role'])
  );
}
