/**
 * E2E, one real project per test runner that installs from npm or Debian (vitest on TypeScript, jest, mocha
 * under c8, node:test, pytest with pytest-cov, unittest through tox's setup, `go test` with its cover profile):
 * the real `autopilot init` detects the commands, the first task is refused until init's files are committed, a
 * task is taken to VERIFY with a one-line change, and `autopilot verify` runs the detected commands in the sandbox
 * (one project with `sandbox.mode: off`). The totals and coverage it records are checked against the tool's
 * own report, parsed here independently, from a run of the same command outside Autopilot.
 *
 * Four of them (TypeScript with vitest, mocha, pytest, Go) then go on as a new user's team would: the waivers
 * init suggests uncommented and committed on main with init's files, the task on a branch of its own, a person's
 * passkey approval for each move that relies on a waiver, the task to DONE, its evidence and bundle committed,
 * and `autopilot gate` in CI mode (`CI=true`, the installation's key id as `AUTOPILOT_TRUSTED_KEYS`) on a fresh
 * clone of the branch, which must pass with nothing else done by hand.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { advance } from '../../src/engine/task/advance.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { taskDiff } from '../../src/engine/evidence/producers/diff.ts';
import { ROOT, Repo, git, run, sourceFile, tempDir, writeFile, type ErrorBody } from './helpers.ts';
import type { CiGateReport } from '../../src/engine/ci/gate.ts';

/** Node first, then Debian's own folders: Debian's python3 (with pytest and pytest-cov) and go, whatever else PATH has. */
const PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
const ENV = () => ({ HOME: tempDir('home'), AUTOPILOT_HOOK_DAEMON: '0', PATH });

interface Project {
  /** Files of the project: a function and its tests. */
  readonly files: Record<string, string>;
  /** The one-line change the task makes: [file, from, to]. */
  readonly change: readonly [string, string, string];
  /** Symlink this repository's node_modules into it, so that nothing is installed per test. */
  readonly node?: boolean;
}

interface TestCommand {
  run: string[];
  junit?: string;
  lcov?: string;
  report?: { format: string; path: string };
  coverage?: { format: string; path: string; modulePrefix?: string };
}

interface Totals {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
}

interface CoverageDoc {
  changedLines: { percent: number; meetsThreshold: boolean; files?: { path: string }[] };
  total: { linesFound: number; linesHit: number; percent: number };
}

/** A git repository holding the project, committed, with Autopilot set up by the real `autopilot init`. */
async function initialised(name: string, project: Project): Promise<{ repo: Repo; test: TestCommand; keyId: string }> {
  const dir = tempDir(name);
  for (const [rel, text] of Object.entries(project.files)) writeFile(dir, rel, text);
  // A symlink is no folder to git: `node_modules/` would not match it.
  writeFile(dir, '.gitignore', project.node ? 'node_modules\n' : '');
  if (project.node) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `${name}: a function and its tests`]);
  const repo = new Repo(dir);
  const { keyId } = await repo.ok<{ keyId: string }>(['init'], { env: ENV() });
  const config = readFileSync(repo.configFile, 'utf8');
  const { parse } = await import('yaml');
  const test = (parse(config) as { commands: { test?: TestCommand } }).commands.test;
  assert.ok(test, `init detected a test command for ${name}:\n${config}`);
  return { repo, test, keyId };
}

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }, what: string) => {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
};

/**
 * The agent's evidence for the one-line change of `file`: the early return of clamp's upper bound made inclusive
 * (a value at the bound returns the bound at once; what clamp returns is the same), phase by phase as
 * [file name, content].
 */
