import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { changedLinesCoverage } from '../../src/reports/changed-lines.ts';
import { fileKinds } from '../../src/reports/file-kinds.ts';
import { parseUnifiedDiff, type ChangedFile } from '../../src/reports/diff.ts';
import { ReportError } from '../../src/reports/errors.ts';
import { parseJunit } from '../../src/reports/junit.ts';
import { parseLcov } from '../../src/reports/lcov.ts';
import { MAX_REPORT_BYTES } from '../../src/reports/limits.ts';
import type { TestResults } from '../../src/reports/test-results.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/reports/${name}`, import.meta.url), 'utf8');

/** [suite, name, status] of every case, for compact exact assertions. */
const shape = (r: TestResults): [string, string, string][] => r.cases.map((c) => [c.suite, c.name, c.status]);

const reportError = (pattern: RegExp) => (err: unknown) => err instanceof ReportError && pattern.test(err.message);

describe('parseJunit on real and published-shape reports', () => {
  it('node:test (real): top-level cases, nested describes, failure and skip', () => {
    const r = parseJunit(fixture('node-test.junit.xml'));
    assert.equal(r.format, 'junit');
    assert.deepEqual(r.totals, { total: 5, passed: 3, failed: 1, errors: 0, skipped: 1, durationMs: 5.461 });
    assert.deepEqual(shape(r), [
      ['', 'adds <two> & &quot;numbers&quot;', 'passed'],
      ['', 'fails on purpose', 'failed'],
      ['', 'skipped one', 'skipped'],
      ['div', 'divides', 'passed'],
      ['div > by zero', 'throws', 'passed'],
    ]);
    assert.equal(r.cases[1]?.message, 'Expected values to be strictly equal:2 !== 3');
    assert.equal(r.cases[1]?.durationMs, 2.25);
    assert.equal(r.cases[2]?.message, 'not ready');
    assert.equal(r.cases[0]?.message, undefined);
    assert.equal('message' in (r.cases[0] ?? {}), false);
  });

  it('pytest: failure, setup error, skip and xfail', () => {
    const r = parseJunit(fixture('pytest.junit.xml'));
    assert.deepEqual(r.totals, { total: 6, passed: 2, failed: 1, errors: 1, skipped: 2, durationMs: 7 });
    assert.deepEqual(shape(r), [
      ['tests.test_calc', 'test_add', 'passed'],
      ['tests.test_calc', 'test_div', 'failed'],
      ['tests.test_calc', 'test_db', 'error'],
      ['tests.test_calc.TestSkips', 'test_skip', 'skipped'],
      ['tests.test_calc.TestSkips', 'test_xfail', 'skipped'],
      ['tests.test_calc', 'test_param[1-2]', 'passed'],
    ]);
    assert.equal(r.cases[1]?.message, 'assert 2 == 3');
    assert.equal(r.cases[2]?.message, 'failed on setup with "RuntimeError: no database"');
    assert.equal(r.cases[4]?.message, 'known bug');
  });

  it('Maven Surefire: bare <testsuite> root, CDATA, a flaky test that passed', () => {
    const r = parseJunit(fixture('surefire.junit.xml'));
    assert.deepEqual(r.totals, { total: 5, passed: 2, failed: 1, errors: 1, skipped: 1, durationMs: 52 });
    assert.deepEqual(
      r.cases.map((c) => [c.name, c.status]),
      [
        ['adds', 'passed'],
        ['divides', 'failed'],
        ['readsConfig', 'error'],
        ['notYet', 'skipped'],
        ['flaky', 'passed'],
      ],
    );
    assert.ok(r.cases.every((c) => c.suite === 'com.example.CalculatorTest'));
    assert.equal(r.cases[1]?.message, 'expected: <2> but was: <3>');
    assert.equal(r.cases[2]?.message, 'config.yml (No such file or directory)');
  });

  it('Gradle', () => {
    const r = parseJunit(fixture('gradle.junit.xml'));
    assert.deepEqual(r.totals, { total: 3, passed: 1, failed: 1, errors: 0, skipped: 1, durationMs: 17 });
    assert.deepEqual(shape(r), [
      ['com.example.GreeterTest', 'greets()', 'passed'],
      ['com.example.GreeterTest', 'greetsByName(String)[1]', 'failed'],
      ['com.example.GreeterTest', 'farewell()', 'skipped'],
    ]);
    assert.equal(
      r.cases[1]?.message,
      'org.opentest4j.AssertionFailedError: expected: <Hello, Ada> but was: <Hello, ada>',
    );
    assert.equal(r.cases[2]?.message, undefined);
  });

  it('jest-junit: message from the element text, a suite that failed to run', () => {
    const r = parseJunit(fixture('jest-junit.junit.xml'));
    assert.deepEqual(r.totals, { total: 5, passed: 2, failed: 1, errors: 1, skipped: 1, durationMs: 8 });
    assert.deepEqual(shape(r), [
      ['Calculator adds', 'Calculator adds', 'passed'],
      ['Calculator divides', 'Calculator divides', 'failed'],
      ['Calculator pending', 'Calculator pending', 'skipped'],
      ['format pads', 'format pads', 'passed'],
      ['Test suite failed to run', '/repo/src/broken.test.js', 'error'],
    ]);
    assert.equal(
      r.cases[1]?.message,
      'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 2\nReceived: 3\n    at Object.toBe (/repo/src/calc.test.js:9:27)',
    );
    assert.equal(r.cases[4]?.message, "Cannot find module './missing' from 'src/broken.test.js'");
  });

  it('go-junit-report: subtests and a build failure', () => {
    const r = parseJunit(fixture('go-junit-report.junit.xml'));
    assert.deepEqual(r.totals, { total: 5, passed: 2, failed: 1, errors: 1, skipped: 1, durationMs: 10 });
    assert.deepEqual(shape(r), [
      ['example.com/calc', 'TestAdd', 'passed'],
      ['example.com/calc', 'TestDiv', 'failed'],
      ['example.com/calc', 'TestDiv/by_zero', 'passed'],
      ['example.com/calc', 'TestSlow', 'skipped'],
      ['example.com/broken', '[build failed]', 'error'],
    ]);
    assert.equal(r.cases[1]?.message, 'Failed');
  });

  it('vitest', () => {
    const r = parseJunit(fixture('vitest.junit.xml'));
    assert.deepEqual(r.totals, { total: 3, passed: 1, failed: 1, errors: 0, skipped: 1, durationMs: 5.3 });
    assert.deepEqual(shape(r), [
      ['src/math.test.ts', 'math > adds', 'passed'],
      ['src/math.test.ts', 'math > divides', 'failed'],
      ['src/math.test.ts', 'math > later', 'skipped'],
    ]);
    assert.equal(r.cases[1]?.message, 'expected 2 to be 3 // Object.is equality');
  });
});

