/**
 * E2E: no phase passes on nothing. Through the CLI and the MCP server, with node's test runner in the sandbox:
 * a source file no test loads counts every executable line it adds as unrun; source changed without a test that
 * runs it fails VERIFY; test files never count toward changed-lines coverage; tests removed, skipped or focused,
 * coverage-ignore comments added and tests that run a line without checking it (a surviving mutant) each stop the
 * move out of VERIFY until a person decides; an honest change goes through.
 */
import { CHROMIUM_ARGS } from '../../src/surfaces/demo/passkey.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { P, git, makeRepo, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio, type McpSession } from './mcp-helpers.ts';
import { serve } from './dashboard-fixture.ts';
import { decideSoft, registerSoft } from '../helpers/passkey.ts';
import { SLUG_STRING_EVIDENCE, type Evidence } from '../helpers/evidence.ts';
import { chromium } from 'playwright-core';

interface ChangedLinesDoc {
  changedLines: {
    executable: number;
    covered: number;
    percent: number;
    meetsThreshold: boolean;
    files: { path: string; executable: number; covered: number; uncovered: number[]; inReport: boolean }[];
    excluded: { tests: string[]; other: string[] };
  };
}

interface Finding {
  kind: string;
  file: string;
  line?: number;
  test?: string;
  detail: string;
}

interface MutationDoc {
  mutants: { file: string; line: number; operator: string; status: string; replacement: string }[];
  survived: number;
  killed: number;
  score: number | null;
  skipped?: string;
}

const read = <T>(repo: Repo, taskId: string, name: string): T =>
  JSON.parse(readFileSync(join(repo.phaseDir(taskId, 'VERIFY'), name), 'utf8')) as T;

/** The demo's test command, with every test file the tests here add. */
function withTestFiles(files: string[]) {
  return (c: Record<string, unknown>) => {
    const test = (c['commands'] as { test: { run: string[] } }).test;
    test.run = [...P.TEST_COMMAND.run.filter((a) => !a.startsWith('test/')), ...files];
  };
}

/** A new module that no test imports: 4 executable lines among a doc comment, a blank, the function's head, a comment and lone braces. */
const TITLE = `/** Title case for headings. */

export function titleCase(text) {
  // Each word gets a capital letter.
  const words = text.split(' ');
  if (words.length === 0) {
    return '';
  }
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}
`;
/** Lines 5, 6, 7 and 9 of TITLE: the statements istanbul counts. */
const TITLE_EXECUTABLE = [5, 6, 7, 9];

/** A test that runs wordCount on every path and checks nothing it returns. */
const HOLLOW_TEST = `import { test } from 'node:test';
import { wordCount } from '../src/count.js';

test('wordCount runs', () => {
  wordCount('one two');
  wordCount('   ');
});
`;

async function taskAtImplement(repo: Repo, taskId = 'T-1', evidence?: Evidence): Promise<void> {
  await repo.driveTo(taskId, 'IMPLEMENT', evidence ? { evidence } : {});
}

