/**
 * E2E: no phase passes on nothing, with pytest (and pytest-cov) and `go test` in real projects set up by the real
 * `autopilot init`: the source and test globs init detects, a module no test imports counted as unrun, tests
 * required for source changes, a skipped test and a coverage pragma needing a person, and mutants of Python and Go
 * lines judged by the real test runs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { advance } from '../../src/engine/task/advance.ts';
import { executableLines } from '../../src/reports/executable.ts';
import { parseLcov } from '../../src/reports/lcov.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { P, ROOT, Repo, git, tempDir, writeFile } from './helpers.ts';

/** Node first, then Debian's own folders: Debian's python3 (with pytest and pytest-cov) and go. */
const PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
const ENV = () => ({ HOME: tempDir('home'), AUTOPILOT_HOOK_DAEMON: '0', PATH });

interface Finding {
  kind: string;
  file: string;
  line?: number;
  detail: string;
}

interface MutationDoc {
  mutants: { file: string; line: number; operator: string; status: string }[];
  killed: number;
  survived: number;
}

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }, what: string) => {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
};

/**
 * A committed project with Autopilot set up by `autopilot init` and committed, and task T-1 in IMPLEMENT. The
 * evidence is the demo's, with `own` files (a spec and file map about what the task changes) in place of its own.
 */
async function project(name: string, files: Record<string, string>, own: Record<string, string> = {}): Promise<Repo> {
  const dir = tempDir(name);
  for (const [rel, text] of Object.entries(files)) writeFile(dir, rel, text);
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `${name}: a function and its tests`]);
  const repo = new Repo(dir);
  await repo.ok(['init'], { env: ENV() });
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'Set up Autopilot']);
  await repo.ok(['task', 'start', 'T-1', '--title', 'tests that say something'], { env: ENV() });
  await repo.fixture('T-1', async (engine, actor) => {
    for (const phase of ['STRATEGIZE', 'SPEC', 'PLAN', 'THINK']) {
      for (const [n, text] of P.AGENT_EVIDENCE[phase] ?? []) {
        const content = Buffer.from(own[n] ?? text);
        must(await putEvidence(engine, actor, { taskId: 'T-1', phase, name: n, content }), n);
      }
      must(await advance(engine, actor, { taskId: 'T-1' }), `advance from ${phase}`);
    }
  });
  return repo;
}

/** The Go task's spec and file map: they name the function and file the change touches. */
const GO_EVIDENCE = {
  'file_map.json': JSON.stringify({
    files: [{ path: 'calc.go', change: 'modify', why: 'Clamp returns hi for a value above it' }],
  }),
  'spec.md': `# Spec: Clamp's upper bound

## Acceptance Criteria
- In calc.go, \`Clamp(11, 0, 10)\` returns 10: a value above hi comes back as hi.
- Values inside the range come back unchanged, and values below lo still give lo.

## KPIs
No caller of Clamp receives a value above hi; the existing Clamp tests keep passing.
`,
};

const verifyDoc = <T>(repo: Repo, name: string): T =>
  JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), name), 'utf8')) as T;

const PY_CALC = `def add(a, b):
    return a + b


def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
`;

const PY_TESTS = `from calc import add, clamp


def test_add():
    assert add(2, 3) == 5


def test_clamp_outside():
    assert (clamp(-1, 0, 10), clamp(11, 0, 10)) == (0, 10)


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5
`;

/** A module no test imports: its def and its return are what coverage.py would count. */
const PY_MONEY = `"""Money formatting."""


def money(cents):
    # two decimals
    return f"{cents / 100:.2f}"
`;

/** JavaScript that no test loads, in the shapes istanbul treats differently: declarations, methods, arrows, comments. */
const JS_UNLOADED = `/** Title case for headings. */
import { helper } from './helper.js';

export function titleCase(text) {
  // Each word gets a capital letter.
  const words = text.split(' ');
  if (words.length === 0) {
    return '';
  }
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

export class Box {
  constructor(v) {
    this.v = helper(v);
  }
  get value() {
    return this.v;
  }
  static of(v) {
    return new Box(v);
  }
}
export const twice = (n) =>
  n * 2;
export default async function main() {
  /* a block
     comment */
  await null;
}
const table = {
  a: 1,
  f() {
    return Math.max(
      1,
      [2, 3].length,
    );
  },
};
const page = \`<p>
  {not code}
</p>\`;
setTimeout(() => {
  table.f(page);
});
`;

/** Python that no test imports: a docstring, decorators, clauses coverage.py leaves out, a multi-line return. */
const PY_UNIMPORTED = `"""Doc."""
import os

# comment


@staticmethod
def f(x):
    """Doc
    string."""
    try:
        y = x + 1
    finally:
        pass
    if y > 2:
        return (
            y
        )
    else:
        return os.sep


class A:
    def m(self):
        return 1
`;

