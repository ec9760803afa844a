/**
 * @module `autopilot serve`'s server: the dashboard and its JSON API,
 * listening on 127.0.0.1 only and addressed as http://localhost:PORT (WebAuthn
 * needs a domain), with a watcher that pushes every move of the ledger head to
 * the open pages and to the outbox dispatcher.
 */
import { wallChecks } from '../../engine/setup/doctor.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Actor, Engine } from '../../engine/context.ts';
import { OutboxDispatcher } from '../../engine/outbox/dispatcher.ts';
import { createApp } from './app.ts';
import { HeadWatcher } from './live.ts';
import type { DashboardContext } from './context.ts';
import { RegistrationCodes } from './registration.ts';
import type { SpanReader } from '../../ports/spans.ts';

export interface DashboardOptions {
  readonly engine: Engine;
  /** Reads the spans the sink wrote, for the task pages. */
  readonly spans: SpanReader;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log: (line: string) => void;
  /** How often the ledger head is read, milliseconds (default 50). */
  readonly pollMs?: number;
  /** Shows a new one-time registration code on the server's terminal (never on a page). */
  readonly printCode: (code: string, why: string) => void;
  /** Whether bubblewrap can raise the wall here (the composition root probes it); absent: not known. */
  readonly wallStatus?: () => { readonly available: boolean; readonly reason?: string };
  /**
   * Sends what the outbox holds, as this actor, whenever the ledger head moves and when a retry is due; absent: the
   * server sends nothing (a dashboard opened by a test or an embedding program decides that itself).
   */
  readonly dispatchAs?: Actor;
}

export interface DashboardHandle {
  /** `http://localhost:<port>/` */
  readonly url: string;
  readonly port: number;
  /** The registration code in force when the server started listening. */
  readonly registrationCode: { readonly code: string; readonly expires: string };
  /** Resolves when the server has closed and its dispatcher (if any) has recorded what it was sending. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port`; rejects when the port cannot be bound (EADDRINUSE, EACCES). */
export async function serveDashboard(opts: DashboardOptions): Promise<DashboardHandle> {
  // The head is one indexed row: reading it every 50 ms costs little, and a new entry reaches an open page within that.
  const watcher = new HeadWatcher(opts.engine, opts.pollMs ?? 50, opts.log);
  const ctx: DashboardContext = {
    engine: opts.engine,
    spans: opts.spans,
    watcher,
    port: opts.port,
    lastVerify: undefined,
    codes: new RegistrationCodes(() => opts.engine.clock.now().getTime(), opts.printCode),
    log: opts.log,
    // Which clients' commands run behind the wall, as doctor says it: read once, when the server starts.
    wall: opts.wallStatus
      ? wallChecks(opts.engine.layout.root, { codex: false, cursor: false }, { wallStatus: opts.wallStatus })
      : [],
  };
  const app = createApp(ctx);
  await watcher.start();
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: opts.port, hostname: '127.0.0.1' }) as Server;
      s.once('error', reject);
      s.once('listening', () => {
        s.off('error', reject);
        resolve(s);
      });
    });
  } catch (err) {
    watcher.stop();
    throw err;
  }
  ctx.port = (server.address() as AddressInfo).port;
  // The watcher that moves the pages tells the dispatcher too: a decision is sent as soon as it is in the ledger.
  const dispatcher = opts.dispatchAs
    ? new OutboxDispatcher(opts.engine, opts.dispatchAs, { log: opts.log })
    : undefined;
  if (dispatcher) {
    watcher.subscribe(() => dispatcher.poke());
    dispatcher.start();
  }
  server.on('error', (err) => opts.log(`server error: ${err.message}`));
  // Closed means done with the engine: a row the dispatcher is sending is recorded first, so the owner may close it.
  const closed = new Promise<void>((resolve) =>
    server.once('close', () => void (dispatcher?.stop() ?? Promise.resolve()).then(() => resolve())),
  );
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      watcher.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closed;
    })());
  return {
    url: `http://localhost:${ctx.port}/`,
    port: ctx.port,
    registrationCode: ctx.codes.current(),
    closed,
    close,
  };
}