describe('VERIFY: changed-lines coverage counts what no test ran, and only source', { concurrency: 2 }, () => {
  it('a new source file that no test imports counts every executable line it adds as unrun, and VERIFY fails', async () => {
    const repo = await makeRepo();
    await taskAtImplement(repo);
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write('test/count.test.js', P.COUNT_TEST);
    repo.write('src/title.js', TITLE);
    await repo.ok(['advance', 'T-1']);
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(
      err.message,
      /changed-lines coverage is [\d.]+% of \d+ lines, under the 80% threshold \(no test loads src\/title\.js\)/,
    );
    const doc = read<ChangedLinesDoc>(repo, 'T-1', 'coverage_report.json').changedLines;
    const title = doc.files.find((f) => f.path === 'src/title.js');
    assert.ok(title, 'the unloaded file is counted');
    assert.equal(title.inReport, false);
    assert.deepEqual(
      title.uncovered,
      TITLE_EXECUTABLE,
      'blank lines, comments, the import and lone braces are not executable',
    );
    assert.equal(title.covered, 0);
    const count = doc.files.find((f) => f.path === 'src/count.js')!;
    assert.equal(count.inReport, true);
    assert.equal(count.covered, count.executable);
    assert.equal(doc.executable, count.executable + TITLE_EXECUTABLE.length);
    assert.equal(doc.meetsThreshold, false);
    assert.deepEqual(doc.excluded.tests, ['test/count.test.js'], 'the test file is not counted');
    const run = read<{ failures: { kind: string }[] }>(repo, 'T-1', 'verify_run.json');
    assert.deepEqual(
      run.failures.map((f) => f.kind),
      ['coverage'],
    );
  });

  it('source changed with no test that runs it fails VERIFY: tests required for source changes (CLI and MCP)', async () => {
    const repo = await makeRepo({ config: withTestFiles(['test/slug.test.js']) });
    await taskAtImplement(repo);
    repo.write('src/title.js', TITLE);
    await repo.ok(['advance', 'T-1']);
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(
      err.message,
      /tests required for source changes: no test ran any of the 4 executable lines this task adds to src\/title\.js/,
    );
    assert.deepEqual(
      (err.details['failures'] as { kind: string }[]).map((f) => f.kind),
      ['untested'],
    );
    // The CLI's run holds the task's lease: released, the MCP session takes it.
    await repo.ok(['lease', 'release', 'T-1']);
    const session = await connectStdio(repo.dir, 'e2e-agent');
    try {
      const refusal = await callRefused(session.client, 'verify_run', { taskId: 'T-1' }, 'VERIFY_FAILED');
      assert.match(refusal.message, /tests required for source changes/);
      assert.deepEqual(
        (refusal.details['failures'] as { kind: string }[]).map((f) => f.kind),
        ['untested'],
      );
      await callRefused(session.client, 'phase_advance', { taskId: 'T-1' }, 'VERIFY_FAILED');
    } finally {
      await session.close();
    }
    assert.equal(repo.task('T-1')?.phase, 'VERIFY');
  });

  it('an honest change passes: test files do not count, every mutant is killed, and the task moves on without a person', async () => {
    const repo = await makeRepo();
    await taskAtImplement(repo);
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write('test/count.test.js', P.COUNT_TEST);
    await repo.ok(['advance', 'T-1']);
    const verified = await repo.ok<{
      passed: boolean;
      findings: Finding[];
      mutation: { killed: number; survived: number };
    }>(['verify', 'T-1']);
    assert.equal(verified.passed, true);
    assert.deepEqual(verified.findings, []);
    const doc = read<ChangedLinesDoc>(repo, 'T-1', 'coverage_report.json').changedLines;
    assert.deepEqual(
      doc.files.map((f) => f.path),
      ['src/count.js'],
      'only the source file counts',
    );
    assert.deepEqual(doc.excluded.tests, ['test/count.test.js']);
    assert.equal(doc.percent, 100);
    const mutation = read<MutationDoc>(repo, 'T-1', 'mutation_report.json');
    assert.ok(mutation.killed > 0, 'mutants ran');
    assert.equal(mutation.survived, 0);
    assert.equal(mutation.score, 100);
    assert.deepEqual(read<{ findings: Finding[] }>(repo, 'T-1', 'test_inventory.json').findings, []);
    const moved = await repo.ok<{ to: string }>(['advance', 'T-1']);
    assert.equal(moved.to, 'REVIEW');
  });

  it('lines of test files never pad the figure: a change of test files only has nothing to count', async () => {
    const repo = await makeRepo({ config: withTestFiles(['test/slug.test.js', 'test/more.test.js']) });
    // The task's write-up is about slugify, which the new test checks.
    await taskAtImplement(repo, 'T-1', SLUG_STRING_EVIDENCE);
    // The fixture's IMPLEMENT files are replaced: this task adds a test file only.
    repo.write(
      'test/more.test.js',
      "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { slugify } from '../src/slug.js';\n\ntest('slugify keeps digits', () => {\n  assert.equal(slugify('Route 66'), 'route-66');\n});\n",
    );
    await repo.ok(['advance', 'T-1']);
    const verified = await repo.ok<{ passed: boolean }>(['verify', 'T-1']);
    assert.equal(verified.passed, true);
    const doc = read<ChangedLinesDoc>(repo, 'T-1', 'coverage_report.json').changedLines;
    assert.equal(doc.executable, 0, 'no line of a test file counts');
    assert.deepEqual(doc.files, []);
    assert.deepEqual(doc.excluded.tests, ['test/more.test.js']);
    assert.match(read<MutationDoc>(repo, 'T-1', 'mutation_report.json').skipped ?? '', /nothing to mutate/);
  });
});

