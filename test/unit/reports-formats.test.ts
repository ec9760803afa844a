import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { changedLinesCoverage } from '../../src/reports/changed-lines.ts';
import { parseCobertura } from '../../src/reports/cobertura.ts';
import { ReportError } from '../../src/reports/errors.ts';
import { parseGoCoverProfile } from '../../src/reports/go-cover.ts';
import { parseGoTestJson } from '../../src/reports/go-test-json.ts';
import { parseIstanbul } from '../../src/reports/istanbul.ts';
import { parseJacoco } from '../../src/reports/jacoco.ts';
import { parseJestJson } from '../../src/reports/jest-json.ts';
import type { CoverageReport } from '../../src/reports/lcov.ts';
import { MAX_REPORT_BYTES } from '../../src/reports/limits.ts';
import {
  COVERAGE_FORMATS,
  TEST_REPORT_FORMATS,
  isCoverageFormat,
  isTestReportFormat,
  parseCoverageReport,
  parseTestReport,
  type CoverageFormat,
  type TestReportFormat,
} from '../../src/reports/parse.ts';
import { parseTap } from '../../src/reports/tap.ts';
import type { TestResults } from '../../src/reports/test-results.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/reports/${name}`, import.meta.url), 'utf8');

/** [suite, name, status] of every case, for compact exact assertions. */
const shape = (r: TestResults): [string, string, string][] => r.cases.map((c) => [c.suite, c.name, c.status]);
/** [path, linesFound, linesHit] of every file. */
const fileShape = (r: CoverageReport): [string, number, number][] =>
  r.files.map((f) => [f.path, f.linesFound, f.linesHit]);
const linesOf = (r: CoverageReport, path: string): Record<number, number> | undefined =>
  r.files.find((f) => f.path === path)?.lines;
const message = (r: TestResults, name: string): string | undefined => r.cases.find((c) => c.name === name)?.message;

const reportError = (pattern: RegExp) => (err: unknown) => err instanceof ReportError && pattern.test(err.message);