/** The 1-based numbers of the lines the rules count. */
const counted = (path: string, text: string) => executableLines(path, text).flatMap((yes, i) => (yes ? [i + 1] : []));

describe('the rules for files no report lists agree with the tools', () => {
  it('JavaScript: the lines istanbul (jest --coverage, collectCoverageFrom) counts in a file no test loads', () => {
    const dir = tempDir('istanbul');
    writeFile(dir, 'package.json', JSON.stringify({ name: 'x', private: true }));
    writeFile(dir, 'src/unloaded.js', JS_UNLOADED);
    writeFile(dir, 'src/helper.js', 'export const helper = (v) => v;\n');
    writeFile(dir, 'test/a.test.js', "test('nothing', () => {});\n");
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--coverage',
        '--collectCoverageFrom=src/**',
        '--coverageReporters=lcovonly',
      ],
      { cwd: dir, env: { PATH, HOME: tempDir('home'), CI: 'true' }, stdio: 'pipe' },
    );
    const lcov = parseLcov(readFileSync(join(dir, 'coverage', 'lcov.info'), 'utf8'), { root: dir });
    const file = lcov.files.find((f) => f.path === 'src/unloaded.js');
    assert.ok(file, 'istanbul lists the unloaded file');
    const istanbul = Object.keys(file.lines)
      .map(Number)
      .sort((a, b) => a - b);
    assert.ok(istanbul.length > 5);
    assert.deepEqual(counted('src/unloaded.js', JS_UNLOADED), istanbul);
  });

  it('Python: the lines coverage.py (pytest --cov) counts in a module no test imports', () => {
    const dir = tempDir('coveragepy');
    writeFile(dir, 'unimported.py', PY_UNIMPORTED);
    writeFile(dir, 'tests/test_nothing.py', 'def test_nothing():\n    pass\n');
    execFileSync(
      'python3',
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--cov=.', '--cov-report=lcov:lcov.info'],
      {
        cwd: dir,
        env: { PATH, HOME: tempDir('home') },
        stdio: 'pipe',
      },
    );
    const lcov = parseLcov(readFileSync(join(dir, 'lcov.info'), 'utf8'), { root: dir });
    const file = lcov.files.find((f) => f.path === 'unimported.py');
    assert.ok(file, 'coverage.py lists the module');
    const coveragePy = Object.keys(file.lines)
      .map(Number)
      .sort((a, b) => a - b);
    assert.deepEqual(counted('unimported.py', PY_UNIMPORTED), coveragePy);
  });
});

