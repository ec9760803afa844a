/**
 * @module A worker of the lease torture: contends for one task's lease with the
 * engine's lease operations and, while it believes it holds it, writes evidence
 * with its fencing token. Its clock runs `skewMs` ahead of the machine's, as a
 * process paused that long (or a host whose clock is off) would see time.
 * Prints an `ack` line for each committed write and a `note` for each refusal.
 *
 * Usage: node --import tsx test/torture/lease-worker.ts <repo> <holder> <seed> <durationMs> <skewMs> <taskId>
 */
import { existsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { closeEngine, openEngine, type Actor } from '../../src/engine/context.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { leaseOp } from '../../src/engine/task/leases.ts';
import { mulberry32 } from './random.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';

const [repo, holder, seedArg, durationArg, skewArg, taskId] = process.argv.slice(2);
if (!repo || !holder || !seedArg || !durationArg || !skewArg || !taskId) {
  process.stderr.write('usage: lease-worker.ts <repo> <holder> <seed> <durationMs> <skewMs> <taskId>\n');
  process.exit(1);
}
const random = mulberry32(Number(seedArg));
const skew = Number(skewArg);
const say = (kind: 'ready' | 'ack' | 'note', value: Record<string, unknown>) =>
  writeSync(1, `${kind} ${JSON.stringify(value)}\n`);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const e = await openEngine({
  runner: new ProcessRunner(),
  cwd: repo,
  openStore: async (layout) => new SqliteStore(layout.dbFile, { busyTimeoutMs: 60_000 }),
  clock: { now: () => new Date(Date.now() + skew) },
});
const actor: Actor = { id: holder, holder };
say('ready', { holder });
// All workers start contending at once: when the driver has seen every one ready and writes the go file.
while (!existsSync(join(repo, '.lease-torture-go'))) await pause(10);
const end = Date.now() + Number(durationArg);
let n = 0;
while (Date.now() < end) {
  const got = await leaseOp(e, actor, 'acquire', { taskId, ttlSeconds: 1 });
  if (!got.ok) {
    say('note', { op: 'acquire', code: got.error.code });
    await pause(30 + random() * 120);
    continue;
  }
  const token = got.value.lease.token;
  say('note', { op: 'acquire', change: got.value.change, token });
  for (let i = 0, k = 1 + Math.floor(random() * 3); i < k; i++) {
    // Now and then the holder stalls, long enough for its lease to run out.
    await pause(random() < 0.4 ? 1100 + random() * 500 : random() * 30);
    const content = Buffer.from(`# Strategy\n\nwritten by ${holder} with token ${token}, write ${++n}\n`);
    const r = await putEvidence(e, actor, { taskId, phase: 'STRATEGIZE', name: 'strategy.md', content, token });
    if (r.ok) say('ack', { op: 'work', seq: r.value.entry.seq, hash: r.value.entry.hash, token, holder });
    else say('note', { op: 'work', code: r.error.code, token, current: r.error.details['current'] ?? null });
  }
  if (random() < 0.5) {
    const r = await leaseOp(e, actor, 'release', { taskId, token });
    say('note', { op: 'release', ok: r.ok, ...(r.ok ? {} : { code: r.error.code }) });
  }
  // Give the others a turn before asking again.
  await pause(100 + random() * 300);
}
await closeEngine(e);
