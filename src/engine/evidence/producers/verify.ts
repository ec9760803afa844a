/**
 * @module VERIFY's evidence, produced by running the configured build and test
 * commands: build log, test results from the runner's report (JUnit, TAP, go
 * test -json, Jest/Vitest JSON), coverage of the lines the task changed and of
 * the whole tree against the base commit's. The reports are removed before the run and read
 * from the workspace the test command ran in (a sandbox's copy, usually), so a
 * stale or planted report can never count.
 */
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { TaskState } from '../../../core/task.ts';
import type { TestCase, TestResults } from '../../../reports/test-results.ts';
import {
  parseCoverageReport,
  parseTestReport,
  type CoverageFormat,
  type TestReportFormat,
} from '../../../reports/parse.ts';
import { IMPACTED_FILES, IMPACTED_PACKAGES, type CommandSpec, type Config } from '../../../core/config.ts';
import { isUnconfigured, unconfiguredRecord, waiverFix, waiverReason } from '../../../core/waivers.ts';
import { commitTree, fileAtCommit, patchId } from '../../repo/git.ts';
import { readNoFollow } from '../../repo/files.ts';
import { changedLinesCoverage, type ChangedLinesCoverage } from '../../../reports/changed-lines.ts';
import { executableLines } from '../../../reports/executable.ts';
import { fileKinds, type FileKind } from '../../../reports/file-kinds.ts';
import { compareTestFiles, coverageIgnores, type TestFinding } from '../../../reports/test-inventory.ts';
import type { ChangedFile } from '../../../reports/diff.ts';
import { mutationFindings, skippedMutation, type MutationReport } from './mutation.ts';
import { runMutation } from './mutation-engine.ts';
import {
  couldNotStart,
  failure,
  outputTail,
  isolationOf,
  logHeader,
  logSection,
  passed,
  runCommand,
  type CommandFailure,
  type CommandRecord,
  type FailureKind,
  type OutputFile,
} from './run-commands.ts';
import { taskDiff, type TaskDiff } from './diff.ts';
import { produceSupplyChain, type SupplyChainOutput } from './supply-chain.ts';
import { scanPatch } from '../../repo/secret-scan.ts';
import { describeSecret, type SecretFinding } from '../../../core/secrets.ts';
import type { Engine } from '../../context.ts';
import { plural } from '../../../core/phrasing.ts';
import { impactOf, indexAtlas, type Impact } from '../../../core/atlas.ts';
import { testFileRun, type TestFileRun } from '../../../core/atlas-tests.ts';
import { declaredTests } from '../../../reports/test-inventory.ts';
import { buildAtlas, type AtlasBuild } from '../../graph/atlas.ts';

export interface VerifyOutput {
  readonly passed: boolean;
  readonly problems: string[];
  /** Each problem with its kind: whether the config or the machine is at fault, or the code. */
  readonly failures: CommandFailure[];
  /** Each command's output as it ran (capped at limits.maxLogBytes), for a reader who wants the tail. */
  readonly outputs: { readonly command: 'build' | 'test'; readonly output: string }[];
  /** The test cases that failed or erred, when there was a report. */
  readonly failedCases?: TestCase[];
  readonly commands: CommandRecord[];
  readonly tests?: TestResults['totals'];
  readonly coverage?: ChangedLinesCoverage;
  /** How the commands were isolated: `bwrap …`, or `none (…)` with the reason. */
  readonly isolation: string;
  readonly treeDigest: string;
  /** `git patch-id --verbatim` of the same diff: what a rebase that changes none of the task's lines keeps. */
  readonly patchId?: string;
  /** Total coverage of the whole report, when there was one. */
  readonly totalCoverage?: CoverageTotal;
  /** Tree id of the working tree that was verified (the state folder left out). */
  readonly tree: string | null;
  /**
   * What makes the tests say less than they seem to (tests removed, skipped or focused, coverage-ignore comments
   * added, surviving mutants): not failures, but each needs a person's decision before the task leaves VERIFY.
   */
  readonly findings: TestFinding[];
  readonly mutation: MutationReport;
  /** The tests that ran (not skipped), by {@link caseId}, when there was a report. */
  readonly testCases?: string[];
  readonly files: { name: string; content: string }[];
}

/** A report path from the config, relative to the repository and inside it (never outside it). */
function reportPath(root: string, p: string): string | undefined {
  const rel = relative(root, resolve(root, p));
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
}

function reportText(f: OutputFile | undefined): string {
  if (!f) throw new Error('not read');
  if ('error' in f) throw new Error(f.error);
  return f.text;
}