describe('parseTap', () => {
  it('node --test-reporter=tap (real): leaves, nested describes, skip, todo, YAML errors, a parent that failed on its own', () => {
    const r = parseTap(fixture('node-test.tap'));
    assert.equal(r.format, 'tap');
    assert.deepEqual(r.totals, { total: 11, passed: 5, failed: 3, errors: 0, skipped: 3, durationMs: 18.133 });
    assert.deepEqual(shape(r), [
      ['', 'adds #1 \\ with "quotes"', 'passed'],
      ['', 'fails on purpose', 'failed'],
      ['', 'skipped one', 'skipped'],
      ['', 'todo one', 'skipped'],
      ['div', 'divides', 'passed'],
      ['div > by zero', 'throws', 'passed'],
      ['div > by zero', 'returns Infinity', 'failed'],
      ['parent with subtests', 'child passes', 'passed'],
      ['parent with subtests', 'child skipped', 'skipped'],
      ['parent fails after its children pass', 'inner ok', 'passed'],
      ['', 'parent fails after its children pass', 'failed'],
    ]);
    assert.equal(message(r, 'fails on purpose'), 'Expected values to be strictly equal:\n\n2 !== 3');
    assert.equal(message(r, 'returns Infinity'), 'division by zero');
    assert.equal(message(r, 'parent fails after its children pass'), 'parent broke');
    assert.equal(message(r, 'skipped one'), 'not ready');
    assert.equal(message(r, 'todo one'), 'TODO: write it');
    assert.equal(message(r, 'child skipped'), 'later');
    assert.equal(r.cases[0]?.durationMs, 2.205);
    assert.equal('message' in (r.cases[0] ?? {}), false);
  });

  it("sees the failure that node:test's own JUnit reporter drops from the same run (real)", () => {
    const junit = parseTestReport('junit', fixture('node-test-tap-run.junit.xml'));
    const tap = parseTestReport('tap', fixture('node-test.tap'));
    assert.equal(junit.totals.failed, 2);
    assert.equal(tap.totals.failed, 3);
    assert.equal(
      junit.cases.some((c) => c.name === 'parent fails after its children pass'),
      false,
    );
    assert.equal(
      tap.cases.some((c) => c.name === 'parent fails after its children pass' && c.status === 'failed'),
      true,
    );
  });

  it('node --test with a file that crashed on load (real): the file is one failed test, empty suites are not tests', () => {
    const r = parseTap(fixture('node-test-crash.tap'));
    assert.deepEqual(r.totals, { total: 4, passed: 2, failed: 1, errors: 0, skipped: 1, durationMs: 652.775 });
    assert.deepEqual(shape(r), [
      ['', '/repo/test/crash.test.js', 'failed'],
      ['', 'skipped suite', 'skipped'],
      ['todo suite', 'inner2', 'passed'],
      ['', 'line\\nbreak and\\ttab # hash', 'passed'],
    ]);
    assert.equal(r.cases[0]?.message, 'test failed');
    assert.equal(r.cases[1]?.message, undefined);
  });

  it('finds the top level of an indented stream and of one that opens with a TAP 14 subtest block', () => {
    assert.deepEqual(
      shape(parseTap('  TAP version 13\n  ok 1 - a\n      ok 1 - b\n      1..1\n  ok 2 - c\n  1..2\n')),
      [
        ['', 'a', 'passed'],
        ['c', 'b', 'passed'],
      ],
    );
    const r = parseTap('TAP version 14\n    # Subtest: foo\n    not ok 1\n    1..1\nnot ok 1 - foo\n1..1\n');
    assert.deepEqual(shape(r), [['foo', '', 'failed']]);
  });

  it('TAP 14 (published shape): subtest block, YAML messages, TODO not ok, escaped #, time directive, unmet plans', () => {
    const r = parseTap(fixture('tap14.tap'));
    assert.deepEqual(r.totals, { total: 8, passed: 2, failed: 4, errors: 0, skipped: 2, durationMs: 1.5 });
    assert.deepEqual(shape(r), [
      ['', 'Input file opened', 'passed'],
      ['', 'First line of the input valid', 'failed'],
      ['parser', 'reads headers', 'passed'],
      ['parser', 'reads rows', 'failed'],
      ['parser', '#3 (not reported)', 'failed'],
      ['', 'Summarized correctly', 'skipped'],
      ['', 'issue #12 handled', 'skipped'],
      ['', '#6 (not reported)', 'failed'],
    ]);
    assert.equal(message(r, 'First line of the input valid'), 'First line invalid');
    assert.equal(message(r, 'reads rows'), 'row 3 has 4 fields,\nexpected 5');
    assert.equal(message(r, 'Summarized correctly'), 'TODO: Not written yet');
    assert.equal(message(r, 'issue #12 handled'), 'not on this platform');
    assert.equal(message(r, '#6 (not reported)'), 'planned by 1..6 but never reported; the run may have stopped early');
    assert.equal(r.cases[2]?.durationMs, 1.5);
  });

  it('counts the tests a Bail out! left unrun, and reports the bail out', () => {
    const r = parseTap(
      "TAP version 14\n1..573\nnot ok 1 - database handle\nBail out! Couldn't connect to database.\nok 2 - never read\n",
    );
    assert.deepEqual(r.totals, { total: 574, passed: 0, failed: 573, errors: 1, skipped: 0, durationMs: 0 });
    assert.deepEqual(shape(r).slice(0, 2), [
      ['', 'database handle', 'failed'],
      ['', '#2 (not reported)', 'failed'],
    ]);
    assert.deepEqual(r.cases.at(-1), {
      suite: '',
      name: 'Bail out!',
      status: 'error',
      durationMs: 0,
      message: "Couldn't connect to database.",
    });
    const noPlan = parseTap('ok 1 - a\nbail out!\n');
    assert.deepEqual(shape(noPlan), [
      ['', 'a', 'passed'],
      ['', 'Bail out!', 'error'],
    ]);
    assert.equal(noPlan.cases[1]?.message, 'the run bailed out');
  });

  it('reads TAP 13 indented subtests without # Subtest lines, unnumbered points and CRLF', () => {
    const text = [
      'TAP version 13',
      '    ok - inner a',
      '    not ok - inner b',
      '    1..2',
      'not ok 1 - outer',
      'ok 2',
      '1..2',
      '',
    ].join('\r\n');
    const r = parseTap(text);
    assert.deepEqual(shape(r), [
      ['outer', 'inner a', 'passed'],
      ['outer', 'inner b', 'failed'],
      ['', '', 'passed'],
    ]);
  });

  it('keeps the leaves of a subtest block no test point closed (a stream cut inside a subtest)', () => {
    const r = parseTap('1..2\nok 1 - first\n    # Subtest: second\n    ok 1 - half done\n');
    assert.deepEqual(shape(r), [
      ['', 'first', 'passed'],
      ['second', 'half done', 'passed'],
      ['', '#2 (not reported)', 'failed'],
    ]);
  });

  it('treats 1..0 as an empty run, failing SKIP as skipped, and numbers outside the plan as a failure', () => {
    assert.deepEqual(
      parseTap("TAP version 14\n1..0 # skip because English-to-French translator isn't installed\n").totals,
      {
        total: 0,
        passed: 0,
        failed: 0,
        errors: 0,
        skipped: 0,
        durationMs: 0,
      },
    );
    assert.deepEqual(shape(parseTap('1..1\nnot ok 1 - flaky # SKIP known flake\n')), [['', 'flaky', 'skipped']]);
    const r = parseTap('TAP version 14\n1..3\nok 2\nok 4\nok 1\n');
    assert.deepEqual(shape(r), [
      ['', '', 'passed'],
      ['', '', 'passed'],
      ['', '', 'passed'],
      ['', '#3 (not reported)', 'failed'],
      ['', 'test points outside the plan 1..3', 'failed'],
    ]);
    assert.equal(r.cases[4]?.message, 'test point number 4 outside the plan 1..3');
  });

  it('falls back to the raw diagnostics when the YAML block is not YAML, and skips suites with no tests', () => {
    const r = parseTap(
      "not ok 1 - broken yaml\n  ---\n  message: [unclosed\n    at thing\n  ...\nok 2 - empty suite\n  ---\n  type: 'suite'\n  ...\n1..2\n",
    );
    assert.deepEqual(shape(r), [['', 'broken yaml', 'failed']]);
    assert.equal(r.cases[0]?.message, 'message: [unclosed\n  at thing');
  });

  it('throws ReportError on text that is not TAP, a missing plan, a huge plan, and oversized input', () => {
    assert.throws(() => parseTap(''), reportError(/not a TAP report/));
    assert.throws(() => parseTap('Error: Cannot find module\n    at x.js:1\n'), reportError(/not a TAP report/));
    assert.throws(
      () => parseTap('TAP version 13\nok 1 - a\nnot ok 2 - b\n'),
      reportError(/no top-level plan.*truncated/),
    );
    assert.throws(
      () => parseTap('1..99999999\n'),
      reportError(/line 1: plan 1\.\.99999999 is more than 1000000 tests/),
    );
    assert.throws(() => parseTap(`1..1\n${' '.repeat(MAX_REPORT_BYTES)}`), reportError(/TAP report is too large/));
  });
});

