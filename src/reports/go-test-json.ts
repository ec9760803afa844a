/** @module Parses `go test -json` output (test2json events, one JSON object a line) into `TestResults`. */
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';
import { buildResults, dedent, makeCase, toMs } from './results-builder.ts';
import type { TestCase, TestResults } from './test-results.ts';

const KIND = 'go test -json output';
// The plain line go test (before Go 1.24) writes to standard output for a package that did not build.
const FAILED_BUILD_RE = /^FAIL\s+(\S+)\s+\[(build|setup) failed\]$/;
// Lines test2json passes through that only frame the results: === RUN, --- PASS: and the package summary lines.
const FRAMING_RE =
  /^\s*(?:=== (?:RUN|PAUSE|CONT|NAME)\b|--- (?:PASS|FAIL|SKIP): |(?:PASS|FAIL)$|ok\s+\S+\s|FAIL\s+\S+\s|\?\s+\S+\s+\[no test files\]|coverage: )/;

type Result = 'pass' | 'fail' | 'skip';

interface TestState {
  started: boolean;
  result?: Result;
  elapsedMs: number;
  readonly output: string[];
}

interface PackageState {
  readonly tests: Map<string, TestState>;
  readonly output: string[];
  result?: Result;
  elapsedMs: number;
  // The import path whose build failed, from a fail event's FailedBuild or a plain "[build failed]" line.
  failedBuild?: string;
  plainFailure?: 'build' | 'setup';
}

function isResult(action: string): action is Result {
  return action === 'pass' || action === 'fail' || action === 'skip';
}

function cleanOutput(output: readonly string[]): string {
  const kept = output
    .join('')
    .split('\n')
    .filter((line) => !FRAMING_RE.test(line));
  return dedent(kept.join('\n'));
}

/**
 * Parses the output of `go test -json` (cmd/test2json events, one JSON object
 * per line). Each test (`Test`, with subtests named `TestX/sub`) of each
 * `Package` is a case, in the order the tests started, whose `suite` is the package: `pass` → 'passed', `fail`
 * → 'failed', `skip` → 'skipped', with the duration from `Elapsed`. The
 * message of a failed or skipped test is its output without the `=== RUN` and
 * `--- FAIL:` framing lines (so the t.Log, t.Error and t.Skip lines). A test
 * that started but has no result (the binary panicked, timed out or the
 * output is cut) is 'failed'. As in TAP, only leaf tests are cases: a parent
 * whose subtests ran is a case only when it failed while none of its subtests
 * did.
 *
 * A package that did not build is an 'error' case named "[build failed]" (or
 * "[setup failed]"), from Go 1.24's `FailedBuild` with its `build-output` as
 * the message, or from the plain `FAIL pkg [build failed]` line older Go
 * writes to standard output among the JSON. A package that failed with no
 * failing test (TestMain, init, a race or a crash outside tests) is an
 * 'error' case named "[package failed]"; one whose result never came, an
 * 'error' case named "[no package result]". Packages with no test files add
 * nothing. Other non-JSON lines (such as a merged standard error) are ignored.
 *
 * @throws ReportError when the input is over 50 MiB, a line that starts with
 * '{' is not a JSON object with a string `Action`, or there is no event at all.
 */