export async function produceVerify(engine: Engine, state: TaskState): Promise<VerifyOutput> {
  const { build, test } = engine.config.commands;
  const run = newRunLog();
  // The tree is recorded with the run: a later task whose base is this tree compares its total coverage with it.
  const diff = await taskDiff(engine, state, { tree: true });
  const kindOf = fileKinds(engine.config.verify);
  const tree = workingTree(engine);

  const buildExit = await runBuild(engine, run, build);
  // The atlas before the tests: the impacted tests may run first, and impact.json says which of them ran.
  const atlas = await atlasImpact(engine, diff);
  let tested: TestOutcome = {};
  let first: ImpactedFirstRecord | undefined;
  if (!test) run.fail('config', 'test', 'no test command is configured: set commands.test in .autopilot/config.yaml');
  else if (buildExit === 0) {
    const spec = engine.config.verify.impactedFirst;
    first = spec ? await runImpactedFirst(engine, run, spec, atlas) : undefined;
    if (first?.passed !== false) tested = await runTests(engine, run, test, diff, kindOf, tree);
  }
  const { tests, coverage, total, testRun } = tested;

  const base = total && engine.config.verify.baseCoverage === 'compare' ? await baseCoverage(engine, diff) : undefined;
  if (total && base?.total && total.percent < base.total.percent) {
    run.fail(
      'coverage',
      'test',
      `total coverage fell from ${base.total.percent}% at the base commit (measured by ${base.taskId}'s VERIFY, ledger entry ${base.seq}) to ${total.percent}%: test what the change left untested`,
    );
  }

  const judged = await judgeTests(engine, run, { test, testRun, tests, coverage, diff, kindOf, tree });
  const { findings, mutation } = judged;

  const supply = await checkSupplyChain(engine, diff, run);
  const secrets = await checkSecrets(diff, run);
  const impact = impactDocument(engine, atlas, tests);
  const ok = run.problems.length === 0;
  const isolation = isolationOf(run.commands);
  const patch = await patchId(engine.layout.root, diff.patch);
  const verifyRun = {
    passed: ok,
    isolation,
    problems: run.problems,
    failures: run.failures,
    treeDigest: diff.sha256,
    ...(patch ? { patchId: patch } : {}),
    base: diff.base,
    build: build ? { configured: true, exitCode: buildExit } : unconfiguredRecord(engine.config, 'build'),
    commands: run.commands,
    findings,
    atlas: impact.summary,
    ...(first ? { impactedFirst: first } : {}),
    ...(supply?.report
      ? {
          supplyChain: {
            findings: supply.report.findings.length,
            blocking: supply.report.blocking,
            accepted: supply.report.findings.filter((f) => f.accepted).length,
          },
        }
      : {}),
  };
  const testDoc = tests ?? {
    format: 'none',
    totals: { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, durationMs: 0 },
    cases: [],
  };
  return {
    passed: ok,
    problems: run.problems,
    failures: run.failures,
    outputs: run.outputs,
    ...(tests ? { failedCases: tests.cases.filter((c) => c.status === 'failed' || c.status === 'error') } : {}),
    commands: run.commands,
    ...(tests ? { tests: tests.totals } : {}),
    ...(coverage ? { coverage } : {}),
    ...(total ? { totalCoverage: total } : {}),
    isolation,
    treeDigest: diff.sha256,
    ...(patch ? { patchId: patch } : {}),
    tree: diff.tree ?? null,
    findings,
    mutation,
    ...(tests ? { testCases: tests.cases.filter((c) => c.status !== 'skipped').map(caseId) } : {}),
    files: [
      { name: 'verify_run.json', content: JSON.stringify(verifyRun, null, 2) + '\n' },
      { name: 'build_output.log', content: `${logHeader(run.commands)}\n${run.log.join('\n')}` },
      { name: 'test_results.json', content: JSON.stringify(testDoc, null, 2) + '\n' },
      {
        name: 'coverage_report.json',
        content: JSON.stringify(coverageDocument(engine.config, tested, base), null, 2) + '\n',
      },
      { name: 'test_inventory.json', content: JSON.stringify(judged.inventory, null, 2) + '\n' },
      { name: 'mutation_report.json', content: JSON.stringify(mutation, null, 2) + '\n' },
      { name: 'impact.json', content: JSON.stringify(impact.document, null, 2) + '\n' },
      ...(supply?.files ?? []),
      { name: 'secrets_scan.json', content: JSON.stringify(secretsDocument(diff, secrets), null, 2) + '\n' },
    ],
  };
}

/** The task's diff scanned for secrets (added lines only); each finding fails the run, named without the secret. */
async function checkSecrets(diff: TaskDiff, run: RunLog): Promise<SecretFinding[]> {
  const found = await scanPatch(diff.patch);
  if (found.length > 0)
    run.fail(
      'secrets',
      'secrets',
      `the change adds ${plural(found.length, 'secret', 'secrets')}: ${found.map(describeSecret).join('; ')}. Remove each one from the code (and revoke it: it has been on disk), read it from the environment or a secret store instead, then verify again`,
    );
  return found;
}