function clampEvidence(file: string): Record<string, readonly (readonly [string, string])[]> {
  return {
    STRATEGIZE: [
      [
        'strategy.md',
        `# Strategy: an inclusive upper bound in clamp

## Problem
clamp compares the value with the upper bound strictly, so a value equal to the bound falls through to the last return instead of taking the bound's early return, which reads as if the bound were excluded.

## Objectives
- Make the upper bound's early return inclusive, so that the code says what clamp means.
- Keep every result of clamp exactly as it is today.

## Scope
The one comparison of the upper bound in ${file}, and nothing else in the module or its tests.

## Non-goals
The lower bound, the add function, argument checks for a lower bound above the upper one, and new tests are left for later tasks.

## Risks
A slip of the comparison could change results at the bound; the existing tests pin values below, above and inside the range.

## Strategy
Change the strict comparison to an inclusive one, run the existing tests with coverage, and check that the changed line is run.
`,
      ],
    ],
    SPEC: [
      [
        'spec.md',
        `# Spec: clamp's upper bound

## Acceptance Criteria
- In ${file}, clamp returns the upper bound for a value equal to it, through the bound's early return.
- clamp returns the same results as before for values below, inside and above the range.
- The existing tests pass unchanged.

## KPIs
Every existing test passes; the changed line is covered by the tests.
`,
      ],
    ],
    PLAN: [
      [
        'plan.md',
        `# Plan

## Work Breakdown
1. Change the comparison of the upper bound in ${file} from strict to inclusive.
2. Run the existing tests with coverage and read the changed-lines figure.
`,
      ],
      [
        'file_map.json',
        JSON.stringify(
          { files: [{ path: file, change: 'modify', why: "clamp's upper bound: an inclusive early return" }] },
          null,
          2,
        ),
      ],
    ],
    THINK: [
      [
        'edge_cases.md',
        `# Edge cases

## Edge Cases
- A value exactly at the upper bound.
- A value just above the upper bound.
- A range whose lower and upper bounds are equal.

## Mitigations
- At the bound, both the old and the new code return the bound: the result does not change.
- Above the bound the early return is taken as before, and the test of values above the range pins it.
- With equal bounds the lower bound's check comes first, as before, so the result stays the bound.
`,
      ],
    ],
    REVIEW: [
      [
        'review_rubric.json',
        JSON.stringify(
          {
            dimensions: {
              readability: { pass: true, notes: 'The inclusive comparison says that the bound belongs to the range.' },
              maintainability: { pass: true, notes: 'One operator changed; no new code paths, no new dependencies.' },
              performance: { pass: true, notes: 'The same single comparison as before.' },
              security: { pass: true, notes: 'A pure function on numbers: no input parsing, no I/O.' },
              governance: { pass: true, notes: 'Each phase passed with its evidence; the diff is the file map.' },
            },
          },
          null,
          2,
        ),
      ],
    ],
    PR: [
      [
        'pr_template_filled.md',
        `# clamp: an inclusive upper bound

## Summary
Makes the early return of clamp's upper bound inclusive in ${file}, so that a value at the bound takes it; every result stays the same.

## Risks
None expected: at the bound both forms return the bound.

## Rollback
Revert the commit; nothing else depends on it.
`,
      ],
      ['pr_url.txt', 'https://git.example.com/calc/pull/1\n'],
    ],
  };
}

