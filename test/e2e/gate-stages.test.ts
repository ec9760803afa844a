/**
 * E2E: the five gates of `autopilot gate`, on real repositories through the CLI: the named stages in --json and text,
 * CODEOWNERS judged from the base branch (Gate 5), a gate in observe mode that records what it would have blocked and
 * lets the branch through, the per-gate counters `autopilot metrics` shows, and a mode changed mid-task refused as a
 * contract change.
 */
import assert from 'node:assert/strict';
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

/** A repository whose main has CODEOWNERS giving src/ to @alice, and a branch with T-1 taken to PR (it changes src/). */
async function ownedRepo(
  gates?: Record<string, string>,
  edit?: (config: Record<string, unknown>) => void,
): Promise<Repo> {
  const repo = await makeRepo({
    config: (c) => {
      if (gates) c['gates'] = gates;
      edit?.(c);
    },
  });
  // `*.md` would own the task's evidence too, were the state folder's records not left out of Gate 5.
  repo.write('.github/CODEOWNERS', '# owners\nsrc/ @alice\n*.md @docs-team\n');
  commit(repo.dir, 'owners, and the gate modes');
  git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
  await repo.driveTo('T-1', 'PR');
  commit(repo.dir, 'T-1 with its evidence');
  return repo;
}

function clone(repo: Repo): string {
  const dir = tempDir('clone');
  git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
  return dir;
}

const stage = (r: CiGateReport, gate: string): GateStage => {
  const s = r.stages.find((g) => g.gate === gate);
  assert.ok(s, `stage ${gate} in ${JSON.stringify(r.stages.map((g) => g.gate))}`);
  return s;
};
const check = (s: GateStage, name: string) => {
  const c = s.checks.find((x) => x.name === name);
  assert.ok(c, `check ${name} of ${s.gate}: ${JSON.stringify(s.checks)}`);
  return c;
};