function secretsDocument(diff: TaskDiff, found: readonly SecretFinding[]) {
  return {
    scanner: 'secretlint (@secretlint/secretlint-rule-preset-recommend) and autopilot/entropy',
    scanned: { base: diff.base, tree: diff.tree ?? null, what: 'lines the change adds' },
    passed: found.length === 0,
    findings: found,
  };
}

/**
 * Dependencies, when `supplyChain` is configured: SBOMs of the base and of the verified tree, read from git, and the
 * tree's known vulnerabilities; each problem fails the run.
 */
async function checkSupplyChain(engine: Engine, diff: TaskDiff, run: RunLog): Promise<SupplyChainOutput | undefined> {
  if (!engine.config.supplyChain) return undefined;
  if (!diff.tree) throw new Error('the verified tree has no id: the supply-chain check needs one');
  const supply = await produceSupplyChain(
    engine.layout.root,
    engine.config.supplyChain,
    { base: diff.base, head: diff.tree },
    engine.clock.now(),
    // In the state folder proper, not its cache/ (which sandboxed commands may write): the index decides findings.
    { osvCache: join(engine.layout.stateDir, 'osv-index'), runner: engine.runner, cacheDir: engine.layout.cacheDir },
  );
  for (const p of supply.problems) run.fail(p.kind, p.kind === 'config' ? 'supplyChain.osv' : 'supplyChain', p.message);
  return supply;
}

/** The atlas of the verified tree and the impact of the task's change on it, or why there is none. */
type AtlasImpact =
  | { readonly built: AtlasBuild; readonly impact: Impact; readonly note?: undefined }
  | { readonly note: string; readonly built?: undefined; readonly impact?: undefined };

/**
 * Builds the atlas (from its cache) and the change's impact. Informational, never a failure: a repository in no
 * language the atlas parses has an empty atlas, and an atlas that cannot be built is recorded with the reason.
 */
async function atlasImpact(engine: Engine, diff: TaskDiff): Promise<AtlasImpact> {
  let built;
  try {
    built = await buildAtlas({
      root: engine.layout.root,
      stateDir: engine.layout.stateDir,
      globs: engine.config.verify,
    });
  } catch (err) {
    return { note: `the atlas could not be built: ${(err as Error).message}` };
  }
  const changed = [...new Set(diff.files.flatMap((f) => (f.from ? [f.path, f.from] : [f.path])))];
  return { built, impact: impactOf(indexAtlas(built.atlas), changed) };
}

/** What verify_run.json records of `verify.impactedFirst`: the command run on the impacted tests, or why none ran. */
export type ImpactedFirstRecord =
  | {
      readonly files: readonly string[];
      readonly argv: readonly string[];
      readonly passed: boolean;
      readonly exitCode: number | null;
      readonly durationMs: number;
    }
  | { readonly files: readonly []; readonly passed: null; readonly skipped: string };

/** The argv of `verify.impactedFirst` with `{files}` and `{packages}` replaced by the impacted test files. */
export function impactedArgv(run: readonly string[], files: readonly string[]): string[] {
  const packages = [...new Set(files.map((f) => (dirname(f) === '.' ? '.' : `./${dirname(f)}`)))].sort();
  return run.flatMap((a) => (a === IMPACTED_FILES ? [...files] : a === IMPACTED_PACKAGES ? packages : [a]));
}

/**
 * Runs the tests that reach the change before the full suite, for an early answer: a failure fails VERIFY at once
 * (the full suite is not run), a pass goes on to the full suite, which alone is the evidence.
 */
async function runImpactedFirst(
  engine: Engine,
  run: RunLog,
  spec: CommandSpec,
  atlas: AtlasImpact,
): Promise<ImpactedFirstRecord> {
  const files = atlas.impact ? atlas.impact.tests.map((t) => t.path) : [];
  if (files.length === 0) {
    const skipped = atlas.note ?? 'no test file reaches the change through imports';
    run.log.push(`== impacted tests first: not run (${skipped})`);
    return { files: [], passed: null, skipped };
  }
  const argv = impactedArgv(spec.run, files);
  process.stderr.write(`autopilot: running the ${plural(files.length, 'test file')} that reach the change first\n`);
  const { record, result } = await runCommand(engine, 'impacted tests', { ...spec, run: argv });
  run.commands.push(record);
  run.log.push(logSection('impacted tests', { ...spec, run: argv }, result));
  run.outputs.push({ command: 'test', output: result.output });
  const ok = passed(result);
  if (!ok) {
    const notStarted = couldNotStart(argv, result);
    run.fail(
      notStarted ? 'spawn' : 'tests',
      'impacted tests',
      notStarted
        ? `the impacted-tests command (verify.impactedFirst) could not start: ${notStarted}`
        : `the tests that reach the change failed first (${failure(result)}; ${files.join(', ')}), so the full suite was not run: fix them and verify again`,
      outputTail(result.output),
    );
  }
  return { files, argv, passed: ok, exitCode: result.exitCode, durationMs: result.durationMs };
}

