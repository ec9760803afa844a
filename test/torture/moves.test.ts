/**
 * Move torture: several processes ask at the same moment to advance one task,
 * all as the same holder, out of THINK (the agent's evidence only) and out of
 * VERIFY (Autopilot's producers running the real build and test commands), round
 * after round, the task sent back to THINK between rounds. Each round exactly one
 * move succeeds; every other process is refused, with LEASE_HELD while the
 * winner's move runs (or ran while it was checked) or, arriving after it, with
 * PHASE_SKIP from the phase the winner entered. Afterwards `ledger verify` passes
 * and the store holds its invariants. It runs on the embedded SQLite store and
 * on PostgreSQL (a throw-away server). The workers' start delays come from the
 * seed; AUTOPILOT_TORTURE=long runs more rounds with more workers.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { advance } from '../../src/engine/task/advance.ts';
import { backtrack } from '../../src/engine/task/backtrack.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import type { Actor, Engine } from '../../src/engine/context.ts';
import { makeRepo, P, tempDir, type Repo } from '../e2e/helpers.ts';
import { after, describe, it } from 'node:test';
import { assertStoreInvariants, startWorker, type Ack } from './harness.ts';
import { startPostgres, type PgServer } from '../helpers/postgres.ts';
import { LONG, mulberry32, seedsFor, withSeed, type Suite } from './random.ts';

const WORKERS = LONG ? 8 : 5;
const ROUNDS = LONG ? 8 : 2;
const TASK = 'T-RACE';
const HOLDER = 'racer';
const ACTOR: Actor = { id: `cli:${HOLDER}`, holder: HOLDER };

interface Outcome {
  readonly ok: boolean;
  readonly seq?: number;
  readonly code?: string;
  readonly reason?: string | null;
  readonly from?: string | null;
  readonly message?: string;
}

/** The engine on the store the repository's config names (SQLite, or the PostgreSQL database of the variant). */
function withEngine<T>(repo: Repo, fn: (engine: Engine) => Promise<T>): Promise<T> {
  return repo.withEngine(fn);
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }, what: string): T {
  if (!r.ok) throw new Error(`${what} refused: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/** One race: every worker asks to advance the task to `to` at once. Returns each worker's outcome. */
async function race(repo: Repo, to: string, random: () => number, what: string): Promise<Outcome[]> {
  // The go file lives outside the repository: inside, it would change the diff that IMPLEMENT and VERIFY read.
  const go = join(tempDir('go'), 'go');
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, () =>
      startWorker('./move-worker.ts', [repo.dir, HOLDER, TASK, to, go, String(Math.floor(random() * 15))]),
    ),
  );
  await Promise.all(workers.map((w) => w.first('ready')));
  writeFileSync(go, '');
  const ends = await Promise.all(workers.map((w) => w.exited));
  for (const [i, end] of ends.entries()) assert.equal(end.code, 0, `${what}: worker ${i}: ${workers[i]!.stderr()}`);
  return workers.map((w, i) => {
    const line = w.lines.find((l) => l.kind === 'result');
    assert.ok(line, `${what}: worker ${i} printed no result: ${w.stderr()}`);
    return line.value as unknown as Outcome;
  });
}

/** Exactly one winner; every loser refused with the clear refusal of a lost race. */
function judge(outcomes: Outcome[], to: string, what: string): Outcome {
  const won = outcomes.filter((o) => o.ok);
  assert.equal(won.length, 1, `${what}: exactly one move succeeds: ${JSON.stringify(outcomes)}`);
  for (const o of outcomes.filter((x) => !x.ok)) {
    const lost =
      (o.code === 'LEASE_HELD' && (o.reason === 'move-running' || o.reason === 'moved')) ||
      (o.code === 'PHASE_SKIP' && o.from === to);
    assert.ok(lost, `${what}: a loser gets the refusal of a lost race, not ${JSON.stringify(o)}`);
  }
  return won[0]!;
}

let server: Promise<PgServer> | undefined;
after(async () => {
  if (server) await (await server).dispose();
});

/** The stores the torture runs on: the embedded SQLite file, and a PostgreSQL schema of a throw-away server. */
const STORES: { name: string; suite: Suite; url: () => Promise<string | null> }[] = [
  { name: 'SQLite', suite: 'moves', url: async () => null },
  { name: 'PostgreSQL', suite: 'moves-postgres', url: async () => (await (server ??= startPostgres())).createSchema() },
];

describe('move torture', () => {
  for (const { name, suite, url } of STORES)
    for (const seed of seedsFor(suite))
      it(
        `serialises parallel advances of one task from ${WORKERS} processes, out of THINK and VERIFY, ${ROUNDS} rounds, on ${name} (seed ${seed})`,
        { timeout: LONG ? 1_800_000 : 300_000 },
        () =>
          withSeed(seed, 'torture/moves', async () => {
            const store = await url();
            const random = mulberry32(seed);
            const repo = await makeRepo(store ? { config: (c) => void (c['store'] = store) } : {});
            await repo.driveTo(TASK, 'THINK');
            // The change the task makes, once: IMPLEMENT's diff and VERIFY's tests read it in every round.
            repo.write('src/count.js', P.COUNT_FIXED);
            repo.write('test/count.test.js', P.COUNT_TEST);
            const acks: Ack[] = [];
            const codes = new Map<string, number>();
            let runningInVerify = 0;
            for (let round = 0; round < ROUNDS; round++) {
              await withEngine(repo, async (engine) => {
                for (const [name, content] of P.AGENT_EVIDENCE['THINK'] ?? [])
                  must(
                    await putEvidence(engine, ACTOR, {
                      taskId: TASK,
                      phase: 'THINK',
                      name,
                      content: Buffer.from(content),
                    }),
                    `put ${name}`,
                  );
              });
              for (const [from, to] of [
                ['THINK', 'IMPLEMENT'],
                ['VERIFY', 'REVIEW'],
              ] as const) {
                const what = `round ${round}, out of ${from} (seed ${seed})`;
                const outcomes = await race(repo, to, random, what);
                const won = judge(outcomes, to, what);
                for (const o of outcomes.filter((x) => !x.ok))
                  codes.set(`${o.code}:${o.reason ?? o.from}`, (codes.get(`${o.code}:${o.reason ?? o.from}`) ?? 0) + 1);
                if (from === 'VERIFY')
                  runningInVerify += outcomes.filter(
                    (o) => o.code === 'LEASE_HELD' && o.reason === 'move-running',
                  ).length;
                await withEngine(repo, async (engine) => {
                  const task = (await engine.store.getTask(TASK))!;
                  assert.equal(task.phase, to, `${what}: the task entered ${to}, and no further`);
                  const [entry] = await engine.store.entries({ fromSeq: won.seq!, limit: 1 });
                  assert.equal(entry?.kind, 'transition', `${what}: the winner's entry is the transition`);
                  assert.equal(entry?.fromPhase, from);
                  acks.push({ seq: entry!.seq, hash: entry!.hash, who: `the winner of ${what}` });
                  if (to === 'IMPLEMENT') must(await advance(engine, ACTOR, { taskId: TASK }), 'advance to VERIFY');
                  else if (round < ROUNDS - 1)
                    must(
                      await backtrack(engine, ACTOR, {
                        taskId: TASK,
                        to: 'THINK',
                        reason: `move torture: round ${round + 1}`,
                      }),
                      'backtrack to THINK',
                    );
                });
              }
            }
            await withEngine(repo, async (engine) => {
              await assertStoreInvariants(engine, acks, `after the move torture (seed ${seed})`);
              const entries = await engine.store.entries({ taskId: TASK });
              const transitions = entries.filter((x) => x.kind === 'transition');
              for (const [from, to] of [
                ['THINK', 'IMPLEMENT'],
                ['VERIFY', 'REVIEW'],
              ])
                assert.equal(
                  transitions.filter((x) => x.fromPhase === from && x.toPhase === to).length,
                  ROUNDS,
                  `one transition from ${from} to ${to} a round`,
                );
              const tampered = entries.filter((x) => x.kind === 'violation' && x.data['code'] === 'LEDGER_TAMPERED');
              assert.deepEqual(tampered, [], 'no move saw evidence change under it');
              if (store) {
                // The variant really ran on PostgreSQL: the database holds the whole ledger.
                const rows = await (await server!).sql(store, 'SELECT count(*)::int AS n FROM ledger');
                assert.equal((rows.rows[0] as { n: number }).n, (await engine.store.entries()).length);
              }
            });
            process.stdout.write(
              `# move torture on ${name}: seed ${seed}, ${ROUNDS} rounds of ${WORKERS} workers, losers ${JSON.stringify(Object.fromEntries(codes))}\n`,
            );
            assert.ok(runningInVerify > 0, 'losers were refused while the winner of a VERIFY race ran its commands');
          }),
      );
});