describe('parseGoTestJson', () => {
  it('go test -json ./... from Go 1.19 (real): subtests, failures with output, skip, a build failure as plain text', () => {
    const r = parseGoTestJson(fixture('go-test.json'));
    assert.equal(r.format, 'go-json');
    assert.deepEqual(r.totals, { total: 8, passed: 4, failed: 2, errors: 1, skipped: 1, durationMs: 0 });
    assert.deepEqual(shape(r), [
      ['example.com/calc/broken', '[build failed]', 'error'],
      ['example.com/calc/strutil', 'TestShout', 'passed'],
      ['example.com/calc/calc', 'TestAdd', 'passed'],
      ['example.com/calc/calc', 'TestAddWrong', 'failed'],
      ['example.com/calc/calc', 'TestDiv/exact', 'passed'],
      ['example.com/calc/calc', 'TestDiv/by_zero', 'passed'],
      ['example.com/calc/calc', 'TestDiv/rounds', 'failed'],
      ['example.com/calc/calc', 'TestSlow', 'skipped'],
    ]);
    assert.equal(message(r, 'TestAddWrong'), 'calc_test.go:12: checking 1 + 1\ncalc_test.go:14: Add(1, 1) = 2, want 3');
    assert.equal(message(r, 'TestDiv/rounds'), 'calc_test.go:31: Div(7, 2) = 3, want 4');
    assert.equal(message(r, 'TestSlow'), 'calc_test.go:37: slow test; run with -slow');
    assert.equal(message(r, '[build failed]'), "build failed; go test wrote the compiler's messages to standard error");
  });

  it('Go 1.24 events (published shape): build-output, parallel subtests, a TestMain failure, a timeout', () => {
    const r = parseGoTestJson(fixture('go-test-1.24.json'));
    assert.deepEqual(r.totals, { total: 7, passed: 3, failed: 2, errors: 2, skipped: 0, durationMs: 75 });
    assert.deepEqual(shape(r), [
      ['example.com/calc/broken', '[build failed]', 'error'],
      ['example.com/calc/par', 'TestB', 'passed'],
      ['example.com/calc/par', 'TestA/one', 'passed'],
      ['example.com/calc/par', 'TestA/two', 'failed'],
      ['example.com/calc/mainfail', '[package failed]', 'error'],
      ['example.com/calc/slow', 'TestQuick', 'passed'],
      ['example.com/calc/slow', 'TestHangs', 'failed'],
    ]);
    assert.equal(
      message(r, '[build failed]'),
      'broken/broken_test.go:6:14: cannot use "not an int" (untyped string constant) as int value in variable declaration',
    );
    assert.equal(message(r, 'TestA/two'), 'a_test.go:20: boom');
    assert.equal(message(r, '[package failed]'), 'setup: database unavailable');
    assert.equal(
      message(r, 'TestHangs'),
      'no result: the test was still running when the output ended (it may have panicked or timed out, or the output is truncated)\npanic: test timed out after 1s\n\trunning tests:\n\t\tTestHangs (1s)',
    );
    assert.deepEqual(
      r.cases.map((c) => c.durationMs),
      [0, 10, 20, 30, 5, 10, 0],
    );
  });

  it('keeps a failed parent whose subtests passed, and flags a stream cut before the package result', () => {
    const ev = (o: Record<string, unknown>): string => JSON.stringify({ Package: 'p', ...o });
    const text = [
      ev({ Action: 'run', Test: 'TestP' }),
      ev({ Action: 'run', Test: 'TestP/sub' }),
      ev({ Action: 'pass', Test: 'TestP/sub', Elapsed: 0.001 }),
      ev({ Action: 'output', Test: 'TestP', Output: '    p_test.go:9: cleanup failed\n' }),
      ev({ Action: 'fail', Test: 'TestP', Elapsed: 0.002 }),
      ev({ Action: 'run', Test: 'TestQ' }),
      ev({ Action: 'pass', Test: 'TestQ', Elapsed: 0 }),
    ].join('\n');
    const r = parseGoTestJson(text);
    assert.deepEqual(shape(r), [
      ['p', 'TestP', 'failed'],
      ['p', 'TestP/sub', 'passed'],
      ['p', 'TestQ', 'passed'],
      ['p', '[no package result]', 'error'],
    ]);
    assert.equal(message(r, 'TestP'), 'p_test.go:9: cleanup failed');
    assert.deepEqual(
      r.cases.map((c) => c.durationMs),
      [2, 1, 0, 0],
    );
  });

  it('reads a [setup failed] line', () => {
    assert.deepEqual(shape(parseGoTestJson('FAIL\texample.com/x [setup failed]\n')), [
      ['example.com/x', '[setup failed]', 'error'],
    ]);
  });

  it('throws ReportError on broken JSON lines, non-events and output that is not go test -json', () => {
    const good = fixture('go-test.json');
    assert.throws(
      () => parseGoTestJson(good.slice(0, good.lastIndexOf('"Elapsed"'))),
      reportError(/line 45 is not valid JSON.*truncated/),
    );
    assert.throws(() => parseGoTestJson('{"Package":"p"}\n'), reportError(/line 1 is not a test2json event/));
    assert.throws(() => parseGoTestJson('[1,2]\n'), reportError(/not a test2json event|no test2json event/));
    assert.throws(
      () => parseGoTestJson('=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\nok  \tp\t0.1s\n'),
      reportError(/not go test -json output: no test2json event/),
    );
    assert.throws(() => parseGoTestJson(''), reportError(/no test2json event/));
    assert.throws(
      () => parseGoTestJson(`{"Action":"start"}\n${' '.repeat(MAX_REPORT_BYTES)}`),
      reportError(/too large/),
    );
  });
});