/** impact.json: the atlas manifest the run was checked against, and the tests that reach the change, each with whether it ran. */
function impactDocument(
  engine: Engine,
  atlas: AtlasImpact,
  tests: TestResults | undefined,
): { document: Record<string, unknown>; summary: Record<string, unknown> } {
  if (!atlas.built) return { document: { note: atlas.note }, summary: { note: atlas.note } };
  const { built, impact } = atlas;
  const testFiles = impact.tests.map((t) => {
    const read = readNoFollow(join(engine.layout.root, t.path), 1024 * 1024);
    const declared =
      read.kind === 'file'
        ? declaredTests(t.path, read.bytes.toString('utf8'))
            .filter((d) => !d.group)
            .map((d) => d.name)
        : [];
    const { run, cases } = testFileRun(t.path, declared, tests?.cases);
    return { path: t.path, depth: t.depth, ...(t.via ? { via: t.via } : {}), run, cases };
  });
  const count = (r: TestFileRun) => testFiles.filter((t) => t.run === r).length;
  return {
    document: {
      manifest: built.manifest,
      changed: impact.changed,
      files: impact.files.map((f) => ({ path: f.path, depth: f.depth, ...(f.via ? { via: f.via } : {}) })),
      symbols: impact.symbols,
      tests: testFiles,
    },
    summary: {
      manifestDigest: built.manifest.digest,
      impactedTests: testFiles.length,
      ran: count('ran'),
      notRun: count('not-run') + count('skipped'),
      unknown: count('unknown'),
    },
  };
}

/** The working tree's files as VERIFY reads them (see {@link workingTree}). */
type WorkingTree = ReturnType<typeof workingTree>;

/** What a verify run gathers as its commands run: the problems and their kinds, the logs, the command records. */
interface RunLog {
  readonly problems: string[];
  readonly failures: CommandFailure[];
  readonly outputs: VerifyOutput['outputs'];
  readonly commands: CommandRecord[];
  /** The sections of build_output.log. */
  readonly log: string[];
  fail(kind: FailureKind, command: string, message: string, tail?: string): void;
}

function newRunLog(): RunLog {
  const problems: string[] = [];
  const failures: CommandFailure[] = [];
  return {
    problems,
    failures,
    outputs: [],
    commands: [],
    log: [],
    fail(kind, command, message, tail) {
      problems.push(message);
      failures.push({ kind, command, message, ...(tail ? { outputTail: tail } : {}) });
    },
  };
}

/** Runs the build command; its exit status (0 when none is configured: a waiver or a config failure says why). */
async function runBuild(engine: Engine, run: RunLog, build: Config['commands']['build']): Promise<number | null> {
  if (!build) {
    // No build ran: recorded as such, never as an exit status of 0. Without a waiver it is a failure of the config.
    const reason = waiverReason(engine.config, 'build');
    run.log.push(`=== build: no build command configured (commands.build)${reason ? `; waived: ${reason}` : ''}\n`);
    if (!reason) run.fail('config', 'build', `no build command is configured: ${waiverFix('build')}`);
    return 0;
  }
  const { record, result } = await runCommand(engine, 'build', build);
  run.commands.push(record);
  run.log.push(logSection('build', build, result));
  run.outputs.push({ command: 'build', output: result.output });
  const buildExit = passed(result) ? 0 : (result.exitCode ?? -1);
  const notStarted = couldNotStart(build.run, result);
  if (notStarted)
    run.fail('spawn', 'build', `the build command could not start: ${notStarted}`, outputTail(result.output));
  else if (!passed(result)) run.fail('build', 'build', `the build failed (${failure(result)})`);
  return buildExit;
}

/** What the test command left: its report, the coverage of the changed lines and of the whole report. */
interface TestOutcome {
  readonly tests?: TestResults;
  readonly coverage?: ChangedLinesCoverage;
  readonly total?: CoverageTotal;
  readonly coverageNote?: string;
  readonly testRun?: { ms: number; report?: { format: TestReportFormat; path: string }; outputs: string[] };
}