describe('no phase passes on nothing, with pytest and go test', { concurrency: 2 }, () => {
  it('pytest: an unimported module is untested; a skip and a coverage pragma need a person; mutants are judged by pytest', async () => {
    const repo = await project('pytest-honesty', {
      'requirements-dev.txt': 'pytest\npytest-cov\n',
      // init writes supplyChain for a repository with lockfiles: its offline OSV database, empty here.
      'advisories/osv/README.md': 'OSV records: autopilot advisories update\n',
      'calc.py': PY_CALC,
      'tests/test_calc.py': PY_TESTS,
      'tests/conftest.py': 'import sys, os\nsys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))\n',
    });
    const config = parse(readFileSync(repo.configFile, 'utf8')) as {
      verify: { sources: string[]; tests: string[]; mutation: { enabled: boolean } };
    };
    assert.deepEqual(config.verify.sources, ['**/*.py'], 'init detected where the Python sources are');
    assert.ok(config.verify.tests.includes('tests/**') && config.verify.tests.includes('**/test_*.py'));
    assert.equal(config.verify.mutation.enabled, true, 'mutation runs by default');

    repo.write('money.py', PY_MONEY);
    await repo.ok(['advance', 'T-1'], { env: ENV() });
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2, { env: ENV() });
    assert.match(
      err.message,
      /tests required for source changes: no test ran any of the 2 executable lines this task adds to money\.py/,
    );
    const coverage = verifyDoc<{ changedLines: { files: { path: string; uncovered: number[]; covered: number }[] } }>(
      repo,
      'coverage_report.json',
    );
    // coverage.py lists a module no test imports itself (pytest-cov's --cov=.): its lines are the ones the rules
    // for a file missing from the report would count.
    const [money] = coverage.changedLines.files;
    assert.deepEqual(
      { path: money?.path, uncovered: money?.uncovered, covered: money?.covered },
      { path: 'money.py', uncovered: [4, 6], covered: 0 },
    );
    assert.deepEqual(
      executableLines('money.py', PY_MONEY).flatMap((yes, i) => (yes ? [i + 1] : [])),
      money?.uncovered,
      "the rules for Python agree with coverage.py's own lines",
    );

    // The module goes; the task now changes calc.py, skips a test and adds a line the pragma hides from coverage.
    rmSync(repo.path('money.py'));
    repo.write(
      'calc.py',
      PY_CALC.replace('    if x > hi:', '    if x >= hi:') + '\n\ndef debug():  # pragma: no cover\n    return 1\n',
    );
    repo.write(
      'tests/test_calc.py',
      PY_TESTS.replace('def test_add', '@pytest.mark.skip(reason="flaky")\ndef test_add').replace(
        'from calc',
        'import pytest\n\nfrom calc',
      ),
    );
    const verified = await repo.ok<{ passed: boolean; findings: Finding[] }>(['verify', 'T-1'], { env: ENV() });
    assert.equal(verified.passed, true);
    assert.deepEqual(verified.findings.map((f) => `${f.kind} ${f.file}`).sort(), [
      'coverage-ignore calc.py',
      'test-skipped tests/test_calc.py',
    ]);
    const mutation = verifyDoc<MutationDoc>(repo, 'mutation_report.json');
    const negated = mutation.mutants.find((m) => m.line === 8);
    assert.equal(negated?.operator, 'negate-condition');
    assert.equal(negated?.status, 'killed', 'pytest fails on `if x < hi:`');
    assert.equal(mutation.survived, 0);
    const refused = await repo.refused(['advance', 'T-1'], 'APPROVAL_REQUIRED', 2, { env: ENV() });
    assert.match(refused.message, /test-skipped: the test "test_add" is skipped now/);
    assert.match(refused.message, /coverage-ignore: a coverage\.py coverage-ignore comment was added/);
  });

  it('go test: t.Skip() added needs a person; a test that calls without checking leaves a Go mutant alive', async () => {
    const repo = await project(
      'go-honesty',
      {
        'go.mod': 'module example.com/calc\n\ngo 1.19\n',
        // init writes supplyChain for a repository with lockfiles: its offline OSV database, empty here.
        'advisories/osv/README.md': 'OSV records: autopilot advisories update\n',
        'calc.go': `package calc

func Clamp(x, lo, hi int) int {
	if x < lo {
		return lo
	}
	return x
}
`,
        'calc_test.go': `package calc

import "testing"

func TestClampBelow(t *testing.T) {
	if Clamp(-1, 0, 10) != 0 {
		t.Fatal("below")
	}
}

func TestClampInside(t *testing.T) {
	if Clamp(5, 0, 10) != 5 {
		t.Fatal("inside")
	}
}
`,
      },
      GO_EVIDENCE,
    );
    const config = parse(readFileSync(repo.configFile, 'utf8')) as { verify: { sources: string[]; tests: string[] } };
    assert.deepEqual(config.verify, {
      ...config.verify,
      sources: ['**/*.go'],
      tests: ['**/*_test.go', '**/testdata/**'],
    });
    // The change: an upper bound, run by a new test that checks nothing; and the inside test skipped.
    repo.write(
      'calc.go',
      readFileSync(repo.path('calc.go'), 'utf8').replace(
        '\treturn x\n',
        '\tif x > hi {\n\t\treturn hi\n\t}\n\treturn x\n',
      ),
    );
    repo.write(
      'calc_test.go',
      readFileSync(repo.path('calc_test.go'), 'utf8').replace(
        '\tif Clamp(5, 0, 10) != 5 {',
        '\tt.Skip("later")\n\tif Clamp(5, 0, 10) != 5 {',
      ) + '\nfunc TestClampAbove(t *testing.T) {\n\tClamp(11, 0, 10)\n}\n',
    );
    await repo.ok(['advance', 'T-1'], { env: ENV() });
    const verified = await repo.ok<{ passed: boolean; findings: Finding[] }>(['verify', 'T-1'], { env: ENV() });
    assert.equal(verified.passed, true);
    const mutation = verifyDoc<MutationDoc>(repo, 'mutation_report.json');
    assert.ok(mutation.survived > 0, `a Go mutant survives: ${JSON.stringify(mutation.mutants)}`);
    assert.ok(mutation.mutants.every((m) => m.file === 'calc.go'));
    const kinds = new Set(verified.findings.map((f) => f.kind));
    assert.deepEqual([...kinds].sort(), ['mutant-survived', 'test-skipped']);
    assert.ok(verified.findings.some((f) => f.kind === 'test-skipped' && f.detail.includes('"TestClampInside"')));
    await repo.refused(['advance', 'T-1'], 'APPROVAL_REQUIRED', 2, { env: ENV() });
  });
});
