/**
 * Concurrency torture: many processes contend for one task's lease with the
 * engine's lease operations (explicit leases of one second, clocks skewed as
 * far as several lease lengths, holders that stall past their lease) and write
 * evidence with their fencing tokens. The ledger must prove that at every
 * moment at most one holder wrote: tokens only grow when the lease changes
 * hands, and every write lies in the epoch of its writer's token, while that
 * epoch is held. AUTOPILOT_TORTURE=long contends longer.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startTask } from '../../src/engine/task/start.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import { makeRepo } from '../e2e/helpers.ts';
import { assertStoreInvariants, closeEngine, openRepoEngine, startWorker, type Ack } from './harness.ts';
import { LONG, seedsFor, withSeed } from './random.ts';

const WORKERS = LONG ? 10 : 6;
const DURATION_MS = LONG ? 60_000 : 8_000;
const TASK = 'T-LEASE';

interface Epoch {
  readonly holder: string;
  readonly token: number;
  live: boolean;
}

/**
 * Walks the task's entries in ledger order and returns the epoch each write
 * (evidence entry) fell in, failing at the first entry that breaks the rules.
 */
function proveSingleHolder(entries: readonly LedgerEntry[]): Map<number, Epoch> {
  let epoch = null as Epoch | null;
  let maxToken = 0;
  const writes = new Map<number, Epoch>();
  for (const x of entries) {
    if (x.kind === 'lease') {
      const d = x.data as { change: string; holder: string | null; token: number; previousHolder?: string };
      switch (d.change) {
        case 'acquired':
        case 'takeover':
          assert.ok(
            d.token > maxToken,
            `entry ${x.seq}: a lease that changes hands gets a larger token (${d.token} after ${maxToken})`,
          );
          if (d.change === 'takeover')
            assert.equal(
              d.previousHolder,
              epoch?.holder,
              `entry ${x.seq}: a takeover names the holder it took over from`,
            );
          epoch = { holder: String(d.holder), token: d.token, live: true };
          maxToken = d.token;
          break;
        case 'reclaimed':
          assert.equal(d.holder, epoch?.holder, `entry ${x.seq}: only the holder reclaims`);
          assert.equal(d.token, epoch?.token, `entry ${x.seq}: a reclaim keeps the token`);
          epoch!.live = true;
          break;
        case 'released':
          assert.equal(d.holder, epoch?.holder, `entry ${x.seq}: only the holder releases`);
          assert.equal(d.token, epoch?.token, `entry ${x.seq}: a release names the token it ends`);
          epoch!.live = false;
          break;
        default:
          assert.fail(`entry ${x.seq}: unknown lease change ${d.change}`);
      }
    } else if (x.kind === 'evidence') {
      assert.ok(epoch, `entry ${x.seq}: a write before any lease`);
      assert.equal(
        x.actor,
        epoch.holder,
        `entry ${x.seq}: written by ${x.actor} inside the epoch of token ${epoch.token}, held by ${epoch.holder}`,
      );
      assert.ok(
        epoch.live,
        `entry ${x.seq}: written by ${x.actor} after its lease of token ${epoch.token} was released`,
      );
      writes.set(x.seq, { ...epoch });
    }
  }
  return writes;
}

describe('lease torture', () => {
  for (const seed of seedsFor('leases'))
    it(
      `keeps ${WORKERS} contending processes to one holder at a time (seed ${seed})`,
      { timeout: LONG ? 600_000 : 180_000 },
      () =>
        withSeed(seed, 'torture/leases', async () => {
          const repo = await makeRepo({ config: (c) => void (c['leases'] = { mode: 'explicit', ttlSeconds: 1 }) });
          const setup = await openRepoEngine(repo.dir);
          try {
            const r = await startTask(setup, { id: 'torture' }, { taskId: TASK, title: 'lease torture' });
            assert.ok(r.ok);
          } finally {
            await closeEngine(setup);
          }
          // Half the clocks on time, the others up to 1.2 lease lengths ahead: those see the others' leases run out early.
          const skew = (i: number) =>
            i < WORKERS / 2 ? 0 : Math.round(((i - WORKERS / 2 + 1) * 1200) / (WORKERS / 2));
          const workers = await Promise.all(
            Array.from({ length: WORKERS }, (_, i) =>
              startWorker('./lease-worker.ts', [
                repo.dir,
                `holder-${i}`,
                String(seed + i),
                String(DURATION_MS),
                String(skew(i)),
                TASK,
              ]),
            ),
          );
          await Promise.all(workers.map((w) => w.first('ready')));
          writeFileSync(join(repo.dir, '.lease-torture-go'), '');
          const ends = await Promise.all(workers.map((w) => w.exited));
          for (const [i, end] of ends.entries())
            assert.equal(end.code, 0, `worker ${i} (seed ${seed}): ${workers[i]!.stderr()}`);

          const acks: (Ack & { token: number; holder: string })[] = [];
          const refusals = new Map<string, number>();
          const changes = new Map<string, number>();
          for (const w of workers) {
            for (const l of w.lines) {
              const v = l.value;
              if (l.kind === 'ack')
                acks.push({
                  seq: v['seq'] as number,
                  hash: v['hash'] as string,
                  who: String(v['holder']),
                  token: v['token'] as number,
                  holder: String(v['holder']),
                });
              if (l.kind === 'note' && v['code'])
                refusals.set(String(v['code']), (refusals.get(String(v['code'])) ?? 0) + 1);
              if (l.kind === 'note' && v['change'])
                changes.set(String(v['change']), (changes.get(String(v['change'])) ?? 0) + 1);
              if (l.kind === 'note' && v['op'] === 'work' && v['code'] === 'LEASE_FENCED')
                assert.ok(
                  (v['token'] as number) < (v['current'] as number),
                  `a fenced token is older than the current one: ${JSON.stringify(v)}`,
                );
            }
          }
          process.stdout.write(
            `# lease torture: seed ${seed}, ${WORKERS} workers, ${acks.length} fenced writes, changes ${JSON.stringify(Object.fromEntries(changes))}, refusals ${JSON.stringify(Object.fromEntries(refusals))}\n`,
          );
          const e = await openRepoEngine(repo.dir);
          try {
            await assertStoreInvariants(e, acks, `after the lease torture (seed ${seed})`);
            const entries = await e.store.entries({ taskId: TASK });
            const writes = proveSingleHolder(entries);
            for (const a of acks) {
              const epoch = writes.get(a.seq);
              assert.ok(epoch, `write ${a.seq} acknowledged to ${a.holder} is an evidence entry`);
              assert.equal(epoch.holder, a.holder, `write ${a.seq}: the epoch's holder`);
              assert.equal(
                epoch.token,
                a.token,
                `write ${a.seq}: the epoch's token is the token ${a.holder} presented`,
              );
            }
            assert.equal(
              writes.size,
              acks.length,
              'every write in the ledger was acknowledged to its writer, and only those',
            );
          } finally {
            await closeEngine(e);
          }
          assert.ok(acks.length >= 3, `writes got through (${acks.length})`);
          assert.ok(
            (changes.get('takeover') ?? 0) > 0,
            `leases changed hands by takeover (${JSON.stringify(Object.fromEntries(changes))})`,
          );
          assert.ok(
            (refusals.get('LEASE_HELD') ?? 0) +
              (refusals.get('LEASE_FENCED') ?? 0) +
              (refusals.get('LEASE_REQUIRED') ?? 0) >
              0,
            'contention was refused',
          );
        }),
    );
});
