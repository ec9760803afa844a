/**
 * @module Progress of long tool calls: when the client asked for progress (a
 * `progressToken` in the call's `_meta`), every evidence command the call runs
 * is reported as it starts and ends, with a heartbeat while it runs, so that a
 * client that resets its timeout on progress never gives up on a long VERIFY.
 */
import { basename } from 'node:path';
import type { CommandRunner, RunRequest, RunResult } from '../../ports/runner.ts';
import type { Engine } from '../../engine/context.ts';

/** What a progress notification carries, as `notifications/progress` takes it. */
export interface ProgressUpdate {
  readonly progress: number;
  readonly message: string;
}

/** How often a running command is reported as still running. */
export const HEARTBEAT_MS = 10_000;

/** `engine` with its runner reporting each command to `report`; reports that fail are dropped (progress never fails a call). */
export function withProgress(
  engine: Engine,
  report: (u: ProgressUpdate) => Promise<void>,
  heartbeatMs = HEARTBEAT_MS,
): Engine {
  let progress = 0;
  const send = (message: string) => void report({ progress: ++progress, message }).catch(() => {});
  const inner = engine.runner;
  const runner: CommandRunner = {
    async run(req: RunRequest): Promise<RunResult> {
      const what = describe(req.argv);
      const started = Date.now();
      send(`running ${what}`);
      const timer = setInterval(
        () => send(`still running ${what} (${Math.round((Date.now() - started) / 1000)} s)`),
        heartbeatMs,
      );
      try {
        const r = await inner.run(req);
        send(
          `${what}: ${r.timedOut ? 'timed out' : r.spawnError ? 'could not start' : `exit ${r.exitCode ?? r.signal ?? '?'}`} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        return r;
      } finally {
        clearInterval(timer);
      }
    },
    ...(inner.release ? { release: (r: RunResult) => inner.release!(r) } : {}),
  };
  return { ...engine, runner };
}

/** The command in a few words: the program's name and its first arguments. */
function describe(argv: readonly string[]): string {
  const [program = '?', ...args] = argv;
  const shown = [basename(program), ...args.slice(0, 3)].join(' ');
  return args.length > 3 ? `${shown} …` : shown;
}
