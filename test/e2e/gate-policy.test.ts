/**
 * E2E: the shipped policy pack through the real binary: `init --policy-pack` writes it (and keeps a tuned file),
 * `policy test` judges the pack's example changes, and Gate 1 of `autopilot gate` decides the branch's diff by the
 * base branch's policies: a migration without a rollback plan denied, a CI config change asking a person, each
 * policy's verdict in the stage; in observe mode the same policies record what they would have decided and pass.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CiGateReport, GateStage } from '../../src/engine/ci/gate.ts';
import { git, makeRepo, parseOne, run, tempDir, type Repo } from './helpers.ts';

const BRANCH = 'task/T-1';

type GateBody =
  ({ ok: true } & CiGateReport) | { ok: false; error: { code: string; message: string; details: CiGateReport } };

function commit(dir: string, message: string): void {
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message]);
}

/** main with the pack written by init (and `edit` applied to the config); T-1 taken to PR on a branch with `extra` files. */
async function packRepo(extra: Record<string, string>, edit?: (c: Record<string, unknown>) => void): Promise<Repo> {
  const repo = await makeRepo();
  const init = await repo.run(['--json', 'init', '--policy-pack']);
  assert.equal(init.code, 0, init.stdout + init.stderr);
  if (edit) repo.editConfig(edit);
  commit(repo.dir, 'the policy pack');
  git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
  await repo.driveTo('T-1', 'PR');
  for (const [path, text] of Object.entries(extra)) repo.write(path, text);
  commit(repo.dir, 'T-1 with its evidence');
  return repo;
}

async function gate(repo: Repo): Promise<{ code: number; report: CiGateReport; text: string }> {
  const dir = tempDir('clone');
  git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
  const r = await run(['--json', '-C', dir, 'gate', '--base', 'origin/main']);
  const body = parseOne<GateBody>(r);
  const text = await run(['-C', dir, 'gate', '--base', 'origin/main']);
  return { code: r.code, report: body.ok ? body : body.error.details, text: text.stdout + text.stderr };
}

const policyCheck = (r: CiGateReport) => {
  const g1 = r.stages.find((s): s is GateStage => s.gate === 'g1');
  const c = g1?.checks.find((x) => x.name === 'policy');
  assert.ok(c, JSON.stringify(g1));
  return c;
};

const MIGRATION = { 'db/migrations/002_add_slug.sql': 'ALTER TABLE posts ADD COLUMN slug TEXT;\n' };

