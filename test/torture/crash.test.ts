/**
 * Crash torture: several processes take tasks back and forth through the
 * thinking phases on one SQLite store (puts, advances, refused skips, and
 * backtracks that archive evidence folders) while the driver kills them with
 * SIGKILL at random moments; in some rounds the workers also kill themselves
 * inside a transaction, just before or just after its commit. After every round
 * the store must hold: `ledger verify` passes, every acknowledged entry is there,
 * every projection is the fold of its entries, and no evidence folder is moved
 * without the backtrack entry that moved it. At the end, every task must still
 * move. AUTOPILOT_TORTURE=long runs many more rounds; AUTOPILOT_TORTURE_SEED
 * repeats a run.
 */
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { backtrack } from '../../src/engine/task/backtrack.ts';
import { checkEvidence, putEvidence } from '../../src/engine/task/evidence.ts';
import { evidenceRel } from '../../src/engine/repo/layout.ts';
import * as P from '../../src/surfaces/demo/project.ts';
import { makeRepo } from '../e2e/helpers.ts';
import {
  assertStoreInvariants,
  closeEngine,
  openRepoEngine,
  sleep,
  startWorker,
  strays,
  type Ack,
  type Worker,
} from './harness.ts';
import { LONG, mulberry32, seedsFor, withSeed } from './random.ts';

const ROUNDS = LONG ? 80 : 10;
const WORKERS = 3;

/** What the workers of a round do besides running until killed. */
const CRASH_MODES = [
  undefined,
  'before-commit:backtrack:0.25',
  'after-commit:backtrack:0.25',
  'before-commit:evidence:0.1',
  'before-commit:transition:0.15',
];

/**
 * One worker that kills itself inside the first transaction appending an entry of
 * `kind` (`when`: after the append, before the commit; or right after the commit).
 */
async function crashAt(when: 'before-commit' | 'after-commit', kind: string): Promise<void> {
  for (const seed of seedsFor('crash-points'))
    await withSeed(seed, 'torture/crash', () => crashAtSeed(when, kind, seed));
}

async function crashAtSeed(when: 'before-commit' | 'after-commit', kind: string, seed: number): Promise<void> {
  const repo = await makeRepo({ config: (c) => void (c['watchdog'] = { refusals: 1000, idleMinutes: 0 }) });
  const w = await startWorker('./crash-worker.ts', [repo.dir, '0', String(seed), `${when}:${kind}:1`]);
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 60_000);
  const end = await w.exited;
  clearTimeout(timer);
  assert.equal(end.signal, 'SIGKILL', w.stderr());
  const begun = w.lines.filter((l) => l.kind === 'begin');
  assert.equal(
    begun[begun.length - 1]?.value['op'],
    kind === 'transition' ? 'advance' : kind.startsWith('evidence') ? 'put' : kind,
    `the worker died in a ${kind} (seed ${seed})`,
  );
  const acks = w.lines
    .filter((l) => l.kind === 'ack')
    .map((l) => ({ seq: l.value['seq'] as number, hash: l.value['hash'] as string, who: 'the worker' }));
  const e = await openRepoEngine(repo.dir);
  try {
    await assertStoreInvariants(e, acks, `a ${kind} killed ${when.replace('-', ' ')} (seed ${seed})`);
    const task = (await e.store.getTask(String(begun[begun.length - 1]!.value['taskId'])))!;
    if (kind === 'backtrack') {
      // The crash left what it must: an archive no entry names, or live files that are links to their archived copies.
      const archive = join(
        e.layout.evidenceDir,
        task.taskId,
        '.stale',
        String(task.counts.backtracks + (when === 'before-commit' ? 1 : 0)),
      );
      assert.ok(existsSync(archive), `the archive folder of the interrupted backtrack: ${archive}`);
      if (when === 'after-commit')
        assert.ok(
          strays(e, task).some((x) => x.link),
          'live files still linked to their archived copies',
        );
    }
    // The task must still move: its holder takes it back to the first phase.
    const actor = { id: 'worker:0', holder: 'worker-0' };
    assert.ok((await checkEvidence(e, { taskId: task.taskId })).ok);
    if (task.phase !== 'STRATEGIZE') {
      const back = await backtrack(e, actor, { taskId: task.taskId, to: 'STRATEGIZE', reason: 'after the crash' });
      assert.ok(
        back.ok,
        `back to STRATEGIZE from ${task.phase}: ${back.ok ? '' : `${back.error.code} ${back.error.message}`}`,
      );
    }
    await assertStoreInvariants(
      e,
      acks,
      `after moving on from a ${kind} killed ${when.replace('-', ' ')} (seed ${seed})`,
      false,
    );
  } finally {
    await closeEngine(e);
  }
}