describe('parseJestJson', () => {
  it('jest --json (real): nested describes, skip, todo, a file that did not load, an afterAll that threw', () => {
    const r = parseJestJson(fixture('jest.json'), { root: '/repo' });
    assert.equal(r.format, 'jest-json');
    assert.deepEqual(r.totals, { total: 9, passed: 4, failed: 1, errors: 2, skipped: 2, durationMs: 81 });
    assert.deepEqual(shape(r), [
      ['src/calc.test.js', 'Calculator > adds', 'passed'],
      ['src/calc.test.js', 'Calculator > adds wrongly', 'failed'],
      ['src/calc.test.js', 'Calculator > div > divides', 'passed'],
      ['src/calc.test.js', 'Calculator > div > rounds', 'skipped'],
      ['src/calc.test.js', 'Calculator > multiplies', 'skipped'],
      ['src/calc.test.js', 'top-level test', 'passed'],
      ['src/format.test.js', 'pads', 'passed'],
      ['src/format.test.js', 'Test suite failed to run', 'error'],
      ['src/broken.test.js', 'Test suite failed to run', 'error'],
    ]);
    assert.ok(
      message(r, 'Calculator > adds wrongly')?.startsWith(
        'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 3\nReceived: 2\n    at Object.toBe (/repo/src/calc.test.js:9:23)',
      ),
    );
    assert.equal(message(r, 'Calculator > multiplies'), 'TODO');
    assert.equal(message(r, 'Calculator > div > rounds'), undefined);
    const suiteErrors = r.cases.filter((c) => c.status === 'error').map((c) => c.message?.split('\n')[0]);
    assert.deepEqual(suiteErrors, ['cleanup failed', "Cannot find module './missing' from 'src/broken.test.js'"]);
    assert.deepEqual(
      r.cases.map((c) => c.durationMs),
      [25, 3, 14, 0, 0, 11, 28, 0, 0],
    );
  });

  it('vitest --reporter=json (real): the same shapes, fractional durations', () => {
    const r = parseJestJson(fixture('vitest.json'), { root: '/repo' });
    assert.deepEqual(r.totals, { total: 9, passed: 4, failed: 1, errors: 2, skipped: 2, durationMs: 116.535 });
    assert.deepEqual(shape(r), [
      ['src/broken.test.js', 'Test suite failed to run', 'error'],
      ['src/calc.test.js', 'Calculator > adds', 'passed'],
      ['src/calc.test.js', 'Calculator > adds wrongly', 'failed'],
      ['src/calc.test.js', 'Calculator > div > divides', 'passed'],
      ['src/calc.test.js', 'Calculator > div > rounds', 'skipped'],
      ['src/calc.test.js', 'Calculator > multiplies', 'skipped'],
      ['src/calc.test.js', 'top-level test', 'passed'],
      ['src/format.test.js', 'pads', 'passed'],
      ['src/format.test.js', 'Test suite failed to run', 'error'],
    ]);
    assert.equal(r.cases[0]?.message, "Cannot find module './missing.js' imported from /repo/src/broken.test.js");
    assert.equal(r.cases[8]?.message, 'cleanup failed');
    assert.equal(
      message(r, 'Calculator > adds wrongly')?.split('\n')[0],
      'AssertionError: expected 2 to be 3 // Object.is equality',
    );
    assert.equal(r.cases[1]?.durationMs, 24.156);
  });

  it('strips ANSI colours, reads testExecError, and makes an unknown status an error', () => {
    const report = {
      testResults: [
        {
          name: '/elsewhere/a.test.js',
          status: 'failed',
          assertionResults: [
            {
              title: 't',
              ancestorTitles: [],
              status: 'failed',
              failureMessages: ['\u001b[31mexpected\u001b[39m 1', 'second'],
            },
            { title: 'u', status: 'focused', duration: 2 },
          ],
        },
        { name: '/repo/b.test.js', status: 'failed', message: '', testExecError: { message: 'boom' } },
      ],
    };
    const r = parseJestJson(JSON.stringify(report), { root: '/repo' });
    assert.deepEqual(shape(r), [
      ['/elsewhere/a.test.js', 't', 'failed'],
      ['/elsewhere/a.test.js', 'u', 'error'],
      ['b.test.js', 'Test suite failed to run', 'error'],
    ]);
    assert.equal(r.cases[0]?.message, 'expected 1\n\nsecond');
    assert.equal(r.cases[1]?.message, 'unknown test status "focused" in the report');
    assert.equal(r.cases[2]?.message, 'boom');
  });

  it('throws ReportError on input that is not a Jest/Vitest JSON report', () => {
    assert.throws(() => parseJestJson(''), reportError(/is empty/));
    assert.throws(() => parseJestJson('{"testResults": ['), reportError(/not valid JSON/));
    assert.throws(
      () => parseJestJson('{"numTotalTests": 3}'),
      reportError(/expected an object with a testResults array/),
    );
    assert.throws(() => parseJestJson('[]'), reportError(/expected an object with a testResults array/));
    assert.throws(() => parseJestJson('{"testResults": [1]}'), reportError(/testResults\[0\] is not an object/));
    assert.throws(
      () => parseJestJson('{"testResults": [{"assertionResults": [{"status": "passed"}]}]}'),
      reportError(/assertionResults\[0\] is not a test with a title/),
    );
  });
});

