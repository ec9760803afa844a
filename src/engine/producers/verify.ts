/**
 * @module VERIFY's evidence, produced by running the configured build and test
 * commands: build log, test results from the runner's JUnit report, coverage of
 * the lines the task changed. The reports are removed before the run and read
 * from the workspace the test command ran in (a sandbox's copy, usually), so a
 * stale or planted report can never count.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { TaskState } from '../../core/task.ts';
import type { TestResults } from '../../reports/test-results.ts';
import { parseJunit } from '../../reports/junit.ts';
import { parseLcov } from '../../reports/lcov.ts';
import { changedLinesCoverage, type ChangedLinesCoverage } from '../../reports/changed-lines.ts';
import { failure, isolationOf, logHeader, logSection, passed, runCommand, type CommandRecord, type OutputFile } from './run-commands.ts';
import { taskDiff } from './diff.ts';
import type { Engine } from '../context.ts';

export interface VerifyOutput {
  readonly passed: boolean;
  readonly problems: string[];
  readonly commands: CommandRecord[];
  readonly tests?: TestResults['totals'];
  readonly coverage?: ChangedLinesCoverage;
  /** How the commands were isolated: `bwrap …`, or `none (…)` with the reason. */
  readonly isolation: string;
  readonly treeDigest: string;
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

export async function produceVerify(e: Engine, state: TaskState): Promise<VerifyOutput> {
  const { build, test } = e.config.commands;
  const problems: string[] = [];
  const commands: CommandRecord[] = [];
  const log: string[] = [];
  const diff = await taskDiff(e, state);

  let buildExit: number | null = 0;
  if (build) {
    const { record, result } = await runCommand(e, 'build', build);
    commands.push(record);
    log.push(logSection('build', build, result));
    buildExit = passed(result) ? 0 : (result.exitCode ?? -1);
    if (!passed(result)) problems.push(result.spawnError ? `the build ${failure(result)}` : `the build failed (${failure(result)})`);
  } else {
    log.push('=== build: no build command configured (commands.build)\n');
  }

  let tests: TestResults | undefined;
  let coverage: ChangedLinesCoverage | undefined;
  let coverageNote: string | undefined;
  if (!test) {
    problems.push('no test command is configured: set commands.test in .autopilot/config.yaml');
  } else if (buildExit === 0) {
    const junit = reportPath(e.layout.root, test.junit);
    const lcov = test.lcov ? reportPath(e.layout.root, test.lcov) : undefined;
    if (!junit) problems.push(`commands.test.junit (${test.junit}) points outside the repository`);
    if (test.lcov && !lcov) problems.push(`commands.test.lcov (${test.lcov}) points outside the repository`);
    const { record, result, outputs } = await runCommand(e, 'test', test, [junit, lcov].filter((p): p is string => p !== undefined));
    commands.push(record);
    log.push(logSection('test', test, result));
    if (!passed(result)) problems.push(result.spawnError ? `the test command ${failure(result)}` : `the test command failed (${failure(result)})`);
    if (junit) {
      try {
        tests = parseJunit(reportText(outputs.get(junit)));
      } catch (err) {
        problems.push(`no usable JUnit report at ${test.junit}: ${(err as Error).message}`);
      }
    }
    if (tests && tests.totals.total === 0) problems.push('the test command ran no test');
    if (tests && tests.totals.failed + tests.totals.errors > 0) {
      problems.push(`${tests.totals.failed + tests.totals.errors} of ${tests.totals.total} tests failed`);
    }
    const threshold = e.config.verify.coverageThreshold;
    if (lcov) {
      try {
        // A sandbox shows the command its workspace at the repository's path, so lcov's paths resolve against the repository.
        const report = parseLcov(reportText(outputs.get(lcov)), { root: e.layout.root });
        coverage = changedLinesCoverage(diff.files, report, threshold);
        if (!coverage.meetsThreshold) {
          problems.push(`changed-lines coverage is ${coverage.percent.toFixed(1)}%, under the ${threshold}% threshold`);
        }
      } catch (err) {
        coverageNote = `no usable lcov report at ${test.lcov}: ${(err as Error).message}`;
        problems.push(coverageNote);
      }
    } else {
      coverageNote = 'no coverage report configured (commands.test.lcov)';
      if (threshold > 0) problems.push(`${coverageNote}; set it, or set verify.coverageThreshold to 0`);
    }
  }

  const ok = problems.length === 0;
  const isolation = isolationOf(commands);
  const verifyRun = {
    passed: ok,
    isolation,
    problems,
    treeDigest: diff.sha256,
    base: diff.base,
    build: { configured: !!build, exitCode: buildExit },
    commands,
  };
  const coverageDoc = {
    threshold: e.config.verify.coverageThreshold,
    ...(coverage
      ? { changedLines: coverage }
      : { changedLines: { meetsThreshold: e.config.verify.coverageThreshold === 0, note: coverageNote ?? 'tests did not run' } }),
  };
  const testDoc = tests ?? { format: 'none', totals: { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, durationMs: 0 }, cases: [] };
  return {
    passed: ok,
    problems,
    commands,
    ...(tests ? { tests: tests.totals } : {}),
    ...(coverage ? { coverage } : {}),
    isolation,
    treeDigest: diff.sha256,
    files: [
      { name: 'verify_run.json', content: JSON.stringify(verifyRun, null, 2) + '\n' },
      { name: 'build_output.log', content: `${logHeader(commands)}\n${log.join('\n')}` },
      { name: 'test_results.json', content: JSON.stringify(testDoc, null, 2) + '\n' },
      { name: 'coverage_report.json', content: JSON.stringify(coverageDoc, null, 2) + '\n' },
    ],
  };
}