describe('the five gates of autopilot gate', { concurrency: true }, () => {
  it("enforced: a changed path whose code owner did not approve fails Gate 5 (APPROVAL_REQUIRED, exit 2), naming CODEOWNERS' line; every stage is reported", async () => {
    const repo = await ownedRepo();
    const dir = clone(repo);
    const r = await run(['--json', '-C', dir, 'gate', '--base', 'origin/main']);
    const body = parseOne<GateBody>(r);
    assert.equal(body.ok, false, r.stdout);
    if (body.ok) return;
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(body.error.code, 'APPROVAL_REQUIRED');
    const report = body.error.details;
    assert.deepEqual(
      report.stages.map((g) => g.gate),
      ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'],
    );
    assert.equal(report.mergeable, false);
    const owners = report.problems.find((p) => p.check === 'owners');
    assert.ok(owners, JSON.stringify(report.problems));
    assert.equal(
      report.problems.filter((p) => p.check === 'owners').length,
      1,
      "no Markdown file is changed but the evidence's, which no one owns",
    );
    assert.equal(owners.file, '.github/CODEOWNERS');
    assert.equal(owners.line, 2);
    assert.match(owners.reason, /src\/\S+ .*owned by @alice/);
    // No forge in the config: people's signed decisions are the only approvals, and the check says so.
    assert.match(owners.reason, /no forge is configured \(pr\.mode resolves to manual\): signed decisions only/);
    const g5 = stage(report, 'g5');
    assert.deepEqual([g5.mode, g5.status, check(g5, 'owners').status], ['enforce', 'fail', 'fail']);
    assert.equal(check(g5, 'approvals').status, 'pass');
    // The checks the gate made before it had stages pass, in their gates.
    const g0 = stage(report, 'g0');
    assert.equal(g0.status, 'pass');
    assert.deepEqual(
      g0.checks.map((c) => [c.name, c.status]),
      [
        ['bundles', 'pass'],
        ['process', 'pass'],
        ['contract', 'pass'],
        ['commands', 'pass'],
      ],
    );
    assert.match(check(g0, 'commands').detail, /test \(\S*node\)/);
    assert.equal(check(stage(report, 'g1'), 'secrets').status, 'pass');
    // Leaving PLAN and THINK recorded grounding.json, whose citations resolve.
    assert.equal(check(stage(report, 'g2'), 'grounding').status, 'pass', 'grounding.json recorded and passed');
    assert.equal(stage(report, 'g2').status, 'pass');
    const g3 = stage(report, 'g3');
    assert.equal(check(g3, 'tests').status, 'pass');
    assert.match(check(g3, 'tests').detail, /T-1 ran \d+ tests, none failed/);
    assert.equal(check(g3, 'rollback').status, 'not_evaluated');
    // The gate failed before the re-run, which it does not run then.
    const rerun = check(stage(report, 'g4'), 'rerun');
    assert.equal(rerun.status, 'not_evaluated');
    assert.match(rerun.detail, /already failed/);

    const text = await run(['-C', dir, 'gate', '--base', 'origin/main']);
    assert.equal(text.code, 2);
    assert.match(text.stdout + text.stderr, /✗ Gate 5 code owners and approvals: fail/);
    assert.match(
      text.stdout + text.stderr,
      /✓ Gate 2 grounding: pass\n\s+✓ grounding: T-1: \d+\/\d+ citations resolve/,
    );
    assert.match(text.stdout + text.stderr, /not mergeable/);
  });

  it('observe: Gate 5 records what it would have blocked, the branch passes and is mergeable; autopilot metrics counts each gate', async () => {
    const repo = await ownedRepo({ g5: 'observe' });
    const r = await run(['--json', '-C', repo.dir, 'gate', '--base', 'main']);
    const body = parseOne<GateBody>(r);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(body.ok);
    if (!body.ok) return;
    assert.deepEqual(body.problems, []);
    assert.equal(body.mergeable, true);
    const g5 = stage(body, 'g5');
    assert.deepEqual([g5.mode, g5.status, check(g5, 'owners').status], ['observe', 'would_block', 'fail']);
    assert.equal(body.relaxed.length, 1, JSON.stringify(body.relaxed));
    assert.deepEqual(
      [body.relaxed[0]!.gate, body.relaxed[0]!.mode, body.relaxed[0]!.check, body.relaxed[0]!.code],
      ['g5', 'observe', 'owners', 'APPROVAL_REQUIRED'],
    );
    // With nothing failing before it, the re-run ran (Gate 4) and passed.
    assert.equal(check(stage(body, 'g4'), 'rerun').status, 'pass');
    assert.equal(stage(body, 'g4').status, 'pass');

    const m = parseOne<{
      counters: Record<string, number>;
      breakdown: { name: string; value: number; attributes: Record<string, string> }[];
    }>(await run(['--json', '-C', repo.dir, 'metrics']));
    assert.equal(m.counters['gate_evaluations'], 6);
    assert.equal(m.counters['gate_would_block'], 1);
    assert.equal(m.counters['gate_blocks'], 0);
    assert.deepEqual(
      m.breakdown.filter((p) => p.name === 'gate_would_block').map((p) => [p.value, p.attributes['gate']]),
      [[1, 'g5']],
    );
    const text = await run(['-C', repo.dir, 'metrics']);
    assert.match(text.stdout, /gate_would_block\s+1/);
  });

  it("off: Gate 5's owners check decides nothing; a smoke command whose program is missing fails Gate 0 in observe; a mode changed mid-task is CONFIG_CHANGED naming gates", async () => {
    // The smoke commands run in MONITOR only, so the task reaches PR; Gate 0 finds the program missing all the same.
    const repo = await ownedRepo({ g5: 'off', g0: 'observe' }, (c) => {
      const commands = c['commands'] as { smoke: unknown[] };
      commands.smoke.push({ name: 'missing', run: ['no-such-program-for-the-gate'] });
    });
    const r = await run(['--json', '-C', clone(repo), 'gate', '--base', 'origin/main']);
    const body = parseOne<GateBody>(r);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(body.ok);
    if (!body.ok) return;
    const g5 = stage(body, 'g5');
    assert.deepEqual([g5.mode, g5.status, check(g5, 'owners').status], ['off', 'off', 'not_evaluated']);
    assert.deepEqual(
      body.relaxed.map((p) => [p.gate, p.mode, p.check]),
      [
        ['g0', 'observe', 'onboarding'],
        ['g5', 'off', 'owners'],
      ],
    );
    const g0 = stage(body, 'g0');
    assert.deepEqual([g0.status, check(g0, 'commands').status], ['would_block', 'fail']);
    assert.match(body.relaxed[0]!.reason, /smoke missing command runs "no-such-program-for-the-gate"/);

    // T-2 starts under g5: off; a person's mode is part of its contract, so turning the gate on is a contract change.
    git(repo.dir, ['checkout', '-q', 'main']);
    await repo.driveTo('T-2', 'STRATEGIZE');
    repo.editConfig((c) => void ((c['gates'] as Record<string, string>)['g5'] = 'enforce'));
    const refused = await repo.refusedUnchanged(['advance', 'T-2'], 'CONFIG_CHANGED', 2, {
      taskId: 'T-2',
      violation: true,
    });
    assert.deepEqual(refused.details['keys'], ['gates.g5']);
  });
});