/** Runs the test command and reads what it wrote: the test report, then the coverage of the change. */
async function runTests(
  engine: Engine,
  run: RunLog,
  test: TestCommand,
  diff: TaskDiff,
  kindOf: (path: string) => FileKind,
  tree: WorkingTree,
): Promise<TestOutcome> {
  const { report, coverage: cov } = reportsOf(test);
  const reportAt = report ? reportPath(engine.layout.root, report.path) : undefined;
  const coverageAt = cov ? reportPath(engine.layout.root, cov.path) : undefined;
  if (report && !reportAt) run.fail('config', 'test', `${report.key} (${report.path}) points outside the repository`);
  if (cov && !coverageAt) run.fail('config', 'test', `${cov.key} (${cov.path}) points outside the repository`);
  const { record, result, outputs } = await runCommand(
    engine,
    'test',
    test,
    [reportAt, coverageAt].filter((p): p is string => p !== undefined),
  );
  run.commands.push(record);
  run.log.push(logSection('test', test, result));
  run.outputs.push({ command: 'test', output: result.output });
  const notStarted = couldNotStart(test.run, result);
  const tail = outputTail(result.output);
  let tests: TestResults | undefined;
  let reportError: string | undefined;
  if (report && reportAt && !notStarted) {
    try {
      tests = parseTestReport(report.format, reportText(outputs.get(reportAt)), { root: engine.layout.root });
    } catch (err) {
      reportError = `no usable ${report.format} test report at ${report.path}: ${(err as Error).message}`;
    }
  }
  const failing = tests ? tests.totals.failed + tests.totals.errors : 0;
  if (notStarted) run.fail('spawn', 'test', `the test command could not start: ${notStarted}`, tail);
  else if (reportError && passed(result))
    run.fail('config', 'test', `the test command passed, but left ${reportError}`);
  else if (reportError)
    // No report from a failing run: the runner stopped before the tests (a missing plugin, an unknown flag).
    run.fail(
      'config',
      'test',
      `the test command failed (${failure(result)}) without writing its report (${reportError}): it stopped before running the tests`,
      tail,
    );
  else if (!passed(result) && failing === 0)
    run.fail('tests', 'test', `the test command failed (${failure(result)}) though its report lists no failing test`);
  if (tests && tests.totals.total === 0)
    run.fail(
      'config',
      'test',
      'the test command ran no test: check where it looks for tests and where it writes its report',
    );
  if (failing > 0) run.fail('tests', 'test', `${failing} of ${plural(tests!.totals.total, 'test')} failed`);
  const ran = !notStarted && !reportError;
  const covered =
    cov && coverageAt
      ? checkCoverage(engine, run, { ...cov, file: outputs.get(coverageAt) }, diff, kindOf, tree, ran)
      : !cov
        ? checkWithoutCoverage(engine, run, diff, kindOf, tree, ran)
        : {};
  return {
    ...(tests ? { tests } : {}),
    ...covered,
    testRun: {
      ms: result.durationMs,
      ...(report && reportAt ? { report: { format: report.format, path: reportAt } } : {}),
      outputs: coverageAt ? [coverageAt] : [],
    },
  };
}

/**
 * Reads the coverage report and judges the changed lines: none run by a test, or under the threshold, fails. `ran`
 * is false when the tests did not run: a missing report then says nothing new, and is a note only.
 */
function checkCoverage(
  engine: Engine,
  run: RunLog,
  cov: NonNullable<ReturnType<typeof reportsOf>['coverage']> & { file: OutputFile | undefined },
  diff: TaskDiff,
  kindOf: (path: string) => FileKind,
  tree: WorkingTree,
  ran: boolean,
): Pick<TestOutcome, 'coverage' | 'total' | 'coverageNote'> {
  const threshold = engine.config.verify.coverageThreshold;
  try {
    // A sandbox shows the command its workspace at the repository's path, so the report's paths resolve against the repository.
    const parsed = parseCoverageReport(cov.format, reportText(cov.file), {
      root: engine.layout.root,
      ...(cov.sourceRoot ? { sourceRoot: cov.sourceRoot } : {}),
      ...(cov.modulePrefix ? { modulePrefix: cov.modulePrefix } : {}),
    });
    const coverage = changedLinesCoverage(diff.files, parsed, threshold, { kindOf, textOf: tree.text });
    const total = {
      linesFound: parsed.totals.linesFound,
      linesHit: parsed.totals.linesHit,
      percent: parsed.totals.percent,
    };
    if (coverage.executable > 0 && coverage.covered === 0) {
      const files = coverage.files.filter((f) => f.executable > 0).map((f) => f.path);
      run.fail(
        'untested',
        'test',
        `tests required for source changes: no test ran any of the ${plural(coverage.executable, 'executable line')} this task adds to ${files.join(', ')}; add tests that run them`,
      );
    } else if (!coverage.meetsThreshold) {
      const unloaded = coverage.files.filter((f) => !f.inReport && f.executable > 0).map((f) => f.path);
      run.fail(
        'coverage',
        'test',
        `changed-lines coverage is ${coverage.percent.toFixed(1)}% of ${plural(coverage.executable, 'line')}, under the ${threshold}% threshold${unloaded.length ? ` (no test loads ${unloaded.join(', ')})` : ''}`,
      );
    }
    return { coverage, total };
  } catch (err) {
    const coverageNote = `no usable ${cov.format} coverage report at ${cov.path}: ${(err as Error).message}`;
    // Without tests that ran, a missing coverage report says nothing new.
    if (ran) run.fail('config', 'test', coverageNote);
    else run.problems.push(coverageNote);
    return { coverageNote };
  }
}