/** Uncomments the waivers init suggested for the checks it left unconfigured, as its comment on `waive:` says to. */
function uncommentWaivers(repo: Repo): string[] {
  const lines = readFileSync(repo.configFile, 'utf8').split('\n');
  const waived: string[] = [];
  let inWaive = false;
  const out = lines.map((line) => {
    if (/^# waive:$/.test(line) || /^waive:$/.test(line)) {
      inWaive = true;
      return 'waive:';
    }
    const m = /^(?:# {3}| {2}# )([a-z]+): (".*")$/.exec(line);
    if (inWaive && m) {
      waived.push(m[1]!);
      return `  ${m[1]}: ${m[2]}`;
    }
    if (!/^ {2}\S/.test(line)) inWaive = false;
    return line;
  });
  writeFileSync(repo.configFile, out.join('\n'));
  return waived;
}

/**
 * The first task: refused while init's files are uncommitted (nothing changes), started once they are; taken
 * to VERIFY with honest evidence and the project's one-line change; then `autopilot verify`. With `branch`,
 * as a team would: the waivers init suggests are uncommented and committed on main with init's files, and the
 * task starts on that branch.
 */
async function verifyTask(
  repo: Repo,
  project: Project,
  opts: { branch?: string } = {},
): Promise<{ tests: Totals; coverage: CoverageDoc }> {
  if (opts.branch) {
    // init's next steps name the checks a person must decide; here, the waivers it suggests are true.
    const { stdout } = await repo.run(['init'], { env: ENV() });
    const undecided = /decide what init left unconfigured \(([a-z, ]+)\)/.exec(stdout)?.[1]?.split(', ');
    assert.ok(undecided?.length, `init's next steps name the checks left to decide:\n${stdout}`);
    assert.deepEqual(uncommentWaivers(repo), undecided, 'each has a waiver to uncomment');
    assert.deepEqual((await repo.ok<{ undecided: string[] }>(['init'], { env: ENV() })).undecided, []);
    // The change keeps every result of clamp, so StrykerJS's mutant that turns `>=` back into `>` is equivalent: it
    // survives, rightly, and would need a person. These projects go to a green gate with waivers only: Autopilot's
    // own mutation (the condition negated) is killed. Stryker on these runners is tested in mutation-stryker.test.ts.
    repo.editConfig((c) => {
      const verify = (c['verify'] ??= {}) as { mutation?: Record<string, unknown> };
      verify.mutation = { ...verify.mutation, engine: 'autopilot' };
    });
  }
  const refused = await repo.refusedUnchanged(['task', 'start', 'T-1'], 'CONFIG_INVALID', 1, { violation: false });
  assert.match(refused.message, /git add \.autopilot\/config\.yaml .*&& git commit/);
  git(repo.dir, ['add', '-A']);
  git(repo.dir, ['commit', '-q', '-m', 'Set up Autopilot']);
  if (opts.branch) git(repo.dir, ['checkout', '-q', '-b', opts.branch]);
  await repo.ok(['task', 'start', 'T-1', '--title', 'a one-line change'], { env: ENV() });
  const evidence = clampEvidence(project.change[0]);
  await repo.fixture('T-1', async (engine, actor) => {
    for (const phase of ['STRATEGIZE', 'SPEC', 'PLAN', 'THINK']) {
      for (const [name, content] of evidence[phase] ?? [])
        must(await putEvidence(engine, actor, { taskId: 'T-1', phase, name, content: Buffer.from(content) }), name);
      must(await advance(engine, actor, { taskId: 'T-1' }), `advance from ${phase}`);
    }
    const [file, from, to] = project.change;
    const text = readFileSync(repo.path(file), 'utf8');
    assert.ok(text.includes(from), `${file} has the line to change`);
    repo.write(file, text.replace(from, to));
    must(await advance(engine, actor, { taskId: 'T-1' }), 'advance from IMPLEMENT');
  });
  const modified = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'IMPLEMENT'), 'modified_files.json'), 'utf8')) as {
    files: { path: string }[];
  };
  assert.deepEqual(
    modified.files.map((f) => f.path),
    [project.change[0]],
    "the task's diff holds its change only, none of init's files",
  );
  const r = await repo.json<{ ok: boolean; passed?: boolean; error?: { message: string } }>(['verify', 'T-1'], {
    env: ENV(),
  });
  const log = readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'build_output.log'), 'utf8');
  assert.equal(r.code, 0, `verify: ${r.stdout}\n${log}`);
  const read = <T>(name: string) => JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), name), 'utf8')) as T;
  return {
    tests: read<{ totals: Totals }>('test_results.json').totals,
    coverage: read<CoverageDoc>('coverage_report.json'),
  };
}

/**
 * Runs the configured test command in the repository itself, outside Autopilot, as a person would (making the
 * report folders first: node --test does not).
 */