describe('the policy pack and Gate 1', { concurrency: true }, () => {
  it('init writes the pack, policy test judges its cases, and Gate 1 denies a migration without rollback and asks a person for CI config', async () => {
    const repo = await packRepo({ ...MIGRATION, '.github/workflows/extra.yml': 'name: extra\non: push\n' });
    // The pack is the repository's now: a tuned file is kept when init runs again.
    const tuned = readFileSync(join(repo.dir, '.autopilot/policies/pack/branches.cedar'), 'utf8').replace(
      '"master"',
      '"trunk"',
    );
    git(repo.dir, ['checkout', '-q', 'main']);
    repo.write('.autopilot/policies/pack/branches.cedar', tuned);
    const again = await repo.run(['--json', 'init', '--policy-pack']);
    assert.equal(again.code, 0, again.stderr);
    const changes = parseOne<{ ok: true; changes: { path: string; action: string }[] }>(again).changes;
    assert.deepEqual(
      changes.filter((c) => c.path.includes('/pack/')).map((c) => c.action),
      Array(9).fill('unchanged'),
    );
    assert.equal(readFileSync(join(repo.dir, '.autopilot/policies/pack/branches.cedar'), 'utf8'), tuned);
    const tested = await repo.run(['--json', 'policy', 'test']);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
    const cases = parseOne<{ ok: true; passed: number; failed: number }>(tested);
    assert.deepEqual([cases.passed > 10, cases.failed], [true, 0]);
    git(repo.dir, ['checkout', '-q', '--', '.']);
    git(repo.dir, ['checkout', '-q', BRANCH]);

    const { code, report, text } = await gate(repo);
    assert.equal(code, 2, text);
    const c = policyCheck(report);
    assert.equal(c.status, 'fail', c.detail);
    const by = new Map((c.policies ?? []).map((p) => [p.policyId, p]));
    assert.deepEqual(by.get('pack.migrations.rollback'), {
      policyId: 'pack.migrations.rollback',
      verdict: 'deny',
      mode: 'enforce',
      on: ['db/migrations/002_add_slug.sql'],
    });
    assert.equal(by.get('pack.ci-config')?.verdict, 'ask');
    assert.deepEqual(by.get('pack.ci-config')?.approvedBy, []);
    assert.match(c.policyDigest ?? '', /^[0-9a-f]{64}$/);
    const problems = report.problems.filter((p) => p.check === 'policy');
    assert.ok(problems.some((p) => p.code === 'VERIFY_FAILED' && /pack\.migrations\.rollback denies/.test(p.reason)));
    assert.ok(problems.some((p) => p.code === 'APPROVAL_REQUIRED' && /pack\.ci-config asks a person/.test(p.reason)));
    assert.match(
      text,
      /✗ policy: .*pack\.migrations\.rollback denies the change \(db\/migrations\/002_add_slug\.sql\)/,
    );
    // policy explain --change: the working tree's change from HEAD, each policy with its file and line.
    repo.write('db/migrations/003_more.sql', 'ALTER TABLE posts ADD COLUMN views INT;\n');
    git(repo.dir, ['add', 'db/migrations/003_more.sql']);
    const explained = await repo.run(['--json', 'policy', 'explain', '--change']);
    assert.equal(explained.code, 0, explained.stdout + explained.stderr);
    const e = parseOne<{
      ok: true;
      decision: string;
      change: { files: { path: string; kind: string; added: number }[] };
      policies: { policyId: string; verdict: string; file: string; line: number; on: string[] }[];
    }>(explained);
    assert.equal(e.decision, 'deny');
    assert.deepEqual(e.change.files, [
      { path: 'db/migrations/003_more.sql', kind: 'migration', added: 1, removed: 0, secrets: 0 },
    ]);
    const rollback = e.policies.find((p) => p.policyId === 'pack.migrations.rollback');
    assert.deepEqual(
      [rollback?.verdict, rollback?.file, rollback?.line, rollback?.on],
      ['deny', '.autopilot/policies/pack/migrations.cedar', 3, ['db/migrations/003_more.sql']],
    );
    const none = await repo.run(['--json', 'policy', 'explain', '--change', '--files', 'src/nothing.js']);
    assert.equal(none.code, 1, none.stdout);
    assert.match(none.stdout + none.stderr, /no change from HEAD in src\/nothing\.js/);
    // The base branch's config is read with its policy files, as the task adopted it: no contract problem.
    assert.deepEqual(
      report.problems.filter((p) => p.code === 'CONFIG_CHANGED'),
      [],
    );
  });

  it('observe: the pack records what it would have decided, and Gate 1 passes', async () => {
    const repo = await packRepo(MIGRATION, (c) => {
      c['policies'] = { overrides: { 'pack.migrations.rollback': 'observe', 'pack.migrations.person': 'observe' } };
    });
    const { report } = await gate(repo);
    const c = policyCheck(report);
    assert.equal(c.status, 'pass', c.detail);
    assert.deepEqual(
      (c.policies ?? [])
        .filter((p) => p.policyId.startsWith('pack.migrations'))
        .map((p) => [p.policyId, p.verdict, p.mode])
        .sort(),
      [
        ['pack.migrations.person', 'ask', 'observe'],
        ['pack.migrations.rollback', 'deny', 'observe'],
      ],
    );
    assert.match(c.detail, /observe: pack\.migrations\.rollback would deny on db\/migrations\/002_add_slug\.sql/);
    assert.equal(report.problems.filter((p) => p.check === 'policy').length, 0, JSON.stringify(report.problems));
    assert.deepEqual(
      report.problems.filter((p) => p.code === 'CONFIG_CHANGED'),
      [],
    );
  });
});