describe('crash points', () => {
  it('a backtrack killed between moving the evidence aside and its commit', { timeout: 120_000 }, () =>
    crashAt('before-commit', 'backtrack'),
  );
  it('a backtrack killed right after its commit', { timeout: 120_000 }, () => crashAt('after-commit', 'backtrack'));
  it('an advance killed before its commit', { timeout: 120_000 }, () => crashAt('before-commit', 'transition'));
  it('a put replacing a recorded file, killed before its commit', { timeout: 120_000 }, () =>
    crashAt('before-commit', 'evidence-replace'),
  );

  it(
    'a file replaced after a backtrack died before its commit: the archive it left goes, nothing stays behind',
    { timeout: 120_000 },
    async () => {
      const repo = await makeRepo();
      await repo.driveTo('T-1', 'PLAN');
      await repo.put('T-1', 'PLAN', 'plan.md', P.PLAN);
      await repo.put('T-1', 'PLAN', 'file_map.json', P.FILE_MAP);
      const e = await openRepoEngine(repo.dir);
      try {
        // What a backtrack killed before its commit leaves (the crash point above shows it): links to the live files in an archive no entry names.
        const live = join(e.layout.evidenceDir, 'T-1', 'plan');
        const archive = join(e.layout.evidenceDir, 'T-1', '.stale', '1', 'plan');
        mkdirSync(archive, { recursive: true });
        for (const name of ['plan.md', 'file_map.json']) linkSync(join(live, name), join(archive, name));
        await assertStoreInvariants(e, [], 'the archive of a backtrack that never committed');
        const actor = { id: 'worker:0', holder: 'worker-0' };
        const put = await putEvidence(e, actor, {
          taskId: 'T-1',
          phase: 'PLAN',
          name: 'file_map.json',
          content: Buffer.from(JSON.stringify(JSON.parse(P.FILE_MAP), null, 4)),
        });
        assert.ok(put.ok, put.ok ? '' : put.error.message);
        assert.ok(!existsSync(join(e.layout.evidenceDir, 'T-1', '.stale', '1')), 'the uncommitted archive is gone');
        await assertStoreInvariants(e, [], 'after the put', false);
        assert.equal(readFileSync(join(live, 'plan.md'), 'utf8'), P.PLAN, 'the live files stay');
      } finally {
        await closeEngine(e);
      }
    },
  );
});