describe('parseCobertura', () => {
  it('coverage.py 6.5 (real): source joined with filenames, empty classes kept', () => {
    const r = parseCobertura(fixture('coverage-py.cobertura.xml'), { root: '/repo' });
    assert.equal(r.format, 'cobertura');
    assert.deepEqual(r.totals, { linesFound: 10, linesHit: 7, percent: 70 });
    assert.deepEqual(fileShape(r), [
      ['calc/__init__.py', 0, 0],
      ['calc/ops.py', 10, 7],
    ]);
    assert.deepEqual(linesOf(r, 'calc/ops.py'), { 1: 1, 2: 1, 5: 1, 6: 1, 7: 1, 8: 1, 11: 1, 12: 0, 13: 0, 14: 0 });
  });

  it('Istanbul via Jest (real): method lines are not statement lines', () => {
    const r = parseCobertura(fixture('jest-istanbul.cobertura.xml'), { root: '/repo' });
    assert.deepEqual(r.totals, { linesFound: 10, linesHit: 6, percent: 60 });
    assert.deepEqual(fileShape(r), [
      ['src/calc.js', 8, 4],
      ['src/format.js', 2, 2],
    ]);
    assert.deepEqual(linesOf(r, 'src/calc.js'), { 2: 2, 6: 2, 7: 0, 9: 2, 13: 0, 14: 0, 16: 0, 19: 1 });
  });

  it('chooses the source under root, keeps absolute filenames, merges inner classes by the larger count', () => {
    const xml =
      '<?xml version="1.0"?><!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">' +
      '<coverage><sources><source>/build/gen</source><source>/repo/src/main/java/</source></sources><packages><package name="a"><classes>' +
      '<class name="a.A" filename="a/A.java"><methods><method name="m"><lines><line number="99" hits="9"/></lines></method></methods>' +
      '<lines><line number="3" hits="0"/><line number="4" hits="2" branch="true" condition-coverage="50% (1/2)"/></lines></class>' +
      '<class name="a.A$Inner" filename="a/A.java"><lines><line number="3" hits="5"/><line number="10" hits="0"/></lines></class>' +
      '<class name="b" filename="/repo/./lib/../b.py"><lines><line number="1" hits="1"/></lines></class>' +
      '</classes></package></packages></coverage>';
    const r = parseCobertura(xml, { root: '/repo' });
    assert.deepEqual(r.files, [
      { path: 'src/main/java/a/A.java', lines: { 3: 5, 4: 2, 10: 0 }, linesFound: 3, linesHit: 2 },
      { path: 'b.py', lines: { 1: 1 }, linesFound: 1, linesHit: 1 },
    ]);
    assert.equal(parseCobertura(xml).files[0]?.path, '/build/gen/a/A.java');
    const noSources =
      '<coverage><packages><package><classes><class filename="./x.py"><lines/></class></classes></package></packages></coverage>';
    assert.equal(parseCobertura(noSources).files[0]?.path, 'x.py');
  });

  it('throws ReportError on malformed or foreign XML and bad line records', () => {
    const wrap = (cls: string): string =>
      `<coverage><packages><package><classes>${cls}</classes></package></packages></coverage>`;
    assert.throws(() => parseCobertura(''), reportError(/Cobertura XML report is empty/));
    assert.throws(() => parseCobertura('<coverage><packages>'), reportError(/not well-formed XML/));
    assert.throws(
      () => parseCobertura('<report name="x"/>'),
      reportError(/root element is <report>, expected <coverage>/),
    );
    assert.throws(() => parseCobertura('<coverage/>'), reportError(/lists no classes/));
    assert.throws(
      () => parseCobertura(wrap('<class name="A"><lines/></class>')),
      reportError(/<class name="A"> has no filename/),
    );
    assert.throws(
      () => parseCobertura(wrap('<class filename="a.py"><lines><line number="x" hits="1"/></lines></class>')),
      reportError(/<line> of a\.py has a bad number "x"/),
    );
    assert.throws(
      () => parseCobertura(wrap('<class filename="a.py"><lines><line number="2"/></lines></class>')),
      reportError(/line 2 has no hits attribute/),
    );
    assert.throws(
      () => parseCobertura(wrap('<class filename="a.py"><lines><line number="2" hits="-1"/></lines></class>')),
      reportError(/bad hits "-1"/),
    );
    assert.throws(
      () => parseCobertura(`<coverage>${' '.repeat(MAX_REPORT_BYTES)}</coverage>`),
      reportError(/too large/),
    );
  });
});

