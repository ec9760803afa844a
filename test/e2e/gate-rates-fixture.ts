/**
 * @module A store whose ledger spans the gates' baseline and their window, for `metrics` and the dashboard's metrics
 * page: twenty days ago B-1 was blocked twice in STRATEGIZE (its strategy missing, Gate 3; then its config changed,
 * Gate 0) and a person adopted the new contract with a passkey, which overrode both; a day ago T-1 tried to skip
 * (Gate 0) and to push (Gate 1), and nobody overrode either.
 */
import assert from 'node:assert/strict';
import { closeEngine, openEngine, type Actor, type Engine } from '../../src/engine/context.ts';
import { startTask } from '../../src/engine/task/start.ts';
import { advance } from '../../src/engine/task/advance.ts';
import { guardToolCall } from '../../src/engine/task/guard.ts';
import { leaseOp } from '../../src/engine/task/leases.ts';
import { openStoreFor } from '../../src/surfaces/compose.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';
import { ManualClock } from '../helpers/clock.ts';
import { decideSoft, registerSoft } from '../helpers/passkey.ts';
import { makeRepo, type Repo } from './helpers.ts';

const DAY = 86_400_000;
const ACTOR: Actor = { id: 'agent:rates', holder: 'agent:rates' };

/** Runs `fn` on an engine whose clock reads `at`, then releases the actor's leases. */
async function at<T>(repo: Repo, clock: ManualClock, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await openEngine({ runner: new ProcessRunner(), cwd: repo.dir, openStore: openStoreFor, clock });
  try {
    return await fn(engine);
  } finally {
    for (const t of await engine.store.listTasks()) {
      const lease = await engine.store.getLease(t.taskId);
      if (t.status === 'active' && lease?.holder === ACTOR.holder) await leaseOp(engine, ACTOR, 'release', t);
    }
    await closeEngine(engine);
  }
}

const refused = (r: { ok: boolean; error?: { code: string } }, code: string) =>
  assert.equal(r.ok ? 'ok' : r.error!.code, code);

/** The repository, its ledger written with the clock moved back (20 days, then 1 day), in that order. */
export async function ratesRepo(): Promise<Repo> {
  const repo = await makeRepo();
  const now = Date.now();
  const clock = new ManualClock(now - 20 * DAY);
  await at(repo, clock, async (engine) => {
    assert.ok((await startTask(engine, ACTOR, { taskId: 'B-1', title: 'baseline task' })).ok);
    refused(await advance(engine, ACTOR, { taskId: 'B-1' }), 'EVIDENCE_MISSING');
  });
  // The team makes the strategy optional mid-task: the next move is refused until a person adopts that contract.
  repo.editConfig((c) => {
    const sections = ['Problem', 'Objectives', 'Scope', 'Non-goals', 'Risks', 'Strategy'].map((heading) => ({
      heading,
    }));
    c['evidence'] = { STRATEGIZE: [{ name: 'strategy.md', required: false, sections }] };
  });
  clock.advance(60_000);
  await at(repo, clock, async (engine) => {
    refused(await advance(engine, ACTOR, { taskId: 'B-1' }), 'CONFIG_CHANGED');
    const person = await registerSoft(engine, 'tester');
    const adopted = await decideSoft(engine, person, {
      taskId: 'B-1',
      decision: 'adopt_contract',
      note: 'a strategy is optional for chores',
    });
    assert.ok(adopted.ok, adopted.ok ? '' : adopted.error.message);
    assert.ok((await advance(engine, ACTOR, { taskId: 'B-1' })).ok, 'B-1 moves under the adopted contract');
  });
  clock.set(now - DAY);
  await at(repo, clock, async (engine) => {
    assert.ok((await startTask(engine, ACTOR, { taskId: 'T-1', title: 'recent task' })).ok);
    refused(await advance(engine, ACTOR, { taskId: 'T-1', to: 'IMPLEMENT' }), 'PHASE_SKIP');
    const push = await guardToolCall(engine, ACTOR, {
      taskId: 'T-1',
      client: 'claude',
      tool: 'Bash',
      input: { command: 'git push origin main' },
    });
    assert.ok(push.ok && push.value.decision === 'deny', 'git push is denied before PR');
  });
  return repo;
}