describe('VERIFY: what a change does to the tests needs a person', { concurrency: 2 }, () => {
  it('a test removed, a test skipped, a coverage-ignore comment: APPROVAL_REQUIRED naming each, until a person approves', async () => {
    const repo = await makeRepo();
    await taskAtImplement(repo);
    repo.write('src/count.js', P.COUNT_FIXED.replace('  const trimmed', '  /* c8 ignore next */\n  const trimmed'));
    repo.write(
      'test/count.test.js',
      P.COUNT_TEST.replace("test('runs of white space", "test.skip('runs of white space"),
    );
    // The second slugify test is deleted.
    const slugTest = readFileSync(repo.path('test/slug.test.js'), 'utf8');
    repo.write('test/slug.test.js', slugTest.slice(0, slugTest.indexOf("test('slugify trims")).trimEnd() + '\n');
    await repo.ok(['advance', 'T-1']);
    const verified = await repo.ok<{ passed: boolean; findings: Finding[] }>(['verify', 'T-1']);
    assert.equal(verified.passed, true, 'the findings are no failure of the run');
    const kinds = verified.findings.map((f) => `${f.kind} ${f.file}`).sort();
    assert.deepEqual(kinds, [
      'coverage-ignore src/count.js',
      'test-removed test/slug.test.js',
      'test-skipped test/count.test.js',
    ]);
    const inventory = read<{ findings: Finding[] }>(repo, 'T-1', 'test_inventory.json').findings;
    assert.equal(inventory.find((f) => f.kind === 'test-removed')?.test, 'slugify trims punctuation at both ends');
    assert.equal(inventory.find((f) => f.kind === 'coverage-ignore')?.line, 3);

    const err = await repo.refused(['advance', 'T-1'], 'APPROVAL_REQUIRED', 2);
    assert.match(err.message, /leaving VERIFY needs a person's decision on what VERIFY found in the tests/);
    assert.match(err.message, /decide with their passkey in the dashboard's approval panel/);
    const reasons = err.details['reasons'] as string[];
    assert.ok(
      reasons.some((r) => r.startsWith('test-removed: the test "slugify trims punctuation at both ends" was removed')),
    );
    assert.ok(reasons.some((r) => r.startsWith('test-skipped: ')));
    assert.ok(reasons.some((r) => r.startsWith('coverage-ignore: a c8 coverage-ignore comment was added')));
    const request = repo
      .ledger('T-1')
      .filter((x) => x.kind === 'approval')
      .at(-1)!;
    assert.equal(request.data['action'], 'requested');
    assert.equal(request.data['by'], 'verify');
    assert.equal(repo.task('T-1')?.phase, 'VERIFY');

    // The terminal records no decision; a person decides with a passkey, and then the move goes through.
    await repo.refused(['approve', 'T-1', '--reason', 'self-approval'], 'APPROVAL_REQUIRED', 2);
    assert.equal(repo.ledger('T-1').filter((x) => x.kind === 'approval').length, 1, 'the terminal recorded nothing');
    const decision = await repo.withEngine(async (engine) => {
      const key = await registerSoft(engine, 'Dana Reviewer');
      const r = await decideSoft(engine, key, {
        taskId: 'T-1',
        decision: 'approve',
        note: 'the trimmed test duplicated another one',
      });
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      return r.value.entry;
    });
    assert.equal(decision.data['answers'], request.seq, "the decision answers VERIFY's request");
    const moved = await repo.ok<{ to: string }>(['advance', 'T-1']);
    assert.equal(moved.to, 'REVIEW');
    const transition = repo
      .ledger('T-1')
      .filter((x) => x.kind === 'transition')
      .at(-1)!;
    assert.equal(transition.data['approval'], decision.seq, "the move names the person's decision it relies on");

    // The dashboard shows the findings on the task's VERIFY evidence, in a real browser.
    const served = await serve(repo);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${served.port}/evidence/T-1`);
      const section = page.locator('#verify-findings');
      assert.match(await section.innerText(), /3 findings: a person decides before the task leaves VERIFY/);
      const rows = await section.locator('tbody tr').allInnerTexts();
      assert.ok(rows.some((r) => /test-removed/.test(r) && /test\/slug\.test\.js/.test(r)));
      assert.ok(rows.some((r) => /test-skipped/.test(r) && /test\/count\.test\.js/.test(r)));
      assert.ok(rows.some((r) => /coverage-ignore/.test(r) && /src\/count\.js:3/.test(r)));
      assert.match(await section.innerText(), /mutation score/);
    } finally {
      await browser.close();
      await served.stop();
    }
  });

  it('a focused test (.only), through MCP: phase_advance is refused with the finding', async () => {
    const repo = await makeRepo();
    await taskAtImplement(repo);
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write(
      'test/count.test.js',
      P.COUNT_TEST.replace("test('empty and white-space-only", "test.only('empty and white-space-only"),
    );
    let session: McpSession | undefined;
    try {
      session = await connectStdio(repo.dir, 'e2e-agent');
      await callOk(session.client, 'phase_advance', { taskId: 'T-1' });
      const verified = await callOk<{ passed: boolean; findings: Finding[] }>(session.client, 'verify_run', {
        taskId: 'T-1',
      });
      assert.equal(verified.passed, true);
      assert.deepEqual(
        verified.findings.map((f) => f.kind),
        ['test-focused'],
      );
      const refusal = await callRefused(session.client, 'phase_advance', { taskId: 'T-1' }, 'APPROVAL_REQUIRED');
      const findings = refusal.details['findings'] as Finding[];
      assert.equal(findings[0]?.kind, 'test-focused');
      assert.equal(findings[0]?.test, 'empty and white-space-only text has no words');
      assert.match(refusal.message, /is focused \(only\)/);
      assert.equal(repo.task('T-1')?.phase, 'VERIFY');
    } finally {
      await session?.close();
    }
  });

  it('tests that ran at the base commit and are left out now (by the test command): a finding, through the CLI and MCP', async () => {
    const repo = await makeRepo();
    await taskAtImplement(repo);
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write('test/count.test.js', P.COUNT_TEST);
    await repo.ok(['advance', 'T-1']);
    await repo.ok(['verify', 'T-1']);
    const t1 = repo
      .ledger('T-1')
      .filter((x) => x.kind === 'verify')
      .at(-1)!;
    assert.ok((t1.data['testCases'] as string[]).includes('slugify trims punctuation at both ends'));
    // The verified tree is committed as it is: the next task's base is a tree whose tests the ledger knows by name.
    git(repo.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
    git(repo.dir, ['commit', '-q', '-m', 'wordCount']);

    // No test file changes: the slugify tests are dropped from the test command (the contract T-2 starts under),
    // which no diff shows.
    repo.editConfig(withTestFiles(['test/count.test.js']));
    await taskAtImplement(repo, 'T-2');
    repo.write('NOTES.md', '# Notes\n\nwordCount counts runs of white space once.\n');
    await repo.ok(['advance', 'T-2']);
    const verified = await repo.ok<{ passed: boolean; findings: Finding[] }>(['verify', 'T-2']);
    assert.equal(verified.passed, true);
    assert.deepEqual(verified.findings.map((f) => f.kind).sort(), ['test-not-run', 'test-not-run']);
    assert.deepEqual(verified.findings.map((f) => f.test).sort(), [
      'slugify lowers case and joins words with dashes',
      'slugify trims punctuation at both ends',
    ]);
    assert.match(
      verified.findings[0]!.detail,
      /ran at the base commit \(T-1's VERIFY, ledger entry \d+\) and does not run now/,
    );
    const inventory = read<{ baseRun?: { taskId: string; tests: number }; findings: Finding[] }>(
      repo,
      'T-2',
      'test_inventory.json',
    );
    assert.equal(inventory.baseRun?.taskId, 'T-1');
    assert.equal(inventory.baseRun?.tests, (t1.data['testCases'] as string[]).length);
    assert.equal(inventory.findings.length, 2);

    await repo.ok(['lease', 'release', 'T-2']);
    const session = await connectStdio(repo.dir, 'e2e-agent');
    try {
      const refusal = await callRefused(session.client, 'phase_advance', { taskId: 'T-2' }, 'APPROVAL_REQUIRED');
      assert.match(refusal.message, /test-not-run: the test "slugify/);
    } finally {
      await session.close();
    }
    assert.equal(repo.task('T-2')?.phase, 'VERIFY');
  });

  it('a test that runs the changed code but checks nothing: a mutant survives, through the CLI and MCP', async () => {
    // Under a mutation threshold the survivor fails VERIFY; without one (the default) it needs a person.
    const repo = await makeRepo({
      config: (c) => void ((c['verify'] as { mutation?: Record<string, unknown> }).mutation = { threshold: 80 }),
    });
    await taskAtImplement(repo);
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write('test/count.test.js', HOLLOW_TEST);
    await repo.ok(['advance', 'T-1']);
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(err.message, /the mutation score is [\d.]+%, under the 80% threshold \(verify\.mutation\.threshold\)/);
    const coverage = read<ChangedLinesDoc>(repo, 'T-1', 'coverage_report.json').changedLines;
    assert.equal(coverage.percent, 100, 'every changed line runs: coverage alone would pass it');
    const mutation = read<MutationDoc>(repo, 'T-1', 'mutation_report.json');
    assert.ok(mutation.survived > 0, `mutants survive: ${JSON.stringify(mutation.mutants)}`);
    const survivor = mutation.mutants.find((m) => m.status === 'survived')!;
    assert.equal(survivor.file, 'src/count.js');

    // A new threshold is a new contract for the task: a person adopts it.
    repo.editConfig((c) => void ((c['verify'] as { mutation: Record<string, unknown> }).mutation['threshold'] = 0));
    await repo.ok(['lease', 'release', 'T-1']);
    const adopted = await repo.decide({
      taskId: 'T-1',
      decision: 'adopt_contract',
      note: 'surviving mutants go to a person, not a threshold',
    });
    assert.ok(adopted.ok, adopted.ok ? '' : adopted.error.message);
    const session = await connectStdio(repo.dir, 'e2e-agent');
    try {
      const verified = await callOk<{ passed: boolean; findings: Finding[]; mutation: { survived: number } }>(
        session.client,
        'verify_run',
        { taskId: 'T-1' },
      );
      assert.equal(verified.passed, true);
      assert.ok(verified.mutation.survived > 0);
      assert.ok(verified.findings.some((f) => f.kind === 'mutant-survived' && f.line === survivor.line));
      const refusal = await callRefused(session.client, 'phase_advance', { taskId: 'T-1' }, 'APPROVAL_REQUIRED');
      assert.match(refusal.message, /mutant-survived: the tests pass with src\/count\.js:\d+ mutated/);
    } finally {
      await session.close();
    }
    assert.equal(repo.task('T-1')?.phase, 'VERIFY');
  });
});