function runDirectly(repo: Repo, test: TestCommand): void {
  for (const p of [test.junit, test.lcov, test.report?.path, test.coverage?.path])
    if (p) mkdirSync(dirname(repo.path(p)), { recursive: true });
  execFileSync(test.run[0]!, test.run.slice(1), {
    cwd: repo.dir,
    env: { PATH, HOME: tempDir('home'), CI: 'true', GOCACHE: tempDir('gocache'), GOMODCACHE: tempDir('gomod') },
    stdio: 'pipe',
  });
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Test cases in a JUnit file, and how many failed: walking every testsuite, nested or not. */
function junitCases(text: string): { total: number; failed: number } {
  let total = 0;
  let failed = 0;
  const walk = (suite: Record<string, unknown>) => {
    for (const c of list(suite['testcase'] as Record<string, unknown>[] | undefined)) {
      total++;
      if (c['failure'] !== undefined || c['error'] !== undefined) failed++;
    }
    for (const key of ['testsuites', 'testsuite'])
      for (const s of list(suite[key] as Record<string, unknown>[] | undefined)) walk(s);
  };
  walk(xml.parse(text) as Record<string, unknown>);
  return { total, failed };
}

/**
 * lcov's own line data: each DA record a line, run when its count is above 0. (Not LF/LH: coverage.py 6.x
 * gives an empty file `DA:0,1`, `LF:0`, `LH:1`.) The LF sums must agree with the DA lines of real lines.
 */
function lcovTotals(text: string): { linesFound: number; linesHit: number } {
  let linesFound = 0;
  let linesHit = 0;
  let lf = 0;
  for (const line of text.split('\n')) {
    const da = /^DA:(\d+),(\d+)/.exec(line);
    if (da && da[1] !== '0') {
      linesFound++;
      if (Number(da[2]) > 0) linesHit++;
    }
    if (line.startsWith('LF:')) lf += Number(line.slice(3));
  }
  assert.equal(lf, linesFound, "the tool's LF totals count the same lines");
  return { linesFound, linesHit };
}

/** A Go cover profile as lines: every line of a block with statements is executable, and run when a block over it ran. */
function goProfileTotals(text: string): { linesFound: number; linesHit: number } {
  const lines = new Map<string, number>();
  for (const row of text.split('\n').slice(1)) {
    const m = /^(.+):(\d+)\.\d+,(\d+)\.\d+ (\d+) (\d+)$/.exec(row.trim());
    if (!m || m[4] === '0') continue;
    for (let l = Number(m[2]); l <= Number(m[3]); l++) {
      const key = `${m[1]}:${l}`;
      lines.set(key, Math.max(lines.get(key) ?? 0, Number(m[5])));
    }
  }
  return { linesFound: lines.size, linesHit: [...lines.values()].filter((c) => c > 0).length };
}

/** `go test -json`'s own count: the pass and fail events of tests. */
function goTestCases(text: string): { total: number; failed: number } {
  let total = 0;
  let failed = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const ev = JSON.parse(line) as { Action?: string; Test?: string };
    if (!ev.Test || (ev.Action !== 'pass' && ev.Action !== 'fail')) continue;
    total++;
    if (ev.Action === 'fail') failed++;
  }
  return { total, failed };
}

/** Checks what VERIFY recorded against the tool's own reports from a run outside Autopilot. */
function assertAgainstTool(
  repo: Repo,
  test: TestCommand,
  recorded: { tests: Totals; coverage: CoverageDoc },
  expectedTests: number,
): void {
  runDirectly(repo, test);
  const reportPath = test.junit ?? test.report!.path;
  const reportText = readFileSync(repo.path(reportPath), 'utf8');
  const own = test.report?.format === 'go-json' ? goTestCases(reportText) : junitCases(reportText);
  assert.deepEqual(own, { total: expectedTests, failed: 0 }, "the tool's own report counts the tests written");
  assert.equal(recorded.tests.total, own.total);
  assert.equal(recorded.tests.passed, own.total);
  assert.equal(recorded.tests.failed + recorded.tests.errors, 0);
  const coveragePath = test.lcov ?? test.coverage!.path;
  const coverageText = readFileSync(repo.path(coveragePath), 'utf8');
  const totals = test.coverage?.format === 'go' ? goProfileTotals(coverageText) : lcovTotals(coverageText);
  assert.ok(totals.linesFound > 0, 'the tool measured lines');
  assert.deepEqual(
    { linesFound: recorded.coverage.total.linesFound, linesHit: recorded.coverage.total.linesHit },
    totals,
    "total coverage is the tool's own",
  );
  assert.equal(recorded.coverage.changedLines.percent, 100, 'the changed line is run by the tests');
  assert.equal(recorded.coverage.changedLines.meetsThreshold, true);
}

