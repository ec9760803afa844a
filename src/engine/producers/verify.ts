/**
 * @module VERIFY's evidence, produced by running the configured build and test
 * commands: build log, test results from the runner's JUnit report, coverage of
 * the lines the task changed. The reports are deleted before the run, so a
 * stale or planted report can never count.
 */
import { readFileSync, rmSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { TaskState } from '../../core/task.ts';
import type { TestResults } from '../../reports/test-results.ts';
import { parseJunit } from '../../reports/junit.ts';
import { parseLcov } from '../../reports/lcov.ts';
import { changedLinesCoverage, type ChangedLinesCoverage } from '../../reports/changed-lines.ts';
import { logSection, passed, runCommand, type CommandRecord } from './run-commands.ts';
import { taskDiff } from './diff.ts';
import type { Engine } from '../context.ts';

export interface VerifyOutput {
  readonly passed: boolean;
  readonly problems: string[];
  readonly commands: CommandRecord[];
  readonly tests?: TestResults['totals'];
  readonly coverage?: ChangedLinesCoverage;
  readonly treeDigest: string;
  readonly files: { name: string; content: string }[];
}

/** A report path from the config, resolved inside the repository (never outside it). */
function reportPath(root: string, p: string): string | undefined {
  const abs = resolve(root, p);
  const rel = relative(root, abs);
  return rel.startsWith('..') || isAbsolute(rel) ? undefined : abs;
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
    if (!passed(result)) problems.push(`the build failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode ?? result.signal}`})`);
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
    for (const p of [junit, lcov]) if (p) rmSync(p, { force: true });
    const { record, result } = await runCommand(e, 'test', test);
    commands.push(record);
    log.push(logSection('test', test, result));
    if (!passed(result)) problems.push(`the test command failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode ?? result.signal}`})`);
    if (junit) {
      try {
        tests = parseJunit(readFileSync(junit, 'utf8'));
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
        const report = parseLcov(readFileSync(lcov, 'utf8'), { root: e.layout.root });
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
  const verifyRun = {
    passed: ok,
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
    treeDigest: diff.sha256,
    files: [
      { name: 'verify_run.json', content: JSON.stringify(verifyRun, null, 2) + '\n' },
      { name: 'build_output.log', content: log.join('\n') },
      { name: 'test_results.json', content: JSON.stringify(testDoc, null, 2) + '\n' },
      { name: 'coverage_report.json', content: JSON.stringify(coverageDoc, null, 2) + '\n' },
    ],
  };
}

