/**
 * @module A person's allowance of the CI gate's own workflow as a branch changes it: made in the dashboard with a
 * passkey, recorded as a signed `gate_inputs_adopted` entry, and verified by the gate in a fresh clone (the digest of
 * the branch's file, the assertion, and the key the passkey was registered under).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CiGateReport, CiProblem } from '../../src/engine/ci/gate.ts';
import { adoptGateInputs, changedGateInputs } from '../../src/engine/approvals/gate-inputs.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';
import { git, makeRepo, parseOne, run, tempDir, type CliResult } from './helpers.ts';
import { serve } from './dashboard-fixture.ts';
import { registerAtDashboard } from '../helpers/dashboard-passkey.ts';

const BRANCH = 'task/T-1';
const WORKFLOW = '.github/workflows/autopilot-gate.yml';

type GateBody =
  ({ ok: true } & CiGateReport) | { ok: false; error: { code: string; message: string; details: CiGateReport } };

function commit(dir: string, message: string): void {
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message]);
}

function cloneOf(dir: string): string {
  const to = tempDir('clone');
  git(to, ['clone', '-q', '--branch', BRANCH, dir, '.']);
  return to;
}

async function gate(dir: string, args: string[]): Promise<CliResult & { body: GateBody }> {
  const r = await run(['--json', '-C', dir, 'gate', ...args]);
  return { ...r, body: parseOne<GateBody>(r) };
}

async function gateFails(dir: string, code: string, args: string[]): Promise<CiProblem[]> {
  const r = await gate(dir, args);
  assert.equal(r.body.ok, false, `the gate should fail: ${r.stdout}`);
  if (r.body.ok) throw new Error('unreachable');
  assert.equal(r.body.error.code, code, r.body.error.message);
  return r.body.error.details.problems;
}

describe("a person's allowance of the gate's workflow", () => {
  it('made in the dashboard with a passkey, lets the branch change the workflow at exactly that content', async () => {
    const repo = await makeRepo();
    const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
    const original = readFileSync(repo.path(WORKFLOW), 'utf8');
    const changed = `${original}# reviewed: the gate also runs on pushes to release branches\n`;
    repo.write(WORKFLOW, changed);
    commit(repo.dir, 'gate workflow: a comment on release branches');
    await repo.driveTo('T-1', 'STRATEGIZE');

    const s = await serve(repo);
    const at = (path: string) => `http://127.0.0.1:${s.port}${path}`;
    let seq: number;
    try {
      const page = await (await fetch(at('/approvals'))).text();
      assert.match(page, /id="gate-inputs-T-1"/);
      assert.ok(page.includes(WORKFLOW), 'the card names the changed file');
      assert.match(
        page,
        /<button class="btn ok" type="submit" name="decision" value="adopt_gate_inputs">Allow the gate workflow<\/button>/,
      );

      const dana = await registerAtDashboard(s, 'Dana');
      const { decision, challenge } = await dana.prepare('T-1', {
        decision: 'adopt_gate_inputs',
        reason: 'read the workflow change: a comment only',
      });
      assert.deepEqual(
        decision['inputs'],
        [{ path: WORKFLOW, sha256: sha256Hex(changed) }],
        "the person signs the digest of the file's new content",
      );
      const response = dana.key.assert(challenge);
      const done = await dana.post('/api/tasks/T-1/decision', { decision, response });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.match(String(done.body['message']), /Dana allowed the changed gate workflow of T-1/);
      const entry = repo.ledger('T-1').at(-1)!;
      assert.deepEqual(
        [entry.kind, entry.actor, entry.data['inputs'], entry.seq],
        ['gate_inputs_adopted', 'person:Dana', [{ path: WORKFLOW, sha256: sha256Hex(changed) }], done.body['seq']],
      );
      seq = entry.seq;
      const replay = await dana.post('/api/tasks/T-1/decision', { decision, response });
      assert.equal(replay.status, 403, 'the same assertion twice');

      const after = await (await fetch(at('/approvals'))).text();
      assert.doesNotMatch(after, /id="gate-inputs-T-1"/, 'allowed as it is: no card any more');
      assert.ok(after.includes(`gate workflow ${WORKFLOW} allowed by Dana`), 'listed among the recent decisions');
    } finally {
      await s.stop();
    }
    const verified = await repo.json<{ decisions: number }>(['ledger', 'verify']);
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(verified.body.decisions, 1, 'ledger verify checks the passkey assertion too');

    await repo.driveTo('T-1', 'PR');
    commit(repo.dir, 'T-1');
    const keyId = repo.ledger('T-1').find((x) => x.kind === 'gate_inputs_adopted')!.keyId;
    const dir = cloneOf(repo.dir);

    // With the team's key trusted (the CI variable), the allowance verifies and the gate passes, naming it.
    const passed = await gate(dir, ['--base', start, '--trusted-keys', keyId]);
    assert.equal(passed.code, 0, passed.stdout + passed.stderr);
    assert.ok(passed.body.ok);
    if (!passed.body.ok) return;
    assert.deepEqual(passed.body.inputs.workflows, [
      { file: WORKFLOW, sha256: sha256Hex(changed), taskId: 'T-1', seq, by: 'person:Dana' },
    ]);

    // Without it, the passkey was registered under a key the base branch does not hold: the branch's own key could
    // have registered a passkey of its own making, so the allowance counts for nothing.
    const untrusted = await gateFails(dir, 'CONFIG_CHANGED', ['--base', start]);
    assert.equal(untrusted.length, 1, JSON.stringify(untrusted));
    assert.equal(untrusted[0]!.file, WORKFLOW);
    assert.match(
      untrusted[0]!.reason,
      new RegExp(
        `a person allowed it \\(entry ${seq}\\), but with a passkey registered under key ${keyId}, which is neither a trusted key nor committed on the base branch`,
      ),
    );

    // The branch changes the workflow again after the person allowed it: the new content is not what was signed.
    const weaker = changed.replace(/gate --base/, 'gate --help --base');
    assert.notEqual(weaker, changed, 'the workflow runs the gate with --base');
    repo.write(WORKFLOW, weaker);
    commit(repo.dir, 'a gate that never fails');
    const later = await gateFails(cloneOf(repo.dir), 'CONFIG_CHANGED', ['--base', start, '--trusted-keys', keyId]);
    assert.equal(later.length, 1, JSON.stringify(later));
    assert.match(
      later[0]!.reason,
      new RegExp(
        `a person allowed other content of it \\(sha256 ${sha256Hex(changed).slice(0, 12)}…, entry ${seq}\\), not the branch's \\(sha256 ${sha256Hex(weaker).slice(0, 12)}…\\)`,
      ),
    );
  });

  it('an allowance no passkey signed is a forged decision: the gate fails at it and still fails the workflow', async () => {
    const repo = await makeRepo();
    const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
    repo.write(WORKFLOW, `${readFileSync(repo.path(WORKFLOW), 'utf8')}# changed\n`);
    commit(repo.dir, 'gate workflow changed');
    await repo.driveTo('T-1', 'STRATEGIZE');
    // Appended with the installation key but without a person's passkey assertion, as a modified copy could.
    const forged = await repo.withEngine(async (engine) => {
      const state = (await engine.store.getTask('T-1'))!;
      const inputs = await changedGateInputs(engine, state);
      assert.deepEqual(
        inputs.map((i) => i.path),
        [WORKFLOW],
        'changed on the branch before the task started: offered all the same',
      );
      return engine.store.transact((tx) =>
        adoptGateInputs(engine, tx, state, { id: 'person:tester' }, 'nobody decided this', inputs, {}),
      );
    });
    await repo.driveTo('T-1', 'PR');
    commit(repo.dir, 'T-1');
    const keyId = repo.ledger('T-1')[0]!.keyId;

    const problems = await gateFails(cloneOf(repo.dir), 'LEDGER_TAMPERED', ['--base', start, '--trusted-keys', keyId]);
    const decision = problems.find((p) => p.check === 'decision');
    assert.equal(decision?.seq, forged.seq, JSON.stringify(problems));
    assert.match(decision!.reason, /not a person's decision: a person's decision without a passkey assertion/);
    const workflow = problems.find((p) => p.check === 'inputs');
    assert.equal(workflow?.file, WORKFLOW, 'a forged allowance allows nothing');
    assert.match(workflow!.reason, /changes the gate's own workflow/);
  });
});
