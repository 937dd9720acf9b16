import type { Context, MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** A Host header that can stand in a CSP source: a name or address, an optional port; nothing else. */
const HOST_SOURCE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * WEB-20, WEB-21: the headers every response carries (hono's secureHeaders, configured).
 *
 * - Content-Security-Policy: scripts only from this origin (no inline script, no eval), connections only
 *   to this origin, its WebSockets included (ws: and wss: of the same host are named as well, since not
 *   every browser counts them as 'self'), no framing (frame-ancestors 'none'), no plugins, no <base>.
 *   Styles allow 'unsafe-inline': CodeMirror writes its themes into <style> elements at run time and
 *   the app sets colours in style attributes; a nonce would not cover attributes. Style injection cannot
 *   run code.
 * - X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer, X-Frame-Options: DENY (older browsers).
 * - No Strict-Transport-Security: the server speaks plain HTTP; HSTS belongs to the TLS proxy in front.
 */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'", sameHostSockets],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: 'no-referrer',
    xFrameOptions: 'DENY',
    strictTransportSecurity: false,
  });
}

/** ws: and wss: of the host the page was asked from; nothing for a Host that is not a plain host. */
function sameHostSockets(c: Context): string {
  const host = c.req.header('host');
  return host && HOST_SOURCE.test(host) ? `ws://${host} wss://${host}` : '';
}