/**
 * No coverage report configured: a failure of the config while a threshold applies and nothing waives it; with the
 * threshold at 0 and no waiver, a changed source file still needs something that shows a test ran it.
 */
function checkWithoutCoverage(
  engine: Engine,
  run: RunLog,
  diff: TaskDiff,
  kindOf: (path: string) => FileKind,
  tree: WorkingTree,
  ran: boolean,
): Pick<TestOutcome, 'coverageNote'> {
  const threshold = engine.config.verify.coverageThreshold;
  const reason = waiverReason(engine.config, 'coverage');
  const coverageNote = `no coverage report configured (commands.test.coverage)${reason ? `; waived: ${reason}` : ''}`;
  if (threshold > 0 && !reason)
    run.fail(
      'config',
      'test',
      `${coverageNote}; set it, or set verify.coverageThreshold to 0, or ${waiverFix('coverage')}`,
    );
  else if (!reason && ran) {
    // Coverage waived in writing is a person's call; otherwise nothing shows that a test ran the source change.
    const changedSource = sourceLines(diff.files, kindOf, tree.text);
    if (changedSource.length > 0)
      run.fail(
        'untested',
        'test',
        `tests required for source changes: ${changedSource.join(', ')} changed, and without a coverage report nothing shows that a test ran it; ${waiverFix('coverage')}`,
      );
  }
  return { coverageNote };
}

/**
 * What the change does to the tests themselves: read from the test files at the base commit and now, mutants of the
 * changed lines, and the tests an earlier run of the base commit's tree ran that run no more.
 */
async function judgeTests(
  engine: Engine,
  run: RunLog,
  input: {
    test: TestCommand | undefined;
    testRun: TestOutcome['testRun'];
    tests: TestResults | undefined;
    coverage: ChangedLinesCoverage | undefined;
    diff: TaskDiff;
    kindOf: (path: string) => FileKind;
    tree: WorkingTree;
  },
): Promise<{ findings: TestFinding[]; mutation: MutationReport; inventory: Record<string, unknown> }> {
  const { test, testRun, tests, coverage, diff, kindOf, tree } = input;
  const findings: TestFinding[] = [
    ...(await inventoryFindings(engine, diff.base, diff.files, kindOf, tree.text)),
    ...coverageIgnores(diff.files, tree.lineAt),
  ];
  const blocked = mutationBlocked(run.problems.length > 0, test, testRun);
  const mutation =
    blocked !== undefined || !test || !testRun?.report
      ? skippedMutation(engine.config, blocked ?? 'the tests did not run')
      : await runMutation(engine, {
          test,
          report: testRun.report,
          outputs: testRun.outputs,
          lines: coveredSourceLines(coverage, tree.lineAt),
          baselineMs: testRun.ms,
        });
  findings.push(...mutationFindings(mutation));
  if (!mutation.meetsThreshold)
    run.fail(
      'mutation',
      'test',
      `the mutation score is ${mutation.score}%, under the ${mutation.threshold}% threshold (verify.mutation.threshold): ${plural(mutation.survived, 'mutant')} survived; make the tests check what the changed lines do`,
    );
  // Tests that ran at the base commit (by an earlier VERIFY of its very tree) and run no more: excluded by a
  // pattern, a config or a command line, in ways no changed test file shows.
  const baseRun = tests ? await baseTestRun(engine, diff) : undefined;
  if (tests && baseRun?.cases) findings.push(...notRunAnyMore(baseRun, tests, findings));
  const inventory = {
    base: diff.base,
    testFiles: diff.files.filter((f) => isTestChange(f, kindOf)).map((f) => f.path),
    ...(baseRun
      ? {
          baseRun: baseRun.cases
            ? { taskId: baseRun.taskId, seq: baseRun.seq, tests: baseRun.cases.length }
            : { note: baseRun.note },
        }
      : {}),
    findings: findings.filter((f) => f.kind !== 'mutant-survived'),
  };
  return { findings, mutation, inventory };
}

