/** @module What the dashboard's routes share: the engine, the head watcher, the port and the last full verification. */
import { basename } from 'node:path';
import type { Engine } from '../../engine/context.ts';
import type { LedgerReport } from '../../engine/ledger/verify.ts';
import type { HeadWatcher } from './live.ts';
import type { RegistrationCodes } from './registration.ts';
import type { SpanReader } from '../../ports/spans.ts';
import { waitingCount } from './read/tasks.ts';
import { page, type Section } from './views/layout.ts';
import type { Html } from './views/html.ts';

export interface DashboardContext {
  readonly engine: Engine;
  readonly watcher: HeadWatcher;
  /** Where the task pages read spans from (the composition root picks the reader). */
  readonly spans: SpanReader;
  /** The port the server listens on (known once it listens). */
  port: number;
  /** The last `verify` run from the dashboard. */
  lastVerify: { at: string; report: LedgerReport } | undefined;
  /** The one-time code that lets a person register a passkey. */
  readonly codes: RegistrationCodes;
  readonly log: (line: string) => void;
  /** doctor's wall lines: which clients' shell commands run behind the wall, and which have none. */
  readonly wall: readonly { readonly id: string; readonly status: string; readonly message: string }[];
  /** The waiting count of the last page and the ledger head it was read at (see `renderPage`). */
  waiting?: { readonly head: number; readonly n: number };
}

/** Renders a whole page around `body`, with the head and the waiting count read now. */
export async function renderPage(ctx: DashboardContext, section: Section, title: string, body: Html): Promise<string> {
  const head = (await ctx.engine.store.head())?.seq ?? 0;
  // Tasks change only with a new ledger entry: the count read at this head still holds, without a read of every
  // active task's approvals for each page.
  if (ctx.waiting?.head !== head) ctx.waiting = { head, n: await waitingCount(ctx.engine) };
  return page({
    title,
    section,
    repo: basename(ctx.engine.layout.root),
    head,
    waiting: ctx.waiting.n,
    body,
  }).value;
}