describe('parseJacoco', () => {
  it('JaCoCo 0.8.6 XMLFormatter (real): package paths, default package, inner classes in one source file', () => {
    const r = parseJacoco(fixture('jacoco.xml'), { sourceRoot: 'src/main/java' });
    assert.equal(r.format, 'jacoco');
    assert.deepEqual(r.totals, { linesFound: 15, linesHit: 10, percent: 66.66 });
    assert.deepEqual(fileShape(r), [
      ['src/main/java/com/example/util/Strings.java', 1, 1],
      ['src/main/java/Main.java', 6, 5],
      ['src/main/java/com/example/Calc.java', 8, 4],
    ]);
    assert.deepEqual(linesOf(r, 'src/main/java/com/example/Calc.java'), {
      3: 3,
      5: 4,
      9: 2,
      10: 0,
      12: 4,
      16: 0,
      19: 0,
      21: 0,
    });
    assert.deepEqual(linesOf(r, 'src/main/java/Main.java'), { 4: 0, 6: 4, 7: 6, 8: 6, 9: 4, 10: 1 });
    assert.equal(parseJacoco(fixture('jacoco.xml')).files[0]?.path, 'com/example/util/Strings.java');
  });

  it('reads nested groups, leaves out lines without instructions, merges a file seen twice', () => {
    const xml =
      '<report name="all"><group name="mod-a"><group name="inner"><package name="p"><sourcefile name="A.java">' +
      '<line nr="1" mi="2" ci="0"/><line nr="2" mi="0" ci="0"/><line nr="3" mi="1" ci="4" mb="1" cb="1"/></sourcefile></package></group></group>' +
      '<package name="p"><sourcefile name="A.java"><line nr="1" mi="0" ci="7"/></sourcefile><sourcefile name="B.java"/></package></report>';
    const r = parseJacoco(xml);
    assert.deepEqual(r.files, [
      { path: 'p/A.java', lines: { 1: 7, 3: 4 }, linesFound: 2, linesHit: 2 },
      { path: 'p/B.java', lines: {}, linesFound: 0, linesHit: 0 },
    ]);
  });

  it('throws ReportError on foreign XML and bad line records', () => {
    const wrap = (line: string): string =>
      `<report name="r"><package name="p"><sourcefile name="A.java">${line}</sourcefile></package></report>`;
    assert.throws(
      () => parseJacoco('<coverage/>'),
      reportError(/not a JaCoCo XML report: the root element is <coverage>/),
    );
    assert.throws(() => parseJacoco('<report name="r"/>'), reportError(/JaCoCo XML report lists no source files/));
    assert.throws(
      () => parseJacoco('<report name="r"><package name="p"><sourcefile/></package></report>'),
      reportError(/<sourcefile> in package "p" has no name/),
    );
    assert.throws(
      () => parseJacoco(wrap('<line mi="1" ci="0"/>')),
      reportError(/<line> of p\/A\.java has no nr attribute/),
    );
    assert.throws(
      () => parseJacoco(wrap('<line nr="4" mi="1" ci="lots"/>')),
      reportError(/line 4 has a bad ci "lots"/),
    );
    assert.throws(() => parseJacoco('<report><package>'), reportError(/not well-formed XML/));
  });
});

describe('parseIstanbul', () => {
  it('Jest coverage-final.json (real): per-line hits are the largest count of the statements starting there', () => {
    const r = parseIstanbul(fixture('jest-coverage-final.json'), { root: '/repo' });
    assert.equal(r.format, 'istanbul');
    assert.deepEqual(r.totals, { linesFound: 10, linesHit: 6, percent: 60 });
    assert.deepEqual(fileShape(r), [
      ['src/calc.js', 8, 4],
      ['src/format.js', 2, 2],
    ]);
    assert.deepEqual(linesOf(r, 'src/calc.js'), { 2: 2, 6: 2, 7: 0, 9: 2, 13: 0, 14: 0, 16: 0, 19: 1 });
  });

  it('Vitest v8 coverage-final.json (real): null end columns are fine', () => {
    const r = parseIstanbul(fixture('vitest-v8-coverage-final.json'), { root: '/repo' });
    assert.deepEqual(r.totals, { linesFound: 8, linesHit: 4, percent: 50 });
    assert.deepEqual(fileShape(r), [
      ['src/calc.js', 7, 3],
      ['src/format.js', 1, 1],
    ]);
    assert.deepEqual(linesOf(r, 'src/calc.js'), { 2: 2, 6: 2, 7: 0, 9: 2, 13: 0, 14: 0, 16: 0 });
  });

  it('takes the max on a line, unwraps { data }, uses the key when path is missing, ignores unmapped counts', () => {
    const loc = (line: number) => ({ start: { line, column: 0 }, end: { line, column: 5 } });
    const map = {
      '/repo/a.js': {
        path: '/repo/a.js',
        statementMap: { 0: loc(1), 1: loc(1), 2: loc(2) },
        s: { 0: 0, 1: 3, 2: 0, 9: 4 },
      },
      'b.js': { data: { statementMap: { 0: loc(5) }, s: { 0: 1 } } },
    };
    const r = parseIstanbul(JSON.stringify(map), { root: '/repo' });
    assert.deepEqual(r.files, [
      { path: 'a.js', lines: { 1: 3, 2: 0 }, linesFound: 2, linesHit: 1 },
      { path: 'b.js', lines: { 5: 1 }, linesFound: 1, linesHit: 1 },
    ]);
  });

  it('throws ReportError on input that is not an Istanbul coverage map', () => {
    assert.throws(() => parseIstanbul('   '), reportError(/is empty/));
    assert.throws(() => parseIstanbul('{"a.js": '), reportError(/not valid JSON/));
    assert.throws(() => parseIstanbul('[]'), reportError(/expected an object of file entries, got an array/));
    assert.throws(() => parseIstanbul('{}'), reportError(/lists no source files/));
    assert.throws(
      () => parseIstanbul('{"total": {"lines": {"pct": 80}}}'),
      reportError(/entry for "total" has no statementMap and s objects/),
    );
    assert.throws(
      () => parseIstanbul('{"a.js": {"statementMap": {"0": {"start": {"line": 1}}}, "s": {"0": -2}}}'),
      reportError(/statement 0 of a\.js has a bad count -2/),
    );
    assert.throws(
      () => parseIstanbul('{"a.js": {"statementMap": {"0": {"start": {}}}, "s": {"0": 1}}}'),
      reportError(/statement 0 of a\.js has no start line/),
    );
  });
});

