/** @module The dashboard's Hono application: the request guard, the pages, the JSON API, live events and the script. */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChainHead } from '../../core/ledger.ts';
import { requestGuard } from './guard.ts';
import { mountPages } from './pages.ts';
import { mountApi } from './api.ts';
import { renderPage, type DashboardContext } from './context.ts';
import { appCss, clientJs, webauthnBrowserJs } from './assets.ts';
import { mountPasskeys } from './passkeys.ts';
import { errorBody } from './views/layout.ts';

const headData = (h: ChainHead | null) => JSON.stringify({ seq: h?.seq ?? 0, hash: h?.hash ?? null });

/** Builds the application for a context; the server listens with it. */
export function createApp(ctx: DashboardContext): Hono {
  const app = new Hono();
  app.use(
    '*',
    requestGuard(() => ctx.port),
  );

  // Read at start, so that a copy missing them fails here rather than at the first page.
  appCss();
  const client = clientJs();
  app.get('/assets/app.js', (c) =>
    c.body(client, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }),
  );
  // @simplewebauthn/browser's own bundle, from the installed package: the page loads nothing from the network.
  const webauthn = webauthnBrowserJs();
  app.get('/assets/webauthn.js', (c) =>
    c.body(webauthn, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }),
  );
  app.get('/favicon.ico', (c) => c.body(null, 204));

  // Live updates: the head now, then every move of it, and a comment now and then to keep proxies from closing the stream.
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      let wake = () => {};
      const ended = new Promise<void>((resolve) => (wake = resolve));
      const send = (h: ChainHead | null) =>
        void stream.writeSSE({ event: 'head', data: headData(h) }).catch(() => wake());
      const off = ctx.watcher.subscribe(send);
      const offStop = ctx.watcher.onStop(() => wake());
      stream.onAbort(() => wake());
      const ping = setInterval(() => void stream.writeSSE({ event: 'ping', data: '' }).catch(() => wake()), 20_000);
      try {
        await stream.writeSSE({ event: 'head', data: headData(ctx.watcher.head), retry: 2000 });
        await ended;
      } finally {
        clearInterval(ping);
        off();
        offStop();
      }
    }),
  );

  mountApi(app, ctx);
  mountPasskeys(app, ctx);
  mountPages(app, ctx);

  app.notFound(async (c) => {
    if (c.req.path.startsWith('/api/'))
      return c.json(
        { ok: false, error: { code: 'USAGE', message: `no API route ${c.req.method} ${c.req.path}`, details: {} } },
        404,
      );
    return c.html(
      await renderPage(ctx, 'tasks', 'Not found', errorBody('Not found', `Nothing lives at ${c.req.path}.`)),
      404,
    );
  });
  app.onError(async (err, c) => {
    ctx.log(`${c.req.method} ${c.req.path} failed: ${err.stack ?? err.message}`);
    if (c.req.path.startsWith('/api/'))
      return c.json(
        { ok: false, error: { code: 'INTERNAL', message: `internal error: ${err.message}`, details: {} } },
        500,
      );
    return c.html(errorBody('Something went wrong', err.message).value, 500);
  });
  return app;
}
