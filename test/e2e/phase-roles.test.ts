/**
 * E2E: a process whose phases have other names (A, B, CHECK, SHIP) and whose config names the roles: CHECK verifies
 * (its commands run there, its evidence is Autopilot's run) and SHIP seals the attestation bundle, which the CI gate
 * on a fresh clone accepts, re-running CHECK's commands. Nothing in the engine looks for VERIFY or PR by name.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_TOOL_POLICY } from '../../src/core/policy/policy.ts';
import { advance } from '../../src/engine/task/advance.ts';
import { startTask } from '../../src/engine/task/start.ts';
import { runVerify } from '../../src/engine/task/verify.ts';
import type { CiGateReport } from '../../src/engine/ci/gate.ts';
import { P, git, makeRepo, parseOne, run, tempDir } from './helpers.ts';

const BRANCH = 'task/T-1';

/** A phase-keyed section of the template's config, with only the renamed phases left. */
function renamed(config: Record<string, unknown>): void {
  const evidence = config['evidence'] as Record<string, unknown>;
  config['phases'] = ['A', 'B', 'CHECK', 'SHIP'];
  config['roles'] = { verify: 'CHECK', seal: 'SHIP' };
  // CHECK needs what VERIFY needs; the other phases ask for nothing.
  config['evidence'] = { CHECK: evidence['VERIFY'] };
  const tools = config['tools'] as Record<string, unknown>;
  tools['phases'] = {
    A: DEFAULT_TOOL_POLICY['STRATEGIZE'],
    B: DEFAULT_TOOL_POLICY['IMPLEMENT'],
    CHECK: DEFAULT_TOOL_POLICY['VERIFY'],
    SHIP: DEFAULT_TOOL_POLICY['PR'],
  };
  const approvals = config['approvals'] as Record<string, unknown> | undefined;
  if (approvals) approvals['enter'] = [];
  const attest = config['attest'] as Record<string, unknown> | undefined;
  if (attest) attest['blockIn'] = ['CHECK', 'SHIP'];
  config['process'] = { backtrackFrom: 'any' };
}

function commit(dir: string, message: string): void {
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message]);
}

describe('phase roles in a process with other phase names', () => {
  it('verifies in CHECK, seals the bundle at SHIP, and the CI gate accepts it on a fresh clone', async () => {
    const repo = await makeRepo({ urgent: true, config: renamed });
    commit(repo.dir, 'A process of four phases');
    const base = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    git(repo.dir, ['checkout', '-q', '-b', BRANCH]);

    await repo.fixture('T-1', async (engine, actor) => {
      assert.deepEqual(engine.config.roles, {
        implement: null,
        verify: 'CHECK',
        review: null,
        ci: null,
        monitor: null,
        seal: 'SHIP',
      });
      const started = await startTask(engine, actor, { taskId: 'T-1', title: 'count words' });
      assert.ok(started.ok, JSON.stringify(started));

      // verify runs in the verify role's phase only, and says which one that is.
      const early = await runVerify(engine, actor, { taskId: 'T-1' });
      assert.equal(early.ok, false);
      if (early.ok) return;
      assert.equal(early.error.code, 'PHASE_SKIP');
      assert.deepEqual([early.error.details['from'], early.error.details['to']], ['A', 'CHECK']);
      assert.match(early.error.message, /^verify runs in CHECK; T-1 is in A/);

      const toB = await advance(engine, actor, { taskId: 'T-1' });
      assert.ok(toB.ok, JSON.stringify(toB));
      repo.write('src/count.js', P.COUNT_FIXED);
      repo.write('test/count.test.js', P.COUNT_TEST);
      const toCheck = await advance(engine, actor, { taskId: 'T-1' });
      assert.ok(toCheck.ok, JSON.stringify(toCheck));
      assert.equal(toCheck.value.attestation, undefined, 'no bundle before the seal phase');

      const verified = await runVerify(engine, actor, { taskId: 'T-1' });
      assert.ok(verified.ok, JSON.stringify(verified));
      const toShip = await advance(engine, actor, { taskId: 'T-1' });
      assert.ok(toShip.ok, JSON.stringify(toShip));
      assert.equal(toShip.value.to, 'SHIP');
      assert.ok(toShip.value.attestation?.ok, JSON.stringify(toShip.value.attestation));
    });

    // CHECK's evidence is Autopilot's own run, in CHECK's folder.
    const run0 = JSON.parse(readFileSync(join(repo.evidenceDir, 'T-1', 'check', 'verify_run.json'), 'utf8')) as {
      passed?: boolean;
    };
    assert.equal(run0.passed, true);
    assert.equal(existsSync(join(repo.evidenceDir, 'T-1', 'verify')), false);
    const ledger = repo.ledger('T-1');
    const ship = ledger.find((x) => x.kind === 'transition' && x.toPhase === 'SHIP');
    assert.ok(ship, 'a transition into SHIP');

    commit(repo.dir, 'T-1: wordCount, with its evidence and attestation bundle');
    const dir = tempDir('clone');
    git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
    const r = await run(['--json', '-C', dir, 'gate', '--base', base]);
    const body = parseOne<{ ok: boolean } & CiGateReport>(r);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(body.passed, true);
    const [task] = body.tasks;
    assert.equal(task?.phase, 'SHIP');
    assert.equal(task.toSeq, ship.seq);
    assert.ok(!('skipped' in task.verify), JSON.stringify(task.verify));
    if ('skipped' in task.verify) return;
    assert.equal(task.verify.passed, true);
    assert.equal(task.verify.sameCode, true);
  });
});
