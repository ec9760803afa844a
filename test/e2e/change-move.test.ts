/**
 * E2E: the change decision of the move out of IMPLEMENT, through the real binary with the shipped policy pack, and
 * the CI gate on the branch. A denied path refuses the move; a migration or CI config change waits for a person's
 * approval that names its policy and was given for this diff (an approval for another policy, or one given before
 * the diff grew, is not enough); the approved move records the policies, verdict, digest and approvals, and Gate 1
 * accepts the approval for the change the branch holds and not for a later one. A person's signed change of modes
 * lets the move through in observe mode (would-have-blocked recorded), and the CI gate honours it over the base
 * branch's config, saying which decision relaxed which gate.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CiGateReport, GateStage } from '../../src/engine/ci/gate.ts';
import * as P from '../../src/surfaces/demo/project.ts';
import { evidenceFor } from '../helpers/evidence.ts';
import { git, makeRepo, parseOne, run, tempDir, type Repo } from './helpers.ts';

type GateBody =
  ({ ok: true } & CiGateReport) | { ok: false; error: { code: string; message: string; details: CiGateReport } };

const MIGRATION = 'db/migrations/002_add_slug.sql';
const WORKFLOW = '.github/workflows/extra.yml';

function commit(dir: string, message: string): void {
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message]);
}

/** The gate on a clone of `branch`, as CI runs it: its report, and with `text` its output for a person. */
async function gate(repo: Repo, branch: string, text = false): Promise<{ report: CiGateReport; text: string }> {
  const dir = tempDir('clone');
  git(dir, ['clone', '-q', '--branch', branch, repo.dir, '.']);
  const body = parseOne<GateBody>(await run(['--json', '-C', dir, 'gate', '--base', 'origin/main']));
  const shown = text ? await run(['-C', dir, 'gate', '--base', 'origin/main']) : undefined;
  return { report: body.ok ? body : body.error.details, text: shown ? shown.stdout + shown.stderr : '' };
}

const policyCheck = (r: CiGateReport) => {
  const g1 = r.stages.find((s): s is GateStage => s.gate === 'g1');
  const c = g1?.checks.find((x) => x.name === 'policy');
  assert.ok(c, JSON.stringify(g1));
  return c;
};

