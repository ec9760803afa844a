/**
 * @module A child process for the multi-process test: opens the SQLite store
 * given on the command line and appends `n` entries, each in its own
 * transaction, sealed by the engine's `append`. Prints what it wrote as JSON.
 *
 * Usage: node --import tsx test/conformance/append-worker.ts <dbfile> <n> [actor] [workers]
 *
 * With `workers`, it files its public key and waits until that many keys are
 * in the store before appending, so that all the workers append at once.
 * After each entry it gives the others up to 20 ms to append one of theirs.
 */
import { SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { draft, makeSigner, testEngine } from '../helpers/ledger.ts';

const [file, count, actor = `worker-${process.pid}`, together = '1'] = process.argv.slice(2);
const n = Number(count);
const workers = Number(together);
if (!file || !Number.isInteger(n) || n < 1 || !Number.isInteger(workers) || workers < 1) {
  process.stderr.write('usage: append-worker.ts <dbfile> <n> [actor] [workers]\n');
  process.exit(1);
}

const store = new SqliteStore(file, { busyTimeoutMs: 30_000 });
const signer = makeSigner();
await store.putKey(signer.keyId, signer.publicKeyPem);
const deadline = Date.now() + 20_000;
while ((await store.keys()).size < workers) {
  if (Date.now() > deadline) throw new Error(`only ${(await store.keys()).size} of ${workers} workers started`);
  await new Promise((r) => setTimeout(r, 5));
}
const engine = testEngine(store, signer, systemClock);
const taskId = `T-${actor.replace(/^worker-/, '')}`;
const seqs: number[] = [];
try {
  for (let i = 0; i < n; i++) {
    const entry = await store.transact((tx) =>
      append(
        engine,
        tx,
        i === 0
          ? draft({ taskId, kind: 'task_started', toPhase: 'STRATEGIZE', actor, data: { title: actor } })
          : draft({ taskId, actor, data: { i } }),
      ),
    );
    seqs.push(entry.seq);
    // SQLite's busy handler sleeps while the holder takes the lock again at
    // once, so a process can write its whole run alone. Wait a little for
    // another process to append before the next entry, so that they race for
    // every slot instead of taking turns by the run.
    const waitUntil = Date.now() + 20;
    while (i < n - 1 && Date.now() < waitUntil && ((await store.head())?.seq ?? 0) <= entry.seq)
      await new Promise((r) => setTimeout(r, 1));
  }
} finally {
  await store.close();
}
process.stdout.write(`${JSON.stringify({ keyId: signer.keyId, publicKeyPem: signer.publicKeyPem, seqs })}\n`);
