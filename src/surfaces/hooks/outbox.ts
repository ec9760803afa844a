/**
 * @module The hook daemon's outbox dispatcher: on an engine of its own (the hooks' engine answers one request at a
 * time, and a push or a forge request must not hold a hook up), it sends what a ledger entry decided, whichever
 * process wrote the entry.
 */
import { userInfo } from 'node:os';
import { closeEngine, openEngine, type Engine } from '../../engine/context.ts';
import { OutboxDispatcher } from '../../engine/outbox/dispatcher.ts';
import { forgeFor, openStoreFor, runnerFor, sinkFor } from '../compose.ts';

/** What the daemon holds while it dispatches; `stop` waits for a send under way and closes the engine. */
export interface DaemonDispatcher {
  stop(): Promise<void>;
}

/** How often the daemon reads the ledger head for new decisions. */
const HEAD_POLL_MS = 1_000;
/** How long the daemon waits before opening the engine again when it could not (no store yet, a broken config). */
const REOPEN_MS = 60_000;

/** Starts dispatching for the repository at `root`; the engine is opened again later when it cannot be now. */
export function startDaemonDispatcher(root: string): DaemonDispatcher {
  let engine: Engine | undefined;
  let dispatcher: OutboxDispatcher | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const open = async () => {
    try {
      const e = await openEngine({
        cwd: root,
        openStore: openStoreFor,
        makeSink: sinkFor,
        makeRunner: runnerFor,
        openForge: forgeFor,
      });
      if (stopped) return void (await closeEngine(e).catch(() => {}));
      engine = e;
      dispatcher = new OutboxDispatcher(e, { id: `hook-daemon:${userName()}` }, { headPollMs: HEAD_POLL_MS });
      dispatcher.start();
    } catch {
      // Nothing to dispatch from yet (the store is not made, the config does not load): hooks say why; look later.
      if (!stopped) (retry = setTimeout(() => void open(), REOPEN_MS)).unref();
    }
  };
  const opening = open();
  let stopping: Promise<void> | undefined;
  return {
    // The daemon may be told to leave more than once (a shutdown and a stale hook at the same time): one stop.
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        await opening;
        await dispatcher?.stop();
        if (engine) await closeEngine(engine).catch(() => {});
      })()),
  };
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
