/**
 * @module A worker of the move torture: waits for the driver's go file, then
 * asks once to advance one task to one phase, as its own process, and prints
 * how that ended (`result {ok, code, reason, from, seq}`) before it exits.
 *
 * Usage: node move-worker.ts <repo> <holder> <taskId> <to> <go file> <delayMs>
 */
import { existsSync, writeSync } from 'node:fs';
import { openStoreFor } from '../../src/surfaces/compose.ts';
import { closeEngine, openEngine, type Actor } from '../../src/engine/context.ts';
import { advance } from '../../src/engine/task/advance.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';

const [repo, holder, taskId, to, go, delayArg] = process.argv.slice(2);
if (!repo || !holder || !taskId || !to || !go || !delayArg) {
  process.stderr.write('usage: move-worker.ts <repo> <holder> <taskId> <to> <go file> <delayMs>\n');
  process.exit(1);
}
const say = (kind: 'ready' | 'result', value: Record<string, unknown>) =>
  writeSync(1, `${kind} ${JSON.stringify(value)}\n`);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const e = await openEngine({
  runner: new ProcessRunner(),
  cwd: repo,
  // The store the repository's config names: its SQLite file, or a PostgreSQL database.
  openStore: openStoreFor,
});
const actor: Actor = { id: `cli:${holder}`, holder };
say('ready', { pid: process.pid });
while (!existsSync(go)) await pause(2);
await pause(Number(delayArg));
const r = await advance(e, actor, { taskId, to });
say(
  'result',
  r.ok
    ? { ok: true, seq: r.value.entry.seq, from: r.value.from, to: r.value.to }
    : {
        ok: false,
        code: r.error.code,
        reason: r.error.details['reason'] ?? null,
        from: r.error.details['from'] ?? null,
        message: r.error.message,
      },
);
await closeEngine(e);