/** coverage_report.json: the changed lines' coverage (or why there is none), the whole report's, the base's. */
function coverageDocument(
  config: Config,
  tested: TestOutcome,
  base: Awaited<ReturnType<typeof baseCoverage>> | undefined,
): Record<string, unknown> {
  const { coverage, total, coverageNote } = tested;
  const coverageWaived = !coverage && isUnconfigured(config, 'coverage');
  return {
    threshold: config.verify.coverageThreshold,
    ...(coverage
      ? { changedLines: coverage }
      : coverageWaived
        ? { changedLines: unconfiguredRecord(config, 'coverage') }
        : {
            changedLines: {
              meetsThreshold: config.verify.coverageThreshold === 0,
              note: coverageNote ?? 'tests did not run',
            },
          }),
    ...(total ? { total } : {}),
    ...(base ? { base } : {}),
  };
}

type TestCommand = NonNullable<Config['commands']['test']>;

/** Total line coverage of a whole report. */
export interface CoverageTotal {
  readonly linesFound: number;
  readonly linesHit: number;
  readonly percent: number;
}

/** The configured reports, with the config key each came from (the junit/lcov shorthands or report/coverage). */
function reportsOf(test: TestCommand): {
  report?: { format: TestReportFormat; path: string; key: string };
  coverage?: { format: CoverageFormat; path: string; key: string; sourceRoot?: string; modulePrefix?: string };
} {
  const report = test.report
    ? { ...test.report, key: 'commands.test.report.path' }
    : test.junit !== undefined
      ? { format: 'junit' as const, path: test.junit, key: 'commands.test.junit' }
      : undefined;
  const coverage = test.coverage
    ? { ...test.coverage, key: 'commands.test.coverage.path' }
    : test.lcov !== undefined
      ? { format: 'lcov' as const, path: test.lcov, key: 'commands.test.lcov' }
      : undefined;
  return { ...(report ? { report } : {}), ...(coverage ? { coverage } : {}) };
}

/** How far back the ledger is searched for a VERIFY of the base commit's tree. */
const BASE_SEARCH = 2000;

/** What is known of the base commit's total coverage: a VERIFY in the ledger that measured its very tree, or why there is none. */
export type BaseCoverage =
  | { readonly tree: string; readonly total: CoverageTotal; readonly taskId: string; readonly seq: number }
  | { readonly tree: string | null; readonly total?: undefined; readonly note: string };

async function baseCoverage(engine: Engine, diff: TaskDiff): Promise<BaseCoverage> {
  const tree = await commitTree(engine.layout.root, diff.base, engine.layout.stateDir);
  if (!tree) return { tree: null, note: `the base commit ${diff.base.slice(0, 12)} cannot be read` };
  const entries = await engine.store.entries({ kind: 'verify', newestFirst: true, limit: BASE_SEARCH });
  for (const entry of entries) {
    const t = entry.data['totalCoverage'] as Partial<CoverageTotal> | undefined;
    if (entry.data['tree'] !== tree || !t || typeof t.percent !== 'number' || entry.taskId === null) continue;
    return {
      tree,
      total: { linesFound: Number(t.linesFound ?? 0), linesHit: Number(t.linesHit ?? 0), percent: t.percent },
      taskId: entry.taskId,
      seq: entry.seq,
    };
  }
  return {
    tree,
    note: `no VERIFY in the ledger measured the base commit's tree (${tree.slice(0, 12)}): nothing to compare with`,
  };
}

/** The working tree's files as VERIFY reads them: whole text, and one line (1-based), each read once. */
function workingTree(engine: Engine): {
  text: (path: string) => string | undefined;
  lineAt: (path: string, line: number) => string | undefined;
} {
  const texts = new Map<string, string | undefined>();
  const text = (path: string) => {
    if (!texts.has(path)) {
      const file = readNoFollow(join(engine.layout.root, path), engine.config.limits.maxEvidenceBytes);
      texts.set(path, file.kind === 'file' ? file.bytes.toString('utf8') : undefined);
    }
    return texts.get(path);
  };
  const lines = new Map<string, string[] | undefined>();
  const lineAt = (path: string, line: number) => {
    if (!lines.has(path)) lines.set(path, text(path)?.split('\n'));
    return lines.get(path)?.[line - 1];
  };
  return { text, lineAt };
}

/** A change of a test file: it is one now, or was one under its old name. */
function isTestChange(f: ChangedFile, kindOf: (path: string) => FileKind): boolean {
  return kindOf(f.path) === 'test' || (f.from !== undefined && kindOf(f.from) === 'test');
}

/** Changed source files with executable added lines. */
function sourceLines(
  files: readonly ChangedFile[],
  kindOf: (path: string) => FileKind,
  text: (path: string) => string | undefined,
): string[] {
  return files
    .filter((f) => !f.binary && f.addedLines.length > 0 && kindOf(f.path) === 'source')
    .filter((f) => {
      const body = text(f.path);
      if (body === undefined) return true;
      const executable = executableLines(f.path, body);
      return f.addedLines.some((n) => executable[n - 1]);
    })
    .map((f) => f.path);
}

