/**
 * @module A child process for the PostgreSQL multi-process test. It files its
 * key, waits for the other workers, then for each round appends to its own task
 * and contends for the lease on the shared task through the engine: acquire
 * (retrying while it is held), work steps each checked against the fence in
 * their own transaction, release. With role `stall`, its first hold stalls
 * past the lease's expiry until another worker has taken the lease over, and
 * then it tries to work on with its old token; with role `follow`, it waits
 * for that first hold before it contends, so that the takeover is certain.
 * Prints what it did as JSON.
 *
 * Usage: node --import tsx test/conformance/postgres-worker.ts <url> <name> <workers> <rounds> <ttl-seconds> <stall|follow>
 */
import { PostgresStore } from '../../src/adapters/postgres/index.ts';
import { defaultConfig } from '../../src/core/config.ts';
import { ErrorCode, type Result } from '../../src/core/errors.ts';
import type { Lease } from '../../src/core/lease.ts';
import { guardLease, leaseOp } from '../../src/engine/task/leases.ts';
import { append } from '../../src/engine/ledger/record.ts';
import type { Actor, Engine } from '../../src/engine/context.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { draft, makeSigner, testEngine } from '../helpers/ledger.ts';

export const SHARED_TASK = 'T-shared';
const STEPS = 3;
const OWN_PER_ROUND = 3;

const [url, name, together, roundsArg, ttlArg, role] = process.argv.slice(2);
const workers = Number(together);
const rounds = Number(roundsArg);
const ttlSeconds = Number(ttlArg);
if (
  !url ||
  !name ||
  !(workers >= 1) ||
  !(rounds >= 1) ||
  !(ttlSeconds > 0) ||
  (role !== 'stall' && role !== 'follow')
) {
  process.stderr.write('usage: postgres-worker.ts <url> <name> <workers> <rounds> <ttl-seconds> <stall|follow>\n');
  process.exit(1);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const store = await PostgresStore.open(url);
const signer = makeSigner();
await store.putKey(signer.keyId, signer.publicKeyPem);
const deadline = Date.now() + 30_000;
while ((await store.keys()).size < workers) {
  if (Date.now() > deadline) throw new Error(`only ${(await store.keys()).size} of ${workers} workers started`);
  await sleep(10);
}

const base = testEngine(store, signer, systemClock);
const engine: Engine = { ...base, config: { ...defaultConfig(), leases: { mode: 'explicit', ttlSeconds } } };
const actor: Actor = { id: name, holder: name };
const own = `T-${name}`;

/** One unit of work on the shared task, in its own transaction, refused unless `token` is the live lease's. */
function work(token: number, step: number): Promise<Result<Lease | null>> {
  return store.transact(async (tx) => {
    const state = await tx.getTask(SHARED_TASK);
    if (!state) throw new Error(`no task ${SHARED_TASK}`);
    const fence = await guardLease(engine, tx, state, actor, 'work', token, Date.now());
    if (fence.ok)
      await append(engine, tx, draft({ taskId: SHARED_TASK, actor: name, data: { holder: name, token, step } }));
    return fence;
  });
}

const report = {
  keyId: signer.keyId,
  publicKeyPem: signer.publicKeyPem,
  own: 0,
  held: 0,
  worked: 0,
  contended: 0,
  stale: null as string | null,
};
try {
  await store.transact((tx) =>
    append(
      engine,
      tx,
      draft({ taskId: own, kind: 'task_started', toPhase: 'STRATEGIZE', actor: name, data: { title: name } }),
    ),
  );
  report.own++;
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < OWN_PER_ROUND; k++) {
      await store.transact((tx) => append(engine, tx, draft({ taskId: own, actor: name, data: { round, k } })));
      report.own++;
    }
    // Deadlines: a worker that waits for a peer that died fails instead of hanging.
    const until = Date.now() + 40_000;
    if (role === 'follow' && round === 0) {
      while (!(await store.getLease(SHARED_TASK))) {
        if (Date.now() > until) throw new Error('the stalling worker never took the lease');
        await sleep(10);
      }
    }
    let token: number;
    for (;;) {
      if (Date.now() > until) throw new Error('the lease was never free');
      const r = await leaseOp(engine, actor, 'acquire', { taskId: SHARED_TASK });
      if (r.ok) {
        token = r.value.lease.token;
        break;
      }
      if (r.error.code !== ErrorCode.LEASE_HELD) throw new Error(`acquire: ${r.error.code} ${r.error.message}`);
      report.contended++;
      await sleep(15 + Math.random() * 25);
    }
    report.held++;
    for (let step = 0; step < STEPS; step++) {
      const r = await work(token, step);
      if (!r.ok) throw new Error(`a holder was refused its own work: ${r.error.code} ${r.error.message}`);
      report.worked++;
    }
    if (role === 'stall' && round === 0) {
      // Paused while holding the lease until another holder has taken it over: when it wakes, its token must no longer count.
      while ((await store.getLease(SHARED_TASK))?.token === token) {
        if (Date.now() > until) throw new Error('nobody took the lease over from the stalled holder');
        await sleep(20);
      }
      const late = await work(token, STEPS);
      report.stale = late.ok ? 'accepted' : late.error.code;
      continue;
    }
    const r = await leaseOp(engine, actor, 'release', { taskId: SHARED_TASK, token });
    if (!r.ok) throw new Error(`release: ${r.error.code} ${r.error.message}`);
  }
} finally {
  await store.close();
}
process.stdout.write(`${JSON.stringify(report)}\n`);