/** The branch a task is worked on where it goes to the gate. */
const BRANCH = 'task/T-1';

type GateBody =
  ({ ok: true } & CiGateReport) | { ok: false; error: { code: string; message: string; details: CiGateReport } };

/**
 * From VERIFY to DONE, as the agent and a person would: the agent's evidence of each phase, then the move; where
 * a move relies on a waived check, Autopilot refuses it (APPROVAL_REQUIRED, the waiver as the reason) and a person
 * approves with their passkey. Returns the waived checks the person approved, in order.
 */
async function finishTask(repo: Repo, project: Project): Promise<string[]> {
  const evidence = clampEvidence(project.change[0]);
  const approved: string[] = [];
  for (let moves = 0; ; moves++) {
    assert.ok(moves < 12, 'the task reaches DONE');
    const state = repo.task('T-1')!;
    if (state.status === 'done') return approved;
    // The agent, on the command line as `autopilot verify` was (the same lease holder).
    // REVIEW is not self-review: the rubric comes from a second hand, in the reviewer role.
    for (const [name, content] of evidence[state.phase] ?? []) {
      const hand = name === 'review_rubric.json' ? ['--holder', 'reviewer-1', '--role', 'reviewer'] : [];
      await repo.ok([...hand, 'evidence', 'add', 'T-1', state.phase, sourceFile(name, content)], { env: ENV() });
    }
    const r = await repo.json<ErrorBody | { ok: true }>(['advance', 'T-1'], { env: ENV() });
    if (r.body.ok) continue;
    const { error } = r.body;
    assert.equal(error.code, 'APPROVAL_REQUIRED', `advance from ${state.phase}: ${error.message}`);
    assert.match(error.message, /relies on a waived check/, `only waivers need a person here: ${error.message}`);
    const reasons = error.details['reasons'] as string[];
    approved.push(...reasons.map((x) => /^waiver: (\w+)/.exec(x)?.[1] ?? x));
    // A person, with their passkey.
    must(
      await repo.decide({ taskId: 'T-1', decision: 'approve', note: `the waiver stands: ${reasons.join('; ')}` }),
      'approve',
    );
  }
}

/**
 * The finished task's work, evidence and bundle committed on its branch; the branch cloned to a fresh folder
 * (node projects get their dependencies there, as CI's install step does); `autopilot gate` run there in CI mode
 * with the installation's key as the only trusted one and the base the pull request would have: it must pass.
 */
async function gateOnClone(repo: Repo, project: Project, branch: string, keyId: string): Promise<CiGateReport> {
  git(repo.dir, ['add', '-A']);
  git(repo.dir, ['commit', '-q', '-m', 'T-1: an inclusive upper bound in clamp, with its evidence']);
  assert.equal(git(repo.dir, ['status', '--porcelain']), '', 'everything the task wrote is committed or ignored');
  const base = git(repo.dir, ['rev-parse', 'main']).trim();
  const dir = tempDir('clone');
  git(dir, ['clone', '-q', '--branch', branch, repo.dir, '.']);
  assert.equal(existsSync(join(dir, '.autopilot', 'autopilot.db')), false, 'the clone has no store');
  assert.equal(existsSync(join(dir, '.autopilot', 'keys')), false, 'nor the private key');
  if (project.node) {
    // The install step of the job init wrote, which this symlink stands in for (nothing is downloaded here).
    const job = readFileSync(join(dir, '.github', 'workflows', 'autopilot-gate.yml'), 'utf8');
    assert.match(job, /^ {6}- run: npm install$/m, 'the CI job installs the dependencies the tests need');
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  }
  const r = await run(['--json', '-C', dir, 'gate', '--base', base], {
    env: { ...ENV(), CI: 'true', AUTOPILOT_TRUSTED_KEYS: keyId },
  });
  const body = JSON.parse(r.stdout) as GateBody;
  assert.equal(r.code, 0, `the gate passes on a fresh clone:\n${r.stdout}\n${r.stderr}`);
  assert.ok(body.ok);
  assert.equal(body.passed, true);
  assert.deepEqual(body.problems, []);
  // The installation's public key is first committed with the task's bundle: new on the branch, and trusted.
  assert.deepEqual(body.keys, [{ keyId, new: true, trusted: true }]);
  assert.equal(body.tasks.length, 1);
  return body;
}