type Span = { name: string; attributes: Record<string, unknown> };
const spans = (repo: Repo): Span[] =>
  readFileSync(join(repo.stateDir, 'telemetry', 'traces.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Span);

const approve = async (repo: Repo, taskId: string, note: string) => {
  const d = await repo.decide({ taskId, decision: 'approve', note });
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  return d.value.entry.seq;
};

describe('the change decision at IMPLEMENT → VERIFY, and the CI gate', () => {
  it('denies, asks a person per policy and diff, records the decision; Gate 1 and signed modes agree', async () => {
    const repo = await makeRepo();
    assert.equal((await repo.run(['--json', 'init', '--policy-pack'])).code, 0);
    // The policies ask here, not the risk of the diff on entering PR.
    repo.editConfig((cfg) => void (cfg['approvals'] = { ...(cfg['approvals'] as object), enter: [] }));
    commit(repo.dir, 'the policy pack');
    git(repo.dir, ['checkout', '-q', '-b', 'task/T-1']);
    // The plan says how to undo a migration: without that, the pack denies one (pack.migrations.rollback).
    const evidence = evidenceFor(0);
    const [plan, ...rest] = evidence['PLAN']!;
    const planned = `${plan![1]}\n## Rollback\nDrop the slug column with a down migration; nothing reads it yet.\n`;
    await repo.driveTo('T-1', 'IMPLEMENT', { evidence: { ...evidence, PLAN: [['plan.md', planned], ...rest] } });
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write('test/count.test.js', P.COUNT_TEST);

    // A path on the pack's denylist: refused, naming the policy; no person can approve it.
    repo.write('.env', 'DEBUG=1\n');
    const denied = await repo.refused(['--holder', 'fixture', 'advance', 'T-1'], 'VERIFY_FAILED', 2);
    assert.deepEqual([denied.details['policyIds'], denied.details['policyVerdict']], [['pack.paths.deny'], 'deny']);
    assert.match(denied.message, /denied by pack\.paths\.deny \(\.env: this path is on the denylist/);
    rmSync(join(repo.dir, '.env'));

    // A CI config change asks a person: the request names the policy and the change.
    repo.write(WORKFLOW, 'name: extra\non: push\n');
    const ci = await repo.refused(['--holder', 'fixture', 'advance', 'T-1'], 'APPROVAL_REQUIRED', 2);
    assert.deepEqual(ci.details['policyIds'], ['pack.ci-config']);
    assert.match(ci.message, /no person's approval names pack\.ci-config yet/);
    const request = repo.ledger('T-1').findLast((e) => e.kind === 'approval')!;
    assert.deepEqual(
      [request.data['action'], request.data['by'], request.data['policyIds']],
      ['requested', 'policy', ['pack.ci-config']],
    );
    assert.deepEqual(
      (request.data['change'] as { files: { path: string }[] }).files.map((f) => f.path),
      [WORKFLOW, 'src/count.js', 'test/count.test.js'],
    );
    await approve(repo, 'T-1', 'the extra workflow is fine');

    // A migration joins: the approval for the CI config policy does not pass the migration policy, nor the new diff.
    repo.write(MIGRATION, 'ALTER TABLE posts ADD COLUMN slug TEXT;\n');
    const other = await repo.refused(['--holder', 'fixture', 'advance', 'T-1'], 'APPROVAL_REQUIRED', 2);
    assert.deepEqual([...(other.details['policyIds'] as string[])].sort(), [
      'pack.ci-config',
      'pack.migrations.person',
    ]);
    assert.match(other.message, /no person's approval names pack\.migrations\.person yet/);
    assert.match(other.message, /pack\.ci-config was approved by tester \(entry \d+\) for an earlier diff/);
    await approve(repo, 'T-1', 'migration and workflow reviewed');

    // The diff grows after the approval: asked again, and the message says why.
    repo.write(MIGRATION, 'ALTER TABLE posts ADD COLUMN slug TEXT;\nCREATE INDEX posts_slug ON posts (slug);\n');
    const grown = await repo.refused(['--holder', 'fixture', 'advance', 'T-1'], 'APPROVAL_REQUIRED', 2);
    assert.match(grown.message, /pack\.migrations\.person was approved by tester \(entry \d+\) for an earlier diff/);
    assert.deepEqual(
      (grown.details['approvals'] as { status: string }[]).map((a) => a.status),
      ['stale', 'stale'],
    );
    const seq = await approve(repo, 'T-1', 'the index too');

    // Approved for both policies and this diff: the move passes and records the decision.
    await repo.ok(['--holder', 'fixture', 'advance', 'T-1']);
    const moved = repo.ledger('T-1').findLast((e) => e.kind === 'transition')!;
    assert.deepEqual(
      [moved.toPhase, moved.data['policyVerdict'], moved.data['policyApprovals'], moved.data['approval']],
      ['VERIFY', 'ask', [seq], seq],
    );
    assert.deepEqual([...(moved.data['policyIds'] as string[])].sort(), ['pack.ci-config', 'pack.migrations.person']);
    assert.match(String(moved.data['policyDigest']), /^[0-9a-f]{64}$/);
    const span = spans(repo).findLast(
      (s) => s.name === 'agent.state.transition' && s.attributes['autopilot.phase.to'] === 'VERIFY',
    );
    assert.deepEqual(
      [
        span?.attributes['autopilot.policy.verdict'],
        String(span?.attributes['autopilot.policy.ids']).split(',').sort(),
      ],
      ['ask', ['pack.ci-config', 'pack.migrations.person']],
    );

    // Gate 1: an approval covers the change the branch holds. A later commit changes the migration (same line
    // counts, other content): the CI config policy stays approved, the migration policy's approval was for another change.
    await repo.driveTo('T-1', 'PR', { evidence });
    repo.write(MIGRATION, 'ALTER TABLE posts ADD COLUMN slug TEXT;\nALTER TABLE posts ADD COLUMN tags TEXT;\n');
    commit(repo.dir, 'T-1 with its evidence, and more migration');
    const t1 = await gate(repo, 'task/T-1');
    const later = policyCheck(t1.report);
    assert.equal(later.status, 'fail');
    assert.deepEqual((later.policies ?? []).map((p) => [p.policyId, p.verdict, p.approvedBy]).sort(), [
      ['pack.ci-config', 'ask', ['person:tester']],
      ['pack.migrations.person', 'ask', []],
    ]);
    assert.match(later.detail, /pack\.migrations\.person asks a person .*was for another change than the branch's/);
    assert.deepEqual(t1.report.modes, [], 'no person changed a mode of this task');

    // T-2: a person signs a change of modes (the CI config policy observes); the move passes and records it.
    git(repo.dir, ['checkout', '-q', 'main']);
    git(repo.dir, ['checkout', '-q', '-b', 'task/T-2']);
    await repo.driveTo('T-2', 'IMPLEMENT');
    repo.editConfig((cfg) => {
      cfg['policies'] = {
        ...((cfg['policies'] as object | undefined) ?? {}),
        overrides: { 'pack.ci-config': 'observe' },
      };
    });
    await repo.refused(['--holder', 'fixture', 'advance', 'T-2'], 'CONFIG_CHANGED', 2);
    const modes = await repo.decide({ taskId: 'T-2', decision: 'change_modes', note: 'the CI policy observes' });
    assert.ok(modes.ok, modes.ok ? '' : modes.error.message);
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write('test/count.test.js', P.COUNT_TEST);
    repo.write(WORKFLOW, 'name: extra\non: push\n');
    await repo.ok(['--holder', 'fixture', 'advance', 'T-2']);
    const observed = repo.ledger('T-2').findLast((e) => e.kind === 'policy_observed')!;
    assert.deepEqual(
      [observed.data['action'], observed.data['wouldHave'], observed.data['policyIds'], observed.data['decision']],
      ['advance', 'ask', ['pack.ci-config'], 'allow'],
    );
    const passed = repo.ledger('T-2').findLast((e) => e.kind === 'transition')!;
    assert.deepEqual(passed.data['policyObserved'], { verdict: 'ask', policyIds: ['pack.ci-config'] });

    // The CI gate judges by main's config, where the policy enforces; the signed change of modes relaxes it.
    await repo.driveTo('T-2', 'PR');
    commit(repo.dir, 'T-2 with its evidence');
    const relaxed = await gate(repo, 'task/T-2', true);
    const p2 = policyCheck(relaxed.report);
    assert.equal(p2.status, 'pass', p2.detail);
    assert.deepEqual(
      p2.policies?.map((p) => [p.policyId, p.verdict, p.mode]),
      [['pack.ci-config', 'ask', 'observe']],
    );
    assert.deepEqual(relaxed.report.modes, [
      {
        key: 'policies.overrides.pack.ci-config',
        from: 'enforce',
        to: 'observe',
        taskId: 'T-2',
        seq: modes.value.entry.seq,
        person: 'person:tester',
        gate: 'g1',
        applied: true,
      },
    ]);
    assert.match(
      relaxed.text,
      /mode policies\.overrides\.pack\.ci-config: enforce → observe for Gate 1, signed by tester for T-2/,
    );
  });
});