describe('parseJunit details', () => {
  it('counts the testcase elements, not the suite attributes', () => {
    const r = parseJunit(
      '<testsuites tests="99" failures="0"><testsuite name="s" tests="1" failures="0" errors="0" skipped="0" time="100">' +
        '<testcase classname="c" name="a" time="0.5"/><testcase classname="c" name="b" time="1.25"><failure message="no"/></testcase>' +
        '</testsuite></testsuites>',
    );
    assert.deepEqual(r.totals, { total: 2, passed: 1, failed: 1, errors: 0, skipped: 0, durationMs: 1750 });
  });

  it('decodes entities and character references once, keeps CDATA and DOCTYPE entities literal', () => {
    const r = parseJunit(
      '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY boom "BOOM">]>\n<testsuite name="s">' +
        '<testcase classname="c" name="&lt;a&gt; &amp;amp; &#65;&#x1F600; &apos;q&apos; &boom;">' +
        '<failure>line1&#10;&#9;line2 <![CDATA[<raw> &amp;]]></failure></testcase></testsuite>',
    );
    assert.equal(r.cases[0]?.name, "<a> &amp; A😀 'q' &boom;");
    assert.equal(r.cases[0]?.message, 'line1\n\tline2 <raw> &amp;');
  });

  it('uses the enclosing suite path when classname is missing, and reads a BOM and comma times', () => {
    const r = parseJunit(
      '\uFEFF<testsuites><testsuite name="outer"><testsuite name="inner"><testcase name="t" time="1,234.5"/></testsuite></testsuite><testcase name="top" time="0,5"/></testsuites>',
    );
    assert.deepEqual(shape(r), [
      ['outer > inner', 't', 'passed'],
      ['', 'top', 'passed'],
    ]);
    assert.equal(r.cases[0]?.durationMs, 1234500);
    assert.equal(r.cases[1]?.durationMs, 500);
  });

  it('prefers failure over error over skipped, and falls back to the type attribute', () => {
    const r = parseJunit(
      '<testsuite name="s"><testcase name="a"><skipped/><error type="E"/><failure type="F"/></testcase>' +
        '<testcase name="b"><skipped/><error type="java.lang.NullPointerException"/></testcase></testsuite>',
    );
    assert.deepEqual(
      r.cases.map((c) => [c.status, c.message]),
      [
        ['failed', 'F'],
        ['error', 'java.lang.NullPointerException'],
      ],
    );
  });

  it('cuts long messages to 2000 characters', () => {
    const r = parseJunit(
      `<testsuite name="s"><testcase name="a"><failure>${'x'.repeat(5000)}</failure></testcase></testsuite>`,
    );
    const message = r.cases[0]?.message ?? '';
    assert.equal(message.length, 2000);
    assert.ok(message.endsWith('…'));
  });

  it('gives zero totals for an empty <testsuites/>', () => {
    assert.deepEqual(parseJunit('<?xml version="1.0"?><testsuites/>').totals, {
      total: 0,
      passed: 0,
      failed: 0,
      errors: 0,
      skipped: 0,
      durationMs: 0,
    });
  });

  it('throws ReportError on malformed XML, naming the line', () => {
    assert.throws(
      () => parseJunit('<testsuites>\n<testsuite name="s">\n<testcase name="a">\n</testsuite></testsuites>'),
      reportError(/not well-formed XML \(line 4.*testcase/),
    );
    assert.throws(
      () => parseJunit('<testsuite name="s"><testcase name="a" time=1/></testsuite>'),
      reportError(/not well-formed/),
    );
    assert.throws(() => parseJunit('Error: jest crashed before writing the report'), reportError(/not well-formed/));
  });

  it('throws ReportError on an empty document or one with no testsuite root', () => {
    assert.throws(() => parseJunit(''), reportError(/empty/));
    assert.throws(() => parseJunit('  \n'), reportError(/empty/));
    assert.throws(
      () => parseJunit('<?xml version="1.0"?><html><body/></html>'),
      reportError(/root element is <html>, expected <testsuites> or <testsuite>/),
    );
    assert.throws(() => parseJunit('<?xml version="1.0"?>'), reportError(/no root element|not well-formed/));
  });

  it('throws ReportError on documents over 50 MiB', () => {
    const huge = `<testsuites>${' '.repeat(MAX_REPORT_BYTES)}</testsuites>`;
    assert.throws(() => parseJunit(huge), reportError(/too large/));
    // 20M three-byte characters are 60 MB of UTF-8 although the string is shorter than 50M.
    assert.throws(() => parseJunit(`<testsuites name="${'€'.repeat(20 * 1024 * 1024)}"/>`), reportError(/too large/));
  });
});

describe('parseLcov', () => {
  it('reads node:test lcov (real): totals and per-file lines', () => {
    const r = parseLcov(fixture('node-test.lcov'));
    assert.equal(r.format, 'lcov');
    assert.deepEqual(r.totals, { linesFound: 39, linesHit: 36, percent: 92.3 });
    assert.deepEqual(
      r.files.map((f) => [f.path, f.linesFound, f.linesHit]),
      [
        ['src/math.js', 15, 12],
        ['test/math.test.js', 24, 24],
      ],
    );
    assert.deepEqual(r.files[0]?.lines, {
      1: 1,
      2: 2,
      3: 2,
      4: 1,
      5: 1,
      6: 2,
      7: 1,
      8: 1,
      9: 1,
      10: 2,
      11: 1,
      12: 1,
      13: 0,
      14: 0,
      15: 0,
    });
  });

  it('makes paths relative to root, merges repeated records, recounts LF/LH', () => {
    const text = [
      'TN:',
      'SF:/repo/src/a.ts',
      'FN:1,f',
      'DA:1,1',
      'DA:3,0',
      'LF:99',
      'LH:99',
      'end_of_record',
      'SF:/elsewhere/b.ts',
      'DA:2,4,abc123',
      'end_of_record',
      'SF:/repo/src/a.ts',
      'DA:3,2',
      'DA:4,0',
      'end_of_record',
      'SF:./rel.ts',
      'end_of_record',
      '',
    ].join('\r\n');
    const r = parseLcov(text, { root: '/repo/' });
    assert.deepEqual(r.files, [
      { path: 'src/a.ts', lines: { 1: 1, 3: 2, 4: 0 }, linesFound: 3, linesHit: 2 },
      { path: '/elsewhere/b.ts', lines: { 2: 4 }, linesFound: 1, linesHit: 1 },
      { path: 'rel.ts', lines: {}, linesFound: 0, linesHit: 0 },
    ]);
    assert.deepEqual(r.totals, { linesFound: 4, linesHit: 3, percent: 75 });
    assert.equal(parseLcov('SF:/repo2/x.ts\nDA:1,1\nend_of_record\n', { root: '/repo' }).files[0]?.path, '/repo2/x.ts');
    assert.deepEqual(parseLcov('SF:x.ts\nend_of_record\n').totals, { linesFound: 0, linesHit: 0, percent: 100 });
    // coverage.py 6.x's record of an empty file: DA:0, a line that does not exist, and LH above LF.
    assert.deepEqual(
      parseLcov('SF:tests/__init__.py\nDA:0,1,1B2M2Y8AsgTpgAmY7PhCfg\nLF:0\nLH:1\nend_of_record\n').totals,
      {
        linesFound: 0,
        linesHit: 0,
        percent: 100,
      },
    );
  });

  it('rounds the percentage down', () => {
    assert.equal(parseLcov('SF:x\nDA:1,1\nDA:2,1\nDA:3,0\nend_of_record\n').totals.percent, 66.66);
  });

  it('throws ReportError on broken input', () => {
    assert.throws(() => parseLcov(''), reportError(/no SF records/));
    assert.throws(() => parseLcov('<?xml version="1.0"?><coverage/>'), reportError(/line 1 is not an lcov record/));
    assert.throws(() => parseLcov('DA:1,1\n'), reportError(/line 1: DA record outside an SF record/));
    assert.throws(() => parseLcov('SF:x\nDA:one,1\nend_of_record\n'), reportError(/line 2: bad DA record/));
    assert.throws(
      () => parseLcov('SF:x\nDA:1,1\nSF:y\nend_of_record\n'),
      reportError(/line 3: SF record starts before the record for x/),
    );
    assert.throws(() => parseLcov('SF:x\nDA:1,1\nDA:2,'), reportError(/line 3: bad DA record/));
    assert.throws(() => parseLcov('SF:x\nDA:1,1\n'), reportError(/ends inside the record for x .*truncated/));
  });
});

describe('parseUnifiedDiff', () => {
  const files = parseUnifiedDiff(fixture('git-diff-M.diff'));
  const byPath = (path: string): ChangedFile | undefined => files.find((f) => f.path === path);

  it('lists every file of the real git diff with its status', () => {
    assert.deepEqual(
      files.map((f) => [f.path, f.status, f.from ?? null, f.binary]),
      [
        ['db/schema.sql', 'modified', null, false],
        ['docs/empty.txt', 'added', null, false],
        ['docs/logo.png', 'modified', null, true],
        ['docs/my notes.md', 'modified', null, false],
        ['scripts/run.sh', 'modified', null, false],
        ['src/added.ts', 'added', null, false],
        ['src/gone.ts', 'deleted', null, false],
        ['src/keep.ts', 'modified', null, false],
        ['src/lib/moved.ts', 'renamed', 'src/moved.ts', false],
        ['src/naïve.ts', 'added', null, false],
        ['src/new-name.ts', 'renamed', 'src/old-name.ts', false],
      ],
    );
  });

  it('gives new-side numbers of added lines and the counts', () => {
    const counts = (path: string) => {
      const f = byPath(path);
      return f && { addedLines: f.addedLines, additions: f.additions, deletions: f.deletions };
    };
    assert.deepEqual(counts('src/keep.ts'), { addedLines: [2, 7, 12, 13, 14, 15], additions: 6, deletions: 1 });
    assert.deepEqual(counts('src/added.ts'), { addedLines: [1, 2, 3, 4, 5, 6, 7, 8], additions: 8, deletions: 0 });
    assert.deepEqual(counts('src/gone.ts'), { addedLines: [], additions: 0, deletions: 2 });
    assert.deepEqual(counts('src/new-name.ts'), { addedLines: [5], additions: 1, deletions: 1 });
    assert.deepEqual(counts('src/lib/moved.ts'), { addedLines: [], additions: 0, deletions: 0 });
    assert.deepEqual(counts('db/schema.sql'), { addedLines: [2], additions: 1, deletions: 1 });
    assert.deepEqual(counts('docs/my notes.md'), { addedLines: [3], additions: 1, deletions: 0 });
    assert.deepEqual(counts('src/naïve.ts'), { addedLines: [1], additions: 1, deletions: 0 });
    assert.deepEqual(counts('docs/empty.txt'), { addedLines: [], additions: 0, deletions: 0 });
    assert.deepEqual(counts('docs/logo.png'), { addedLines: [], additions: 0, deletions: 0 });
  });

  it('returns [] for an empty patch', () => {
    assert.deepEqual(parseUnifiedDiff(''), []);
  });

  it('reads quoted paths with escapes, renames with spaces, copies and plain diff -u', () => {
    const patch = [
      'diff --git "a/dir/tab\\there \\"q\\"" "b/dir/tab\\there \\"q\\""',
      'index 1111111..2222222 100644',
      '--- "a/dir/tab\\there \\"q\\""',
      '+++ "b/dir/tab\\there \\"q\\""',
      '@@ -1 +1,2 @@',
      ' keep',
      '+more',
      '\\ No newline at end of file',
      'diff --git a/old name.txt b/new name.txt',
      'similarity index 100%',
      'rename from old name.txt',
      'rename to new name.txt',
      'diff --git a/src/a.ts b/src/copy.ts',
      'similarity index 90%',
      'copy from src/a.ts',
      'copy to src/copy.ts',
      '--- a/src/a.ts',
      '+++ b/src/copy.ts',
      '@@ -3,0 +4 @@',
      '+added',
      '--- old/plain.txt\t2024-05-01 10:00:00',
      '+++ new/plain.txt\t2024-05-01 10:00:01',
      '@@ -1 +1 @@',
      '-x',
      '+y',
      '',
    ].join('\n');
    assert.deepEqual(parseUnifiedDiff(patch), [
      { path: 'dir/tab\there "q"', status: 'modified', addedLines: [2], additions: 1, deletions: 0, binary: false },
      {
        path: 'new name.txt',
        status: 'renamed',
        from: 'old name.txt',
        addedLines: [],
        additions: 0,
        deletions: 0,
        binary: false,
      },
      {
        path: 'src/copy.ts',
        status: 'added',
        from: 'src/a.ts',
        addedLines: [4],
        additions: 1,
        deletions: 0,
        binary: false,
      },
      { path: 'new/plain.txt', status: 'modified', addedLines: [1], additions: 1, deletions: 1, binary: false },
    ]);
  });

  it('throws ReportError on a truncated diff', () => {
    const text = fixture('git-diff-M.diff');
    const cut = text.slice(0, text.indexOf('+  // bump by one'));
    assert.throws(() => parseUnifiedDiff(cut), reportError(/ends inside a hunk .*truncated/));
    const shortened = text.replace('+  return -n;\n', '');
    assert.throws(() => parseUnifiedDiff(shortened), reportError(/hunk ended early/));
  });

  it('throws ReportError on bad hunk headers and combined diffs', () => {
    assert.throws(
      () => parseUnifiedDiff('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 oops\n'),
      reportError(/bad hunk header/),
    );
    assert.throws(
      () => parseUnifiedDiff('diff --cc x\nindex 1,2..3\n@@@ -1,1 -1,1 +1,1 @@@\n'),
      reportError(/combined/),
    );
    assert.throws(
      () => parseUnifiedDiff('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n'),
      reportError(/outside any hunk/),
    );
  });
});

describe('changedLinesCoverage', () => {
  const changed = parseUnifiedDiff(fixture('git-diff-M.diff'));
  const coverage = parseLcov(
    [
      'SF:/repo/src/keep.ts',
      ...['1,1', '3,5', '7,0', '8,2', '11,1', '13,1', '14,0'].map((d) => `DA:${d}`),
      'end_of_record',
      'SF:/repo/src/added.ts',
      ...['1,1', '4,1', '5,0', '7,1', '8,1'].map((d) => `DA:${d}`),
      'end_of_record',
      'SF:/repo/src/new-name.ts',
      'DA:5,3',
      'end_of_record',
      'SF:/repo/src/untouched.ts',
      'DA:1,0',
      'end_of_record',
    ].join('\n') + '\n',
    { root: '/repo' },
  );

  it('computes the hand-checked numbers, lists uncovered lines and files not in the report', () => {
    // keep.ts adds 2,7,12,13,14,15: executable 7,13,14 (2,12,15 are not in the report), covered 13.
    // added.ts adds 1..8: executable 1,4,5,7,8, covered all but 5. new-name.ts adds 5: covered.
    const r = changedLinesCoverage(changed, coverage, 80);
    assert.deepEqual(r, {
      threshold: 80,
      executable: 9,
      covered: 6,
      percent: 66.66,
      meetsThreshold: false,
      files: [
        {
          path: 'src/added.ts',
          executable: 5,
          covered: 4,
          percent: 80,
          uncovered: [5],
          coveredLines: [1, 4, 7, 8],
          inReport: true,
        },
        {
          path: 'src/keep.ts',
          executable: 3,
          covered: 1,
          percent: 33.33,
          uncovered: [7, 14],
          coveredLines: [13],
          inReport: true,
        },
        {
          path: 'src/new-name.ts',
          executable: 1,
          covered: 1,
          percent: 100,
          uncovered: [],
          coveredLines: [5],
          inReport: true,
        },
      ],
      notInReport: ['db/schema.sql', 'docs/my notes.md', 'src/naïve.ts'],
      excluded: { tests: [], other: [] },
    });
  });

  it('filters with include and compares the threshold exactly', () => {
    const src = (path: string): boolean => path.startsWith('src/');
    const r = changedLinesCoverage(changed, coverage, 66.66, { include: src });
    assert.deepEqual(r.notInReport, ['src/naïve.ts']);
    assert.equal(r.meetsThreshold, true);
    assert.equal(changedLinesCoverage(changed, coverage, 66.67, { include: src }).meetsThreshold, false);
    const keepOnly = changedLinesCoverage(changed, coverage, 30, { include: (p) => p === 'src/keep.ts' });
    assert.deepEqual(
      [keepOnly.executable, keepOnly.covered, keepOnly.percent, keepOnly.meetsThreshold],
      [3, 1, 33.33, true],
    );
  });

  it('is 100% when no added line is executable', () => {
    const onlyComment: ChangedFile = {
      path: './src/keep.ts',
      status: 'modified',
      addedLines: [2, 12],
      additions: 2,
      deletions: 0,
      binary: false,
    };
    const r = changedLinesCoverage([onlyComment], coverage, 90);
    assert.deepEqual(r, {
      threshold: 90,
      executable: 0,
      covered: 0,
      percent: 100,
      meetsThreshold: true,
      files: [
        {
          path: './src/keep.ts',
          executable: 0,
          covered: 0,
          percent: 100,
          uncovered: [],
          coveredLines: [],
          inReport: true,
        },
      ],
      notInReport: [],
      excluded: { tests: [], other: [] },
    });
    assert.equal(changedLinesCoverage([], coverage, 100).percent, 100);
  });

  it('with kinds: counts source only, and a source file the report lacks as wholly unrun', () => {
    const kindOf = fileKinds({ sources: ['src/**'], tests: ['**/*.test.*'] });
    const diff: ChangedFile[] = [
      { path: 'src/keep.ts', status: 'modified', addedLines: [7, 13], additions: 2, deletions: 0, binary: false },
      {
        path: 'src/unloaded.ts',
        status: 'added',
        addedLines: [1, 2, 3, 4, 5],
        additions: 5,
        deletions: 0,
        binary: false,
      },
      { path: 'src/keep.test.ts', status: 'added', addedLines: [1, 2], additions: 2, deletions: 0, binary: false },
      { path: 'README.md', status: 'modified', addedLines: [1], additions: 1, deletions: 0, binary: false },
      { path: 'src/gone.ts', status: 'added', addedLines: [1], additions: 1, deletions: 0, binary: false },
    ];
    const texts: Record<string, string> = {
      'src/unloaded.ts': "import { x } from './x';\n\n// doubles\nexport const twice = (n: number) => n * 2;\n}\n",
    };
    const r = changedLinesCoverage(diff, coverage, 50, { kindOf, textOf: (p) => texts[p] });
    assert.deepEqual(
      r.files.map((f) => [f.path, f.executable, f.covered, f.uncovered, f.inReport]),
      [
        ['src/keep.ts', 2, 1, [7], true],
        ['src/unloaded.ts', 1, 0, [4], false],
      ],
    );
    assert.deepEqual([r.executable, r.covered, r.percent, r.meetsThreshold], [3, 1, 33.33, false]);
    assert.deepEqual(r.excluded, { tests: ['src/keep.test.ts'], other: ['README.md'] });
    assert.deepEqual(r.notInReport, ['src/gone.ts'], 'a source file whose text cannot be read');
  });

  it('rejects a threshold outside 0..100', () => {
    assert.throws(() => changedLinesCoverage(changed, coverage, 101), RangeError);
    assert.throws(() => changedLinesCoverage(changed, coverage, Number.NaN), RangeError);
  });
});