describe('crash torture', () => {
  for (const seed of seedsFor('crash-torture'))
    it(
      `keeps the store consistent through ${ROUNDS} rounds of SIGKILL (seed ${seed})`,
      { timeout: LONG ? 3_600_000 : 240_000 },
      () =>
        withSeed(seed, 'torture/crash', async () => {
          const random = mulberry32(seed);
          // The workers advance on purpose with evidence that fails; the watchdog would hold such a task for a person,
          // which is not what this suite tests (test/e2e/watchdog.test.ts does).
          const repo = await makeRepo({ config: (c) => void (c['watchdog'] = { refusals: 1000, idleMinutes: 0 }) });
          const acks: Ack[] = [];
          let killed = 0;
          let selfKilled = 0;
          const ops = new Map<string, number>();
          for (let round = 0; round < ROUNDS; round++) {
            const mode = CRASH_MODES[round % CRASH_MODES.length];
            const workers: Worker[] = [];
            for (let w = 0; w < WORKERS; w++) {
              workers.push(
                await startWorker('./crash-worker.ts', [
                  repo.dir,
                  String(w),
                  String(seed + round * WORKERS + w),
                  ...(mode ? [mode] : []),
                ]),
              );
            }
            await Promise.all(workers.map((w) => w.first('ready')));
            // Each worker dies at its own random moment within the round, unless it killed itself first.
            await Promise.all(
              workers.map(async (w) => {
                await Promise.race([sleep(200 + random() * 1500), w.exited]);
                if (w.child.exitCode === null && w.child.signalCode === null) {
                  w.child.kill('SIGKILL');
                  killed++;
                } else {
                  selfKilled++;
                }
              }),
            );
            const ends = await Promise.all(workers.map((w) => w.exited));
            for (const [i, end] of ends.entries()) {
              assert.equal(
                end.signal,
                'SIGKILL',
                `round ${round} (seed ${seed}): worker ${i} must only die of SIGKILL, not of an error:\n${workers[i]!.stderr()}`,
              );
            }
            for (const [i, w] of workers.entries()) {
              for (const l of w.lines) {
                if (l.kind === 'ack')
                  acks.push({
                    seq: l.value['seq'] as number,
                    hash: l.value['hash'] as string,
                    who: `worker ${i} of round ${round}`,
                  });
                if (l.kind === 'ack' || l.kind === 'note')
                  ops.set(String(l.value['op']), (ops.get(String(l.value['op'])) ?? 0) + 1);
              }
            }
            const e = await openRepoEngine(repo.dir);
            try {
              await assertStoreInvariants(
                e,
                acks,
                `after round ${round} (seed ${seed}, ${mode ?? 'killed at random'})`,
              );
            } finally {
              await closeEngine(e);
            }
          }
          assert.ok(acks.length > ROUNDS * 5, `the workers got work done (${acks.length} acknowledged writes)`);
          assert.ok((ops.get('backtrack') ?? 0) > 0, 'backtracks happened');

          // Every task must still move: a check of its evidence settles an archive left half done,
          // its holder can put evidence, and a task past its first phase can go back to it.
          const e = await openRepoEngine(repo.dir);
          try {
            for (const task of await e.store.listTasks()) {
              if (task.status !== 'active') continue;
              const actor = {
                id: `worker:${task.taskId.slice(1, task.taskId.indexOf('-'))}`,
                holder: `worker-${task.taskId.slice(1, task.taskId.indexOf('-'))}`,
              };
              const checked = await checkEvidence(e, { taskId: task.taskId });
              assert.ok(checked.ok, `${task.taskId}: evidence check`);
              const after = (await e.store.getTask(task.taskId))!;
              // An archive that never committed may stay under .stale/ (no entry names it, nothing reads it) until the next backtrack drops it.
              const live = strays(e, after).filter((x) => !x.path.includes('/.stale/'));
              assert.deepEqual(
                live,
                [],
                `${task.taskId}: nothing of an interrupted archive left in the live folders once its phase is checked`,
              );
              const first = P.AGENT_EVIDENCE[after.phase]?.[0];
              if (first) {
                const [name, content] = first;
                const put = await putEvidence(e, actor, {
                  taskId: task.taskId,
                  phase: after.phase,
                  name,
                  content: Buffer.from(content),
                });
                assert.ok(
                  put.ok,
                  `${task.taskId}: its holder can put evidence in ${after.phase}: ${put.ok ? '' : put.error.message}`,
                );
                assert.ok((await e.store.getTask(task.taskId))!.artifacts[evidenceRel(task.taskId, after.phase, name)]);
              }
              if (after.phase !== 'STRATEGIZE') {
                const back = await backtrack(e, actor, {
                  taskId: task.taskId,
                  to: 'STRATEGIZE',
                  reason: 'after the torture',
                });
                assert.ok(
                  back.ok,
                  `${task.taskId}: back to STRATEGIZE from ${after.phase}: ${back.ok ? '' : `${back.error.code} ${back.error.message}`}`,
                );
              }
            }
            await assertStoreInvariants(e, acks, `after the final moves (seed ${seed})`, false);
          } finally {
            await closeEngine(e);
          }
          process.stdout.write(
            `# crash torture: seed ${seed}, ${ROUNDS} rounds, ${killed} killed by the driver, ${selfKilled} inside a commit, ${acks.length} acknowledged writes, ops ${JSON.stringify(Object.fromEntries(ops))}\n`,
          );
        }),
    );
});
