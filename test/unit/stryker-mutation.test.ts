/**
 * Unit: reading StrykerJS's JSON report into mutants of changed lines, the `mutate` ranges and the sample of lines
 * Stryker is given, which runner a test command runs, and the `verify.mutation.engine` setting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config.ts';
import { ErrorCode } from '../../src/core/errors.ts';
import { configDigest } from '../../src/engine/repo/config-digest.ts';
import { mutateRanges, sampleLines, strykerRunnerOf } from '../../src/engine/evidence/producers/stryker.ts';
import { readStrykerReport } from '../../src/reports/stryker-report.ts';
import { tempDir, writeFile } from '../e2e/helpers.ts';

const SOURCE = 'export function isAdult(age) {\n  return age > 17;\n}\n';

/** A report as Stryker 9's json reporter writes it, for the mutants given. */
const report = (mutants: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  schemaVersion: '1.0',
  thresholds: { high: 80, low: 60 },
  projectRoot: '/work/repo',
  files: { 'src/age.js': { language: 'javascript', source: SOURCE, mutants } },
  testFiles: { 'test/age.test.js': { tests: [{ id: '0', name: 'adults from 18' }] } },
  ...extra,
});

const at = (startCol: number, endCol: number, line = 2) => ({
  start: { line, column: startCol },
  end: { line, column: endCol },
});

describe('readStrykerReport', () => {
  it('reads each status into the words Autopilot uses, with the line as mutated', () => {
    const r = readStrykerReport(
      report([
        {
          id: '1',
          mutatorName: 'EqualityOperator',
          replacement: 'age >= 17',
          status: 'Killed',
          killedBy: ['0'],
          coveredBy: ['0'],
          location: at(10, 18),
        },
        {
          id: '0',
          mutatorName: 'ConditionalExpression',
          replacement: 'true',
          status: 'Survived',
          coveredBy: ['0'],
          location: at(10, 18),
        },
        { id: '2', mutatorName: 'BooleanLiteral', replacement: 'false', status: 'NoCoverage', location: at(10, 18) },
        { id: '3', mutatorName: 'ArithmeticOperator', replacement: 'a', status: 'Timeout', location: at(10, 18) },
        {
          id: '4',
          mutatorName: 'StringLiteral',
          replacement: '""',
          status: 'CompileError',
          statusReason: 'TS2322\nmore',
          location: at(10, 18),
        },
        {
          id: '5',
          mutatorName: 'BlockStatement',
          replacement: '{}',
          status: 'Ignored',
          location: { start: { line: 1, column: 30 }, end: { line: 3, column: 2 } },
        },
      ]),
    );
    assert.ok(r.ok, JSON.stringify(r));
    const byId = r.mutants;
    assert.deepEqual(
      byId.map((m) => [m.line, m.operator, m.status, m.uncovered]),
      [
        [1, 'BlockStatement', 'not-run', false],
        [2, 'EqualityOperator', 'killed', false],
        [2, 'ConditionalExpression', 'survived', false],
        [2, 'BooleanLiteral', 'survived', true],
        [2, 'ArithmeticOperator', 'timeout', false],
        [2, 'StringLiteral', 'error', false],
      ],
    );
    const killed = byId[1]!;
    assert.equal(killed.original, '  return age > 17;');
    assert.equal(killed.replacement, '  return age >= 17;');
    assert.equal(killed.detail, '1 test failed: adults from 18');
    assert.equal(byId[2]!.detail, 'all 1 test that run it passed with the mutant');
    assert.equal(byId[3]!.detail, 'no test runs the mutated code');
    assert.equal(byId[5]!.detail, 'the mutant did not load (CompileError): TS2322');
    // A mutation over several lines is shown on the first: its head, the replacement, the last line's tail.
    assert.equal(byId[0]!.replacement, 'export function isAdult(age) {}');
  });

  it('takes absolute paths under the project root back to repository paths', () => {
    const doc = report([
      { mutatorName: 'EqualityOperator', replacement: 'age >= 17', status: 'Survived', location: at(10, 18) },
    ]);
    const abs = { ...doc, files: { '/work/repo/src/age.js': doc.files['src/age.js'] } };
    const r = readStrykerReport(abs);
    assert.ok(r.ok);
    assert.equal(r.mutants[0]?.file, 'src/age.js');
  });

  it('refuses what is not a report it can read, saying what is wrong', () => {
    const bad: [unknown, RegExp][] = [
      [[], /not a JSON object/],
      [{ ...report([]), schemaVersion: '9' }, /schemaVersion "9"/],
      [{ schemaVersion: '1', files: [] }, /no files object/],
      [
        report([{ mutatorName: 'X', status: 'Killed' }]),
        /src\/age\.js: a mutant without its mutatorName, status or location/,
      ],
      [report([{ mutatorName: 'X', status: 'Exploded', location: at(1, 2) }]), /status "Exploded" is not known/],
    ];
    for (const [doc, why] of bad) {
      const r = readStrykerReport(doc);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, why);
    }
  });
});

