/**
 * E2E: VERIFY reads the report formats the config names (here node's TAP and
 * lcov through `report:` and `coverage:`), and holds total coverage to the base
 * commit's when a VERIFY in the ledger measured the base commit's tree.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { P, git, makeRepo, type Repo } from './helpers.ts';

interface CoverageDoc {
  changedLines: { percent: number; meetsThreshold: boolean };
  total?: { linesFound: number; linesHit: number; percent: number };
  base?: { tree: string | null; total?: { percent: number }; taskId?: string; seq?: number; note?: string };
}

const coverageDoc = (repo: Repo, taskId: string): CoverageDoc =>
  JSON.parse(readFileSync(join(repo.phaseDir(taskId, 'VERIFY'), 'coverage_report.json'), 'utf8')) as CoverageDoc;

/** The demo's test command, writing TAP instead of JUnit. */
const TAP_RUN = P.TEST_COMMAND.run.map((a) =>
  a === '--test-reporter=junit'
    ? '--test-reporter=tap'
    : a === '--test-reporter-destination=reports/junit.xml'
      ? '--test-reporter-destination=reports/results.tap'
      : a,
);

async function tapRepo(): Promise<Repo> {
  const repo = await makeRepo({
    config: (c) => {
      const commands = c['commands'] as { test: Record<string, unknown> };
      commands.test = {
        run: TAP_RUN,
        timeoutSeconds: 120,
        report: { format: 'tap', path: 'reports/results.tap' },
        coverage: { format: 'lcov', path: 'coverage/lcov.info' },
      };
    },
  });
  // The TAP report is a build output, like the JUnit one: ignored, so no task's diff holds it.
  repo.write('.gitignore', `${readFileSync(repo.path('.gitignore'), 'utf8')}reports/*.tap\n`);
  git(repo.dir, ['add', '-A']);
  git(repo.dir, ['commit', '-q', '-m', 'test reports in TAP']);
  return repo;
}

describe('VERIFY: report formats from the config, total coverage against the base', () => {
  it('reads a TAP test report and an lcov coverage report named by report: and coverage:', async () => {
    const repo = await tapRepo();
    await repo.driveTo('T-1', 'VERIFY');
    const verified = await repo.ok<{
      passed: boolean;
      tests: { total: number; passed: number };
      coverage: { percent: number };
    }>(['verify', 'T-1']);
    assert.equal(verified.passed, true);
    assert.equal(verified.tests.total, 5, 'slug and wordCount tests, from TAP');
    assert.equal(verified.tests.passed, 5);
    const results = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'test_results.json'), 'utf8')) as {
      format: string;
      cases: { name: string; status: string }[];
    };
    assert.equal(results.format, 'tap');
    assert.ok(results.cases.some((c) => c.name === 'counts words separated by single spaces' && c.status === 'passed'));
    const doc = coverageDoc(repo, 'T-1');
    assert.ok(doc.changedLines.percent >= 80);
    assert.ok(doc.total && doc.total.linesFound > 0 && doc.total.percent > 0, 'the total of the whole report');
    assert.match(doc.base?.note ?? '', /no VERIFY in the ledger measured the base commit's tree/);
    const entry = repo
      .ledger('T-1')
      .filter((e) => e.kind === 'verify')
      .at(-1)!;
    assert.match(String(entry.data['tree']), /^[0-9a-f]{40}$/);
    assert.deepEqual(entry.data['totalCoverage'], doc.total);
  });

  it('refuses a change that lowers total coverage below the base commit measured by an earlier VERIFY, and names both figures', async () => {
    const repo = await tapRepo();
    await repo.driveTo('T-1', 'VERIFY');
    await repo.ok(['verify', 'T-1']);
    const measured = coverageDoc(repo, 'T-1').total!;
    const t1Tree = String(
      repo
        .ledger('T-1')
        .filter((e) => e.kind === 'verify')
        .at(-1)!.data['tree'],
    );
    // The verified tree is committed as it is: the next task starts from a base whose coverage the ledger knows.
    git(repo.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
    git(repo.dir, ['commit', '-q', '-m', 'wordCount']);
    await repo.driveTo('T-2', 'IMPLEMENT');
    // The new test runs every line it adds, but no longer calls wordCount: its body goes unrun.
    repo.write(
      'test/count.test.js',
      "import { test } from 'node:test';\nimport '../src/count.js';\n\ntest('loads', () => {});\n",
    );
    await repo.ok(['advance', 'T-2']);
    const err = await repo.refused(['verify', 'T-2'], 'VERIFY_FAILED', 2);
    assert.match(
      err.message,
      new RegExp(
        `total coverage fell from ${measured.percent.toString().replace('.', '\\.')}% at the base commit \\(measured by T-1's VERIFY, ledger entry \\d+\\) to [\\d.]+%`,
      ),
    );
    const doc = coverageDoc(repo, 'T-2');
    assert.equal(doc.base?.tree, t1Tree, "the base commit's tree is the tree T-1 verified");
    assert.equal(doc.base?.taskId, 'T-1');
    assert.equal(doc.base?.total?.percent, measured.percent);
    assert.ok(doc.total!.percent < measured.percent);
    assert.equal(doc.changedLines.meetsThreshold, true, 'changed lines alone would have passed');

    // With verify.baseCoverage: off the same change passes.
    repo.editConfig((c) => void ((c['verify'] as Record<string, unknown>)['baseCoverage'] = 'off'));
    await repo.adoptConfig('T-2');
    const again = await repo.ok<{ passed: boolean }>(['verify', 'T-2']);
    assert.equal(again.passed, true);
    assert.equal(coverageDoc(repo, 'T-2').base, undefined);
  });
});