/** Tests removed, newly skipped or focused in the changed test files, from their text at the base commit and now. */
async function inventoryFindings(
  engine: Engine,
  base: string,
  files: readonly ChangedFile[],
  kindOf: (path: string) => FileKind,
  text: (path: string) => string | undefined,
): Promise<TestFinding[]> {
  const versions = [];
  for (const f of files.filter((x) => !x.binary && isTestChange(x, kindOf))) {
    const before =
      f.status === 'added' && !f.from ? undefined : await fileAtCommit(engine.layout.root, base, f.from ?? f.path);
    const after = f.status === 'deleted' ? undefined : text(f.path);
    versions.push({
      path: f.path,
      ...(f.from ? { from: f.from } : {}),
      ...(before !== undefined ? { base: before } : {}),
      ...(after !== undefined ? { head: after } : {}),
    });
  }
  return compareTestFiles(versions);
}

/** The changed source lines that tests ran, with their text: what mutants are made of. */
function coveredSourceLines(
  coverage: ChangedLinesCoverage | undefined,
  lineAt: (path: string, line: number) => string | undefined,
): { file: string; line: number; text: string }[] {
  if (!coverage) return [];
  return coverage.files.flatMap((f) =>
    f.coveredLines.flatMap((line) => {
      const text = lineAt(f.path, line);
      return text === undefined ? [] : [{ file: f.path, line, text }];
    }),
  );
}

/** Why mutants cannot be judged: a mutant is only meaningful against tests that pass, read from a report. */
function mutationBlocked(
  failed: boolean,
  test: TestCommand | undefined,
  run: { report?: { format: TestReportFormat; path: string } } | undefined,
): string | undefined {
  if (!test || !run) return 'the tests did not run';
  if (!run.report) return 'the test command has no usable test report';
  if (failed) return 'VERIFY failed: mutants are judged against passing tests only';
  return undefined;
}

/** The id a test case is known by from one run to the next. */
export function caseId(c: Pick<TestCase, 'suite' | 'name'>): string {
  return c.suite ? `${c.suite} > ${c.name}` : c.name;
}

/** The tests an earlier VERIFY of the base commit's very tree ran (passed or failed), from its ledger entry. */
type BaseTestRun =
  | { readonly taskId: string; readonly seq: number; readonly cases: readonly string[]; readonly note?: undefined }
  | { readonly cases?: undefined; readonly note: string };

async function baseTestRun(engine: Engine, diff: TaskDiff): Promise<BaseTestRun> {
  const tree = await commitTree(engine.layout.root, diff.base, engine.layout.stateDir);
  if (!tree) return { note: `the base commit ${diff.base.slice(0, 12)} cannot be read` };
  const entries = await engine.store.entries({ kind: 'verify', newestFirst: true, limit: BASE_SEARCH });
  for (const entry of entries) {
    const cases = entry.data['testCases'];
    if (entry.data['tree'] !== tree || !Array.isArray(cases) || entry.taskId === null) continue;
    return { taskId: entry.taskId, seq: entry.seq, cases: cases.filter((c): c is string => typeof c === 'string') };
  }
  return {
    note: `no VERIFY in the ledger ran the tests of the base commit's tree (${tree.slice(0, 12)}): nothing to compare with`,
  };
}

/** Tests the base run ran that this run did not (or skipped), unless a finding about the test files already names them. */
function notRunAnyMore(
  base: Extract<BaseTestRun, { cases: readonly string[] }>,
  now: TestResults,
  known: readonly TestFinding[],
): TestFinding[] {
  const ran = new Set(now.cases.filter((c) => c.status !== 'skipped').map(caseId));
  // A finding names a test as the file declares it (`group > name`, Python's `Class.test_x`); a report names it
  // with its suite in front (`module.Class > test_x`): either way the name is the tail of the case's id. A finding
  // about a group (a removed describe) names every case inside it.
  const named = known
    .filter((f) => f.test !== undefined)
    .flatMap((f) => [f.test!, f.test!.replace(/\.(?=[^.]*$)/, ' > ')]);
  const covers = (c: string, n: string) =>
    c === n || c.endsWith(` > ${n}`) || c.endsWith(`.${n}`) || c.startsWith(`${n} > `) || c.includes(` > ${n} > `);
  const gone = base.cases.filter((c) => !ran.has(c) && !named.some((n) => covers(c, n)));
  return gone.map((test) => ({
    kind: 'test-not-run' as const,
    file: '',
    test,
    detail: `the test "${test}" ran at the base commit (${base.taskId}'s VERIFY, ledger entry ${base.seq}) and does not run now: excluded by a pattern, the config or the command line`,
  }));
}