describe("Stryker's input", () => {
  it('mutateRanges: one range for each run of consecutive lines of a file', () => {
    assert.deepEqual(
      mutateRanges([
        { file: 'src/a.js', line: 7 },
        { file: 'src/a.js', line: 3 },
        { file: 'src/b.ts', line: 1 },
        { file: 'src/a.js', line: 4 },
        { file: 'src/a.js', line: 5 },
      ]),
      ['src/a.js:3-5', 'src/a.js:7-7', 'src/b.ts:1-1'],
    );
  });

  it('sampleLines: at most max lines, spread over all of them, the same each time', () => {
    const lines = Array.from({ length: 10 }, (_, i) => i + 1);
    assert.deepEqual(sampleLines(lines, 4), [1, 3, 6, 8]);
    assert.deepEqual(sampleLines(lines, 20), lines);
  });

  it('strykerRunnerOf: the runner on the command line, or in the package.json script npm runs', () => {
    const root = tempDir('stryker-runner');
    writeFile(
      root,
      'package.json',
      JSON.stringify({ scripts: { test: 'c8 mocha --exit', unit: 'vitest run', plain: 'node --test' } }),
    );
    assert.equal(strykerRunnerOf(['npx', 'vitest', 'run', '--reporter=junit'], root), 'vitest');
    assert.equal(strykerRunnerOf(['npx', 'jest', '--ci'], root), 'jest');
    assert.equal(strykerRunnerOf(['node', 'node_modules/jest/bin/jest.js'], root), 'jest');
    assert.equal(strykerRunnerOf(['npx', 'c8', '--reporter=lcov', 'mocha', '--reporter', 'x'], root), 'mocha');
    assert.equal(strykerRunnerOf(['npm', 'test'], root), 'mocha');
    assert.equal(strykerRunnerOf(['pnpm', 'run', 'unit'], root), 'vitest');
    assert.equal(strykerRunnerOf(['npm', 'run', 'plain'], root), undefined);
    assert.equal(strykerRunnerOf(['node', '--test', 'test/'], root), undefined);
    assert.equal(strykerRunnerOf(['python3', '-m', 'pytest'], root), undefined);
  });
});

describe('verify.mutation.engine', () => {
  it('takes auto, stryker or autopilot; anything else is CONFIG_INVALID naming the key', () => {
    for (const engine of ['auto', 'stryker', 'autopilot']) {
      const r = parseConfig({ verify: { mutation: { engine } } });
      assert.ok(r.ok);
      if (r.ok) assert.equal(r.value.verify.mutation.engine, engine);
    }
    const r = parseConfig({ verify: { mutation: { engine: 'pitest' } } });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, ErrorCode.CONFIG_INVALID);
      assert.equal(r.error.details['key'], 'verify.mutation.engine');
    }
  });

  it('left out, it fills in nothing: a config written before it keeps its digest', () => {
    const before = parseConfig({});
    assert.ok(before.ok);
    if (!before.ok) return;
    assert.equal(before.value.verify.mutation.engine, undefined);
    assert.equal('engine' in before.value.verify.mutation, false);
    const auto = parseConfig({ verify: { mutation: { engine: 'auto' } } });
    assert.ok(auto.ok);
    if (auto.ok)
      assert.notEqual(configDigest(auto.value), configDigest(before.value), 'naming it is a change of contract');
  });
});
