/**
 * @module What every request passes before a route sees it: the Host must be
 * this server's own (no DNS rebinding), only GET, HEAD and POST are served, and
 * a POST must come from the dashboard's own origin (no cross-site requests).
 * A person's decision is proven by its passkey assertion, checked by the engine.
 */
import type { MiddlewareHandler } from 'hono';

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function allowedOrigins(port: number): string[] {
  return allowedHosts(port).map((h) => `http://${h}`);
}

function refused(status: 403 | 405, code: string, message: string): Response {
  return new Response(JSON.stringify({ ok: false, error: { code, message, details: {} } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** The checks, for a server listening on `port()`. */
export function requestGuard(port: () => number): MiddlewareHandler {
  return async (c, next) => {
    const host = (c.req.header('host') ?? '').toLowerCase();
    if (!allowedHosts(port()).includes(host)) {
      return refused(403, 'HOST_REFUSED', `this dashboard answers to ${allowedHosts(port()).join(' or ')} only`);
    }
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST')
      return refused(405, 'METHOD_REFUSED', 'only GET, HEAD and POST are served');
    if (method === 'POST') {
      const origin = c.req.header('origin');
      if (origin !== undefined && !allowedOrigins(port()).includes(origin)) {
        return refused(403, 'ORIGIN_REFUSED', 'a change must come from the dashboard itself, not from another site');
      }
      const site = c.req.header('sec-fetch-site');
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        return refused(403, 'ORIGIN_REFUSED', 'a change must come from the dashboard itself, not from another site');
      }
    }
    await next();
    const h = c.res.headers;
    h.set('x-content-type-options', 'nosniff');
    h.set('x-frame-options', 'DENY');
    h.set('referrer-policy', 'no-referrer');
    h.set('cross-origin-opener-policy', 'same-origin');
    h.set('cross-origin-resource-policy', 'same-origin');
    if (!h.has('content-security-policy')) {
      h.set(
        'content-security-policy',
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
    }
    if (!h.has('cache-control')) h.set('cache-control', 'no-store');
  };
}