/**
 * After VERIFY: the task to DONE, with a person's approval of each waived check it relied on (`expected`, in
 * order), then the gate on a fresh clone, which re-runs VERIFY and reports the waivers.
 */
async function toGreenGate(repo: Repo, project: Project, keyId: string, expected: string[]): Promise<void> {
  assert.deepEqual(await finishTask(repo, project), expected, 'the waived checks a person approved');
  const report = await gateOnClone(repo, project, BRANCH, keyId);
  const [task] = report.tasks;
  assert.equal(task?.taskId, 'T-1');
  assert.equal(task.status, 'done');
  assert.equal(task.contract?.source, 'task', "judged by the contract the task adopted, main's config");
  assert.deepEqual([...new Set(task.waivers?.map((w) => w.check))], expected, 'the report lists the waivers');
  assert.ok(!('skipped' in task.verify), `VERIFY is run again: ${JSON.stringify(task.verify)}`);
  if ('skipped' in task.verify) return;
  assert.equal(task.verify.passed, true);
  assert.equal(task.verify.sameCode, true);
  assert.deepEqual(task.verify.tests, task.verify.recorded);
}

const JS_CALC = `export function add(a, b) {
  return a + b;
}

export function clamp(x, lo, hi) {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}
`;
const TS_CALC = JS_CALC.replace('add(a, b)', 'add(a: number, b: number): number').replace(
  'clamp(x, lo, hi)',
  'clamp(x: number, lo: number, hi: number): number',
);
const TS_CHANGE = ['src/calc.ts', '  if (x > hi) return hi;', '  if (x >= hi) return hi;'] as const;
const CJS_CALC = JS_CALC.replace(/export function/g, 'function') + 'module.exports = { add, clamp };\n';
const JS_CHANGE = ['src/calc.js', '  if (x > hi) return hi;', '  if (x >= hi) return hi;'] as const;

/** Three tests, for frameworks with describe/it (vitest, jest, mocha); `header` brings in the functions. */
const jsTests = (header: string) => `${header}
describe('calc', () => {
  it('adds', () => {
    if (add(2, 3) !== 5) throw new Error('2 + 3');
  });
  it('clamps below and above', () => {
    if (clamp(-1, 0, 10) !== 0 || clamp(11, 0, 10) !== 10) throw new Error('clamp');
  });
  it('keeps what is in range', () => {
    if (clamp(5, 0, 10) !== 5) throw new Error('in range');
  });
});
`;

const pkg = (extra: Record<string, unknown>) =>
  JSON.stringify({ name: 'calc', version: '1.0.0', private: true, ...extra }, null, 2);

const PY_CALC = `def add(a, b):
    return a + b


def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
`;
const PY_CHANGE = ['calc.py', '    if x > hi:', '    if x >= hi:'] as const;