export function parseGoTestJson(text: string): TestResults {
  assertReportSize(text, KIND);
  const lines = text.split(/\r?\n/);
  const packages = new Map<string, PackageState>();
  const buildOutput = new Map<string, string[]>();
  const buildFailed: string[] = [];
  let events = 0;
  const pkg = (name: string): PackageState => {
    let state = packages.get(name);
    if (!state) {
      state = { tests: new Map(), output: [], elapsedMs: 0 };
      packages.set(name, state);
    }
    return state;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = (i === 0 ? (lines[i] ?? '').replace(/^\uFEFF/, '') : (lines[i] ?? '')).trim();
    if (line === '') continue;
    if (!line.startsWith('{')) {
      const plain = FAILED_BUILD_RE.exec(line);
      if (plain) {
        const state = pkg(plain[1] ?? '');
        state.result = 'fail';
        state.plainFailure = plain[2] === 'setup' ? 'setup' : 'build';
        events++;
      }
      continue;
    }
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch (err) {
      throw new ReportError(
        `${KIND} line ${i + 1} is not valid JSON (${err instanceof Error ? err.message : String(err)}); the output may be truncated`,
      );
    }
    if (
      typeof event !== 'object' ||
      event === null ||
      Array.isArray(event) ||
      typeof (event as Record<string, unknown>)['Action'] !== 'string'
    ) {
      throw new ReportError(`${KIND} line ${i + 1} is not a test2json event: expected an object with an "Action"`);
    }
    events++;
    const e = event as Record<string, unknown>;
    const action = e['Action'] as string;
    const output = typeof e['Output'] === 'string' ? e['Output'] : undefined;
    if (action === 'build-output' || action === 'build-fail') {
      const importPath = typeof e['ImportPath'] === 'string' ? e['ImportPath'] : '';
      if (action === 'build-output' && output !== undefined) {
        const list = buildOutput.get(importPath) ?? [];
        list.push(output);
        buildOutput.set(importPath, list);
      } else if (action === 'build-fail') buildFailed.push(importPath);
      continue;
    }
    if (typeof e['Package'] !== 'string') continue;
    const state = pkg(e['Package']);
    const elapsedMs = typeof e['Elapsed'] === 'number' ? toMs(e['Elapsed'] * 1000) : 0;
    if (typeof e['Test'] === 'string' && e['Test'] !== '') {
      const name = e['Test'];
      let test = state.tests.get(name);
      if (!test) {
        test = { started: false, elapsedMs: 0, output: [] };
        state.tests.set(name, test);
      }
      if (action === 'run') test.started = true;
      else if (action === 'output' && output !== undefined) test.output.push(output);
      else if (isResult(action)) {
        test.started = true;
        test.result = action;
        test.elapsedMs = elapsedMs;
      }
    } else if (action === 'output' && output !== undefined) {
      state.output.push(output);
    } else if (isResult(action)) {
      state.result = action;
      state.elapsedMs = elapsedMs;
      if (typeof e['FailedBuild'] === 'string' && e['FailedBuild'] !== '') state.failedBuild = e['FailedBuild'];
    }
  }
  if (events === 0) throw new ReportError(`not ${KIND}: no test2json event found`);

  const cases: TestCase[] = [];
  const claimedBuilds = new Set<string>();
  for (const [name, state] of packages) {
    const before = cases.length;
    const started = [...state.tests].filter(([, t]) => t.started);
    const statusOf = (test: TestState): TestCase['status'] =>
      test.result === 'pass' ? 'passed' : test.result === 'skip' ? 'skipped' : 'failed';
    // For every name that is a prefix ("TestX") of another started test ("TestX/sub"): whether a descendant failed.
    const parents = new Map<string, boolean>();
    for (const [testName, test] of started) {
      const failed = statusOf(test) === 'failed';
      for (let slash = testName.indexOf('/'); slash !== -1; slash = testName.indexOf('/', slash + 1)) {
        const ancestor = testName.slice(0, slash);
        parents.set(ancestor, (parents.get(ancestor) ?? false) || failed);
      }
    }
    for (const [testName, test] of started) {
      const status = statusOf(test);
      const descendantFailed = parents.get(testName);
      if (descendantFailed !== undefined && (status !== 'failed' || descendantFailed)) continue;
      let message = status === 'passed' ? undefined : cleanOutput(test.output);
      if (test.result === undefined) {
        const note =
          'no result: the test was still running when the output ended (it may have panicked or timed out, or the output is truncated)';
        message = message ? `${note}\n${message}` : note;
      }
      cases.push(makeCase(name, testName, status, test.elapsedMs, message));
    }
    const hasFailure = cases.slice(before).some((c) => c.status === 'failed' || c.status === 'error');

    if (state.failedBuild !== undefined || state.plainFailure !== undefined) {
      const importPath = state.failedBuild ?? name;
      claimedBuilds.add(importPath);
      const output = buildOutput.get(importPath);
      const label = state.plainFailure === 'setup' ? '[setup failed]' : '[build failed]';
      const message = output
        ? dedent(
            output
              .join('')
              .split('\n')
              .filter((l) => !l.startsWith('# '))
              .join('\n'),
          )
        : `${label.slice(1, -1)}; go test wrote the compiler's messages to standard error`;
      cases.push(makeCase(name, label, 'error', 0, message));
    } else if (state.result === 'fail' && !hasFailure) {
      cases.push(
        makeCase(
          name,
          '[package failed]',
          'error',
          state.elapsedMs,
          cleanOutput(state.output) || 'the package failed with no failing test',
        ),
      );
    } else if (state.result === undefined && started.length > 0) {
      cases.push(
        makeCase(
          name,
          '[no package result]',
          'error',
          0,
          "the output ends before the package's result; it may be truncated",
        ),
      );
    }
  }
  for (const importPath of buildFailed) {
    if (claimedBuilds.has(importPath)) continue;
    const output = buildOutput.get(importPath) ?? [];
    const message = dedent(
      output
        .join('')
        .split('\n')
        .filter((l) => !l.startsWith('# '))
        .join('\n'),
    );
    cases.push(makeCase(importPath.replace(/\s+\[.*\]$/, ''), '[build failed]', 'error', 0, message || 'build failed'));
  }
  return buildResults('go-json', cases);
}
