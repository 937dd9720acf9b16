/**
 * WEB-22: may a page from `origin` open this server's sockets? Yes when it is served by this very host
 * (the Origin's host:port equals the request's Host, whatever the scheme, so a TLS-terminating proxy that
 * keeps Host works), or when it is in `allowed` (SPARKROOM_ALLOWED_ORIGINS, for a proxy that rewrites
 * Host). A request without Origin is not from a browser page (a Node client, a CLI) and is not checked
 * here: tokens protect it. An opaque origin ("null": sandboxed frames, file:) is refused.
 */
export function originAllowed(origin: string, host: string | undefined, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (allowed.includes(url.origin)) return true;
  return host !== undefined && url.host === host.toLowerCase();
}