describe('parseGoCoverProfile', () => {
  it('go test -coverprofile, mode set (real): module paths mapped to the repository, block lines spread', () => {
    const r = parseGoCoverProfile(fixture('go-set.coverprofile'), { modulePrefix: 'example.com/calc' });
    assert.equal(r.format, 'go');
    assert.deepEqual(r.totals, { linesFound: 14, linesHit: 9, percent: 64.28 });
    assert.deepEqual(fileShape(r), [
      ['strutil/strutil.go', 1, 1],
      ['calc/calc.go', 13, 8],
    ]);
    assert.deepEqual(linesOf(r, 'calc/calc.go'), {
      6: 1,
      7: 1,
      8: 1,
      11: 1,
      12: 1,
      13: 1,
      14: 1,
      15: 1,
      19: 0,
      20: 0,
      21: 0,
      22: 0,
      23: 0,
    });
    assert.equal(
      parseGoCoverProfile(fixture('go-set.coverprofile')).files[0]?.path,
      'example.com/calc/strutil/strutil.go',
    );
    const sub = parseGoCoverProfile(fixture('go-set.coverprofile'), {
      modulePrefix: 'example.com/calc/',
      sourceRoot: 'backend',
    });
    assert.deepEqual(
      sub.files.map((f) => f.path),
      ['backend/strutil/strutil.go', 'backend/calc/calc.go'],
    );
  });

  it('-coverpkg with mode count (real): the same block from several test binaries is added up', () => {
    const r = parseGoCoverProfile(fixture('go-coverpkg-count.coverprofile'), { modulePrefix: 'example.com/calc' });
    assert.deepEqual(r.totals, { linesFound: 14, linesHit: 9, percent: 64.28 });
    assert.deepEqual(linesOf(r, 'calc/calc.go'), {
      6: 2,
      7: 2,
      8: 2,
      11: 3,
      12: 3,
      13: 1,
      14: 1,
      15: 2,
      19: 0,
      20: 0,
      21: 0,
      22: 0,
      23: 0,
    });
    assert.deepEqual(linesOf(r, 'strutil/strutil.go'), { 6: 1 });
  });

  it('keeps the larger count in set mode, leaves out blocks without statements, maps absolute paths with root', () => {
    const text = [
      'mode: set',
      '/repo/x.go:1.1,2.2 1 1',
      '/repo/x.go:1.1,2.2 1 0',
      '/repo/x.go:4.1,4.5 0 0',
      'mode: set',
      '/repo/x.go:5.1,6.1 2 0',
      '',
    ].join('\n');
    assert.deepEqual(parseGoCoverProfile(text, { root: '/repo' }).files, [
      { path: 'x.go', lines: { 1: 1, 2: 1, 5: 0, 6: 0 }, linesFound: 4, linesHit: 2 },
    ]);
  });

  it('throws ReportError on profiles that are not Go cover profiles', () => {
    assert.throws(() => parseGoCoverProfile(''), reportError(/empty: no "mode:" line/));
    assert.throws(() => parseGoCoverProfile('mode: set\n'), reportError(/has no blocks/));
    assert.throws(
      () => parseGoCoverProfile('a.go:1.1,2.2 1 1\n'),
      reportError(/line 1: a Go cover profile starts with a "mode: set\|count\|atomic" line/),
    );
    assert.throws(
      () => parseGoCoverProfile('mode: count\na.go:1.1,2.2 1 1\nmode: set\n'),
      reportError(/line 3: mode set differs from the profile's mode count/),
    );
    assert.throws(() => parseGoCoverProfile('mode: set\na.go:1.1,2.2 1\n'), reportError(/line 2 is not a cover block/));
    assert.throws(
      () => parseGoCoverProfile('mode: set\na.go:5.1,2.2 1 1\n'),
      reportError(/line 2: the block ends \(line 2\) before it starts \(line 5\)/),
    );
    assert.throws(() => parseGoCoverProfile('mode: set\na.go:1.1,900000.2 1 1\n'), reportError(/spans 900000 lines/));
  });
});

describe('parse dispatcher', () => {
  it('lists the formats and recognises their names', () => {
    assert.deepEqual([...TEST_REPORT_FORMATS], ['junit', 'tap', 'go-json', 'jest-json']);
    assert.deepEqual([...COVERAGE_FORMATS], ['lcov', 'cobertura', 'jacoco', 'istanbul', 'go']);
    assert.equal(isTestReportFormat('tap'), true);
    assert.equal(isTestReportFormat('lcov'), false);
    assert.equal(isTestReportFormat(undefined), false);
    assert.equal(isCoverageFormat('jacoco'), true);
    assert.equal(isCoverageFormat('junit'), false);
  });

  it('routes every test format to its parser, with the format name in the result', () => {
    const samples: Record<TestReportFormat, [string, number]> = {
      junit: ['pytest-run.junit.xml', 8],
      tap: ['node-test.tap', 11],
      'go-json': ['go-test.json', 8],
      'jest-json': ['jest.json', 9],
    };
    for (const format of TEST_REPORT_FORMATS) {
      const [file, total] = samples[format];
      const r = parseTestReport(format, fixture(file), { root: '/repo' });
      assert.equal(r.format, format);
      assert.equal(r.totals.total, total, format);
    }
    assert.equal(parseTestReport('jest-json', fixture('jest.json')).cases[0]?.suite, '/repo/src/calc.test.js');
    assert.equal(
      parseTestReport('jest-json', fixture('jest.json'), { root: '/repo' }).cases[0]?.suite,
      'src/calc.test.js',
    );
  });

  it('pytest --junitxml (real) through the dispatcher', () => {
    const r = parseTestReport('junit', fixture('pytest-run.junit.xml'));
    assert.deepEqual(r.totals, { total: 8, passed: 3, failed: 2, errors: 1, skipped: 2, durationMs: 7 });
    assert.deepEqual(
      r.cases.map((c) => [c.name, c.status]),
      [
        ['test_add', 'passed'],
        ['test_add_wrong', 'failed'],
        ['test_div_by_zero', 'passed'],
        ['test_needs_db', 'error'],
        ['test_skipped', 'skipped'],
        ['test_xfail', 'skipped'],
        ['test_param[1-2-3]', 'passed'],
        ['test_param[2-2-5]', 'failed'],
      ],
    );
    assert.equal(message(r, 'test_add_wrong'), 'assert 2 == 3\n +  where 2 = add(1, 1)');
    assert.equal(message(r, 'test_needs_db'), 'failed on setup with "RuntimeError: no database"');
  });

  it('routes every coverage format to its parser and passes the path options', () => {
    const samples: Record<CoverageFormat, [string, string]> = {
      lcov: ['node-test.lcov', 'src/math.js'],
      cobertura: ['coverage-py.cobertura.xml', 'calc/__init__.py'],
      jacoco: ['jacoco.xml', 'java/com/example/util/Strings.java'],
      istanbul: ['jest-coverage-final.json', 'src/calc.js'],
      go: ['go-set.coverprofile', 'java/strutil/strutil.go'],
    };
    for (const format of COVERAGE_FORMATS) {
      const [file, firstPath] = samples[format];
      const r = parseCoverageReport(format, fixture(file), {
        root: '/repo',
        modulePrefix: 'example.com/calc',
        sourceRoot: 'java',
      });
      assert.equal(r.format, format);
      assert.equal(r.files[0]?.path, firstPath, format);
    }
  });

  it('throws ReportError on an unknown format name and on oversized input for every format', () => {
    assert.throws(
      () => parseTestReport('xunit' as TestReportFormat, '<x/>'),
      reportError(/unknown test report format "xunit"; expected one of junit, tap, go-json, jest-json/),
    );
    assert.throws(
      () => parseCoverageReport('clover' as CoverageFormat, '<x/>'),
      reportError(/unknown coverage format "clover"; expected one of lcov, cobertura, jacoco, istanbul, go/),
    );
    const huge = ' '.repeat(MAX_REPORT_BYTES + 1);
    for (const format of TEST_REPORT_FORMATS)
      assert.throws(() => parseTestReport(format, huge), reportError(/too large/), format);
    for (const format of COVERAGE_FORMATS)
      assert.throws(() => parseCoverageReport(format, huge), reportError(/too large/), format);
  });

  it('gives reports that changed-lines coverage can use as they are', () => {
    const coverage = parseCoverageReport('go', fixture('go-set.coverprofile'), { modulePrefix: 'example.com/calc' });
    const r = changedLinesCoverage(
      [
        {
          path: 'calc/calc.go',
          status: 'modified',
          addedLines: [7, 10, 20, 21],
          additions: 4,
          deletions: 0,
          binary: false,
        },
      ],
      coverage,
      50,
    );
    assert.deepEqual([r.executable, r.covered, r.percent, r.meetsThreshold], [3, 1, 33.33, false]);
    assert.deepEqual(r.files[0]?.uncovered, [20, 21]);
  });
});
