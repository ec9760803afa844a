/**
 * E2E: the CI gate checks the person's decision on what VERIFY found in the tests. When the signed VERIFY run a task
 * left VERIFY on recorded findings, the move out of VERIFY must name a verified person's approval given after that
 * run; a move that names none (written by a modified copy holding the installation key) fails the gate with
 * APPROVAL_REQUIRED, and the same history with the person's approval passes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CiGateReport, CiProblem } from '../../src/engine/ci/gate.ts';
import type { Engine } from '../../src/engine/context.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { configDigest } from '../../src/engine/repo/config-digest.ts';
import { checkPhase } from '../../src/engine/evidence/phase-gate.ts';
import { gatherEvidenceContext } from '../../src/engine/evidence/context.ts';
import { git, makeRepo, parseOne, run, tempDir, type CliResult, type Repo } from './helpers.ts';

const BRANCH = 'task/T-1';
const FINDING = {
  kind: 'test-skipped',
  file: 'test/count.test.js',
  line: 12,
  detail: 'the test "runs of white space count once" is skipped',
};

type GateBody =
  ({ ok: true } & CiGateReport) | { ok: false; error: { code: string; message: string; details: CiGateReport } };

async function gate(repo: Repo, start: string, keyId: string): Promise<CliResult & { body: GateBody }> {
  git(repo.dir, ['add', '-A']);
  git(repo.dir, ['commit', '-q', '-m', 'T-1']);
  const dir = tempDir('clone');
  git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
  const r = await run(['--json', '-C', dir, 'gate', '--base', start, '--trusted-keys', keyId]);
  return { ...r, body: parseOne<GateBody>(r) };
}

/** A task in VERIFY after an honest run, then a signed run of the same tree that found a skipped test. */
async function withFindings(): Promise<{ repo: Repo; start: string; run: number }> {
  const repo = await makeRepo();
  const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
  git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
  await repo.driveTo('T-1', 'VERIFY');
  await repo.verify('T-1');
  const run = await repo.withEngine(async (engine) => {
    const [last] = await engine.store.entries({ taskId: 'T-1', kind: 'verify', newestFirst: true, limit: 1 });
    return engine.store.transact(async (tx) => {
      const state = (await tx.getTask('T-1'))!;
      return append(engine, tx, {
        taskId: 'T-1',
        kind: 'verify',
        fromPhase: state.phase,
        toPhase: null,
        actor: 'fixture',
        artifacts: [],
        data: { ...last!.data, findings: [FINDING], findingsTotal: 1 },
      });
    });
  });
  return { repo, start, run: run.seq };
}

/** The move out of VERIFY as a modified copy would write it: everything the engine records but the approval. */
async function moveWithoutApproval(engine: Engine): Promise<number> {
  const state = (await engine.store.getTask('T-1'))!;
  const gateReport = checkPhase(engine, state, state.phase, await gatherEvidenceContext(engine, state, state.phase));
  assert.equal(gateReport.passed, true, JSON.stringify(gateReport.findings));
  const entry = await engine.store.transact((tx) =>
    append(engine, tx, {
      taskId: 'T-1',
      kind: 'transition',
      fromPhase: state.phase,
      toPhase: 'REVIEW',
      actor: 'fixture',
      artifacts: gateReport.artifacts,
      data: { configDigest: configDigest(engine.config), holder: 'fixture' },
    }),
  );
  return entry.seq;
}

describe("the CI gate and a person's decision on what VERIFY found", { concurrency: true }, () => {
  it('a move out of VERIFY that names no approval after a run with findings fails the gate', async () => {
    const { repo, start, run: seq } = await withFindings();
    // The engine itself does not make this move: it asks a person first.
    const asked = await repo.refused(['--holder', 'fixture', 'advance', 'T-1'], 'APPROVAL_REQUIRED', 2);
    assert.match(asked.message, /what VERIFY found in the tests \(test-skipped: /);
    const move = await repo.withEngine(moveWithoutApproval);
    await repo.driveTo('T-1', 'PR');
    const keyId = repo.ledger('T-1')[0]!.keyId;
    const r = await gate(repo, start, keyId);
    assert.equal(r.body.ok, false, r.stdout);
    if (r.body.ok) return;
    const problems = r.body.error.details.problems.filter((p: CiProblem) => p.check === 'decision');
    assert.equal(problems.length, 1, JSON.stringify(r.body.error.details.problems));
    assert.equal(problems[0]!.code, 'APPROVAL_REQUIRED');
    assert.equal(problems[0]!.seq, move);
    assert.match(
      problems[0]!.reason,
      new RegExp(
        `the move VERIFY → REVIEW left VERIFY after its run \\(entry ${seq}\\) found something in the tests \\(test-skipped: the test "runs of white space count once" is skipped\\) and needed a person's approval, and none is recorded for it`,
      ),
    );
  });

  it("the same run with a person's approval after it, named by the move: the gate passes", async () => {
    const { repo, start, run: seq } = await withFindings();
    await repo.refused(['--holder', 'fixture', 'advance', 'T-1'], 'APPROVAL_REQUIRED', 2);
    const decided = await repo.decide({ taskId: 'T-1', decision: 'approve', note: 'the skipped test is flaky' });
    assert.ok(decided.ok, decided.ok ? '' : decided.error.message);
    assert.ok(decided.value.entry.seq > seq);
    await repo.ok(['--holder', 'fixture', 'advance', 'T-1']);
    const moved = repo
      .ledger('T-1')
      .filter((x) => x.kind === 'transition')
      .at(-1)!;
    assert.equal(moved.data['approval'], decided.value.entry.seq);
    await repo.driveTo('T-1', 'PR');
    const r = await gate(repo, start, repo.ledger('T-1')[0]!.keyId);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});
