/**
 * E2E: a refusal of VERIFY or REVIEW says what failed and whose fault it is. A test command that cannot start
 * (a program or a Python module missing) or that stops before its tests (an unknown flag) is the config's or the
 * machine's: fix the config or install the tool, then verify again, with the tool's own last lines. Failing
 * tests are the code's: backtrack. The kind of each failure is in `details.failures`, the way out in
 * `details.remedy` (verify again, or back to the implement phase), which the command line turns into its commands
 * on a line of their own; the code stays VERIFY_FAILED. A linter that is missing or crashes shows its own output
 * in REVIEW's refusal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { P, makeRepo, type Repo } from './helpers.ts';

interface Failure {
  kind: string;
  command: string;
  message: string;
  outputTail?: string;
}

/** Changes the test command mid-task; a person adopts the changed config as T-1's contract. */
async function setTest(repo: Repo, run: string[]): Promise<void> {
  repo.editConfig((c) => {
    const commands = c['commands'] as Record<string, unknown>;
    commands['test'] = { ...(commands['test'] as Record<string, unknown>), run };
  });
  await repo.adoptConfig('T-1');
}

const NOT_THE_CODE =
  /That is the config or the machine, not the code: fix commands\.test in \.autopilot\/config\.yaml or install what is missing, then verify T-1 again/;

/** The command line's own next step, last (on a line of its own after a tool's output): verify again once fixed. */
const VERIFY_AGAIN = /(\nNext: |; )once it is fixed: autopilot verify T-1$/;

describe('what a failed VERIFY or REVIEW says to do', { concurrency: true }, () => {
  it('a test program that is not installed: could not start, fix the config; no backtrack', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY');
    await setTest(repo, ['no-such-test-runner', '--junit']);
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    const failures = err.details['failures'] as Failure[];
    assert.deepEqual(
      failures.map((f) => [f.kind, f.command]),
      [['spawn', 'test']],
    );
    assert.match(err.message, /the test command could not start: /);
    assert.match(err.message, NOT_THE_CODE);
    assert.deepEqual(err.details['remedy'], { retry: 'verify' });
    assert.match(err.message, VERIFY_AGAIN);
    assert.doesNotMatch(err.message, /backtrack/);
  });

  it('python3 -m a module that is not installed: could not start, in the words of the interpreter', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY');
    await setTest(repo, ['python3', '-m', 'no_such_test_module', '--junitxml=reports/junit.xml']);
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    const [failure] = err.details['failures'] as Failure[];
    assert.equal(failure?.kind, 'spawn');
    assert.match(failure?.message ?? '', /python3 has no module no_such_test_module/);
    assert.match(err.message, /test said:\n.*No module named no_such_test_module/);
    assert.match(err.message, NOT_THE_CODE);
  });

  it('a runner that stops before its tests (an unknown flag, a plugin missing): no report, the config is at fault', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY');
    await setTest(repo, [process.execPath, '--no-such-flag-for-node', ...P.TEST_COMMAND.run.slice(1)]);
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    const failures = err.details['failures'] as Failure[];
    assert.deepEqual(
      failures.map((f) => f.kind),
      ['config'],
    );
    assert.match(
      failures[0]!.message,
      /failed \(exit \d+\) without writing its report .*stopped before running the tests/,
    );
    assert.match(err.message, /no-such-flag-for-node/, "node's own complaint is shown");
    assert.match(err.message, NOT_THE_CODE);
  });

  it('failing tests are the code: backtrack to IMPLEMENT; advance says the same', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY', { buggy: true });
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.deepEqual(
      (err.details['failures'] as Failure[]).map((f) => f.kind),
      ['tests'],
    );
    assert.match(err.message, /2 of 5 tests failed\. Fix it in IMPLEMENT: backtrack to it/);
    assert.deepEqual(err.details['remedy'], { backtrackTo: 'IMPLEMENT' });
    assert.match(err.message, /backtrack to it; go back with: autopilot backtrack T-1 --to IMPLEMENT --reason "…"$/);
    assert.doesNotMatch(err.message, /not the code/);
    const again = await repo.refused(['advance', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(again.message, /2 of 5 tests failed\. Fix it in IMPLEMENT/);
    assert.deepEqual(again.details['remedy'], { check: true, backtrackTo: 'IMPLEMENT' });
    assert.match(
      again.message,
      /\nNext: go back with: autopilot backtrack T-1 --to IMPLEMENT --reason "…"; check every finding with: autopilot evidence check T-1$/,
    );
    assert.deepEqual(
      (again.details['failures'] as Failure[]).map((f) => f.kind),
      ['tests'],
    );
  });

  it('REVIEW: a linter that is not installed, or that crashes, shows its own output and says to fix the config', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'REVIEW');
    for (const rubric of P.AGENT_EVIDENCE['REVIEW'] ?? []) await repo.put('T-1', 'REVIEW', rubric[0], rubric[1]);
    const setLint = async (run: string[]) => {
      repo.editConfig((c) => void ((c['commands'] as Record<string, unknown>)['lint'] = { run }));
      await repo.adoptConfig('T-1');
    };

    await setLint(['no-such-linter', '.']);
    let err = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    let failures = err.details['failures'] as Failure[];
    assert.deepEqual(
      failures.map((f) => [f.kind, f.command]),
      [['spawn', 'lint']],
    );
    assert.match(err.message, /the lint command could not start/);
    assert.match(
      err.message,
      /fix commands\.lint in \.autopilot\/config\.yaml or install what is missing, then advance T-1 again/,
    );
    assert.deepEqual(err.details['remedy'], { check: true, retry: 'advance' });
    assert.match(err.message, /\nNext: once it is fixed: autopilot advance T-1; check every finding with/);

    await setLint([
      process.execPath,
      '-e',
      "console.error('lint: cannot read eslint.config.js: Unexpected token'); process.exit(2)",
    ]);
    err = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    failures = err.details['failures'] as Failure[];
    assert.deepEqual(
      failures.map((f) => f.kind),
      ['crash'],
    );
    assert.match(err.message, /the linter failed without a verdict on the code \(exit 2\)/);
    assert.match(err.message, /lint said:\nlint: cannot read eslint\.config\.js: Unexpected token/);

    // A verdict on the code is the code's: back to IMPLEMENT, with what the linter found.
    await setLint([process.execPath, '-e', "console.log('src/count.js:3 no-unused-vars'); process.exit(1)"]);
    err = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    assert.match(err.message, /the linter found problems \(exit 1\)\. Fix it in IMPLEMENT: backtrack to it/);
    assert.match(err.message, /\nNext: go back with: autopilot backtrack T-1 --to IMPLEMENT/);
    assert.match(err.message, /lint said:\nsrc\/count\.js:3 no-unused-vars/);
  });
});