describe('a real project per test runner: init, a task to VERIFY, figures against the tool', { concurrency: 2 }, () => {
  it('vitest on TypeScript with @vitest/coverage-v8, in the sandbox, then to DONE and a green gate on a fresh clone', async () => {
    const project: Project = {
      node: true,
      files: {
        'package.json': pkg({
          type: 'module',
          scripts: { test: 'vitest run' },
          devDependencies: { vitest: '4.1.12', '@vitest/coverage-v8': '4.1.12', typescript: '5.9.3' },
        }),
        'tsconfig.json': JSON.stringify(
          {
            compilerOptions: {
              strict: true,
              module: 'nodenext',
              target: 'es2022',
              noEmit: true,
              allowImportingTsExtensions: true,
              types: [],
            },
          },
          null,
          2,
        ),
        'src/calc.ts': TS_CALC,
        'test/calc.test.ts': jsTests(
          "import { describe, it } from 'vitest';\nimport { add, clamp } from '../src/calc.ts';",
        ),
      },
      change: TS_CHANGE,
    };
    const { repo, test, keyId } = await initialised('vitest', project);
    assert.deepEqual(test.run.slice(0, 3), ['npx', 'vitest', 'run']);
    const recorded = await verifyTask(repo, project, { branch: BRANCH });
    assertAgainstTool(repo, test, recorded, 3);
    await toGreenGate(repo, project, keyId, ['lint', 'ci', 'smoke']);
  });

  it('jest with jest-junit, in the sandbox', async () => {
    const project: Project = {
      node: true,
      files: {
        'package.json': pkg({
          scripts: { test: 'jest' },
          devDependencies: { jest: '30.5.2', 'jest-junit': '17.0.0' },
        }),
        'src/calc.js': CJS_CALC,
        'test/calc.test.js': jsTests("const { add, clamp } = require('../src/calc.js');"),
      },
      change: JS_CHANGE,
    };
    const { repo, test } = await initialised('jest', project);
    assert.deepEqual(test.run.slice(0, 2), ['npx', 'jest']);
    const recorded = await verifyTask(repo, project);
    assertAgainstTool(repo, test, recorded, 3);
  });

  it('mocha with mocha-junit-reporter under c8, in the sandbox, then to DONE and a green gate on a fresh clone', async () => {
    const project: Project = {
      node: true,
      files: {
        'package.json': pkg({
          scripts: { test: 'mocha' },
          devDependencies: { mocha: '11.8.0', 'mocha-junit-reporter': '2.2.1', c8: '12.0.0' },
        }),
        'src/calc.js': CJS_CALC,
        'test/calc.test.js': jsTests("const { add, clamp } = require('../src/calc.js');"),
      },
      change: JS_CHANGE,
    };
    const { repo, test, keyId } = await initialised('mocha', project);
    assert.deepEqual(test.run.slice(0, 2), ['npx', 'c8']);
    const recorded = await verifyTask(repo, project, { branch: BRANCH });
    assertAgainstTool(repo, test, recorded, 3);
    await toGreenGate(repo, project, keyId, ['build', 'lint', 'ci', 'smoke']);
  });

  it('node:test with its junit and lcov reporters, in the sandbox: report folders made for reporters that do not', async () => {
    const project: Project = {
      files: {
        'package.json': pkg({ type: 'module', scripts: { test: 'node --test test/' } }),
        'src/calc.js': JS_CALC,
        'test/calc.test.js': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, clamp } from '../src/calc.js';

test('adds', () => assert.equal(add(2, 3), 5));
test('clamps below and above', () => assert.deepEqual([clamp(-1, 0, 10), clamp(11, 0, 10)], [0, 10]));
test('keeps what is in range', () => assert.equal(clamp(5, 0, 10), 5));
`,
      },
      change: JS_CHANGE,
    };
    const { repo, test } = await initialised('nodetest', project);
    assert.equal(test.run[0], 'node');
    assert.equal(existsSync(repo.path('reports')), false, 'a fresh checkout has no report folder');
    const recorded = await verifyTask(repo, project);
    assertAgainstTool(repo, test, recorded, 3);
  });

  it('pytest with pytest-cov, in the sandbox: python3, never python; then to DONE and a green gate on a fresh clone', async () => {
    const project: Project = {
      files: {
        'requirements-dev.txt': 'pytest\npytest-cov\n',
        // init writes supplyChain for a repository with lockfiles: its offline OSV database, empty here.
        'advisories/osv/README.md': 'OSV records: autopilot advisories update\n',
        'calc.py': PY_CALC,
        'tests/test_calc.py': `from calc import add, clamp


def test_add():
    assert add(2, 3) == 5


def test_clamp_outside():
    assert (clamp(-1, 0, 10), clamp(11, 0, 10)) == (0, 10)


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5
`,
        'tests/conftest.py': 'import sys, os\nsys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))\n',
      },
      change: PY_CHANGE,
    };
    const { repo, test, keyId } = await initialised('pytest', project);
    assert.deepEqual(test.run.slice(0, 3), ['python3', '-m', 'pytest']);
    assert.ok(test.run.includes('--cov-report=lcov:coverage/lcov.info'));
    const recorded = await verifyTask(repo, project, { branch: BRANCH });
    assertAgainstTool(repo, test, recorded, 3);
    await toGreenGate(repo, project, keyId, ['build', 'lint', 'ci', 'smoke']);
  });

  it('unittest suites set up for tox, run through pytest with sandbox.mode off: reports stay out of the diff', async () => {
    const project: Project = {
      files: {
        'tox.ini': '[tox]\nenvlist = py3\n\n[testenv]\ncommands = python -m unittest discover -s tests -t .\n',
        'calc.py': PY_CALC,
        'tests/__init__.py': '',
        'tests/test_calc.py': `import unittest

from calc import add, clamp


class CalcTest(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(2, 3), 5)

    def test_clamp_outside(self):
        self.assertEqual((clamp(-1, 0, 10), clamp(11, 0, 10)), (0, 10))

    def test_clamp_inside(self):
        self.assertEqual(clamp(5, 0, 10), 5)
`,
      },
      change: PY_CHANGE,
    };
    const { repo, test } = await initialised('unittest', project);
    // Debian's python3 has pytest and pytest-cov: the unittest suite runs through pytest, which writes JUnit.
    assert.deepEqual(test.run.slice(0, 3), ['python3', '-m', 'pytest']);
    assert.match(readFileSync(repo.configFile, 'utf8'), /tox\.ini found: Autopilot runs the tests with python3/);
    repo.editConfig((c) => void ((c['sandbox'] as Record<string, unknown>)['mode'] = 'off'));
    // The reports are left out of the diff even where .gitignore does not list them.
    const ignored = readFileSync(repo.path('.gitignore'), 'utf8').split('\n');
    assert.ok(ignored.includes('/reports/') && ignored.includes('/coverage/') && ignored.includes('.coverage'));
    repo.write('.gitignore', ignored.filter((l) => l !== '/reports/' && l !== '/coverage/').join('\n'));
    const recorded = await verifyTask(repo, project);
    for (const left of ['reports/junit.xml', 'coverage/lcov.info'])
      assert.ok(existsSync(repo.path(left)), `with the sandbox off, ${left} is in the work tree`);
    const diff = await repo.withEngine(async (engine) => taskDiff(engine, (await engine.store.getTask('T-1'))!));
    assert.deepEqual(
      diff.files.map((f) => f.path),
      ['calc.py'],
      'the reports, and what init ignores (.coverage, caches), are not part of the change',
    );
    assert.match(
      readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'build_output.log'), 'utf8'),
      /sandbox\.mode is off/,
    );
    assertAgainstTool(repo, test, recorded, 3);
  });

  it('go test -json with its cover profile, in the sandbox: GOCACHE in the state folder; then to DONE and a green gate on a fresh clone', async () => {
    const project: Project = {
      files: {
        'go.mod': 'module example.com/calc\n\ngo 1.19\n',
        // init writes supplyChain for a repository with lockfiles: its offline OSV database, empty here.
        'advisories/osv/README.md': 'OSV records: autopilot advisories update\n',
        'calc.go': `package calc

func Add(a, b int) int {
	return a + b
}

func Clamp(x, lo, hi int) int {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}
`,
        'calc_test.go': `package calc

import "testing"

func TestAdd(t *testing.T) {
	if Add(2, 3) != 5 {
		t.Fatal("2 + 3")
	}
}

func TestClampOutside(t *testing.T) {
	if Clamp(-1, 0, 10) != 0 || Clamp(11, 0, 10) != 10 {
		t.Fatal("clamp")
	}
}

func TestClampInside(t *testing.T) {
	if Clamp(5, 0, 10) != 5 {
		t.Fatal("in range")
	}
}
`,
      },
      change: ['calc.go', '\tif x > hi {', '\tif x >= hi {'],
    };
    const { repo, test, keyId } = await initialised('go', project);
    assert.deepEqual(test.report, { format: 'go-json', path: 'reports/go-test.json' });
    const recorded = await verifyTask(repo, project, { branch: BRANCH });
    assert.ok(existsSync(join(repo.stateDir, 'cache', 'go-build')), "go's build cache is kept in the state folder");
    assertAgainstTool(repo, test, recorded, 3);
    await toGreenGate(repo, project, keyId, ['ci', 'smoke']);
  });
});
