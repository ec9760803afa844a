import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { executableLines, lineRulesFor } from '../../src/reports/executable.ts';
import { fileKinds } from '../../src/reports/file-kinds.ts';
import { compareTestFiles, coverageIgnores, declaredTests } from '../../src/reports/test-inventory.ts';
import { lineMutations, sampleMutants } from '../../src/reports/line-mutants.ts';
import { DEFAULT_SOURCE_GLOBS, DEFAULT_TEST_GLOBS } from '../../src/core/config.ts';
import type { ChangedFile } from '../../src/reports/diff.ts';

/** The 1-based numbers of the executable lines. */
const executable = (path: string, text: string) =>
  executableLines(path, text).flatMap((yes, i) => (yes ? [i + 1] : []));

describe('executable lines of a file no coverage report lists', () => {
  it('TypeScript: imports, type-only declarations with their bodies, function heads, comments, blanks and lone braces are not', () => {
    const text = [
      "import { readFileSync } from 'node:fs';", // 1
      'import {', // 2
      '  join,', // 3
      "} from 'node:path';", // 4
      "export type { Config } from './config.ts';", // 5
      '', // 6
      '/**', // 7
      ' * Doubles.', // 8
      ' */', // 9
      'export interface Pair {', // 10
      '  a: number;', // 11
      '  b: { c: string };', // 12
      '}', // 13
      'type Id = string;', // 14
      'export function twice(n: number): number {', // 15
      '  // why: nothing', // 16
      '  const x = n * 2; /* inline */', // 17
      '  if (x > 10) {', // 18
      '    return x;', // 19
      '  }', // 20
      '  return readFileSync(join(String(x))).length;', // 21
      '});', // 22
      'declare const g: number;', // 23
      "export * from './other.ts';", // 24
    ].join('\n');
    assert.deepEqual(executable('src/a.ts', text), [17, 18, 19, 21]);
  });

  it('Python: docstrings, comments, else/finally and continuation lines are not; imports, def, try and decorators are', () => {
    const text = [
      '"""Module docstring."""', // 1
      'import os', // 2
      '', // 3
      '# a comment', // 4
      '@decorator', // 5
      'def f(x):', // 6
      '    """', // 7
      '    Long docstring.', // 8
      '    """', // 9
      '    try:', // 10
      '        y = x + 1', // 11
      '    finally:', // 12
      '        pass', // 13
      '    if y:', // 14
      '        return (', // 15
      '            y', // 16
      '        )', // 17
      '    else:', // 18
      '        return 0', // 19
    ].join('\n');
    assert.deepEqual(executable('calc.py', text), [2, 5, 6, 10, 11, 13, 14, 15, 19]);
  });

  it('JavaScript: a statement counts where it begins, not on the lines of its call, array, object or template', () => {
    const text = [
      'const o = {', // 1
      '  a: 1,', // 2
      '  f() {', // 3
      '    return g(', // 4
      '      1,', // 5
      '      [2, 3],', // 6
      '    );', // 7
      '  },', // 8
      '};', // 9
      'const t = `line', // 10
      '  {not code}', // 11
      '`;', // 12
      'run(() => {', // 13
      '  step();', // 14
      '});', // 15
    ].join('\n');
    assert.deepEqual(executable('a.js', text), [1, 4, 10, 13, 14]);
  });

  it('Go: package, imports, type declarations and top-level var and const are not', () => {
    const text = [
      'package calc', // 1
      '', // 2
      'import (', // 3
      '\t"fmt"', // 4
      ')', // 5
      'import "os"', // 6
      'type Pair struct {', // 7
      '\tA int', // 8
      '}', // 9
      'var limit = 3', // 10
      'const (', // 11
      '\tmax = 4', // 12
      ')', // 13
      '// Add adds.', // 14
      'func Add(a, b int) int {', // 15
      '\tvar s = a + b', // 16
      '\tfmt.Println(os.Args)', // 17
      '\treturn s', // 18
      '}', // 19
    ].join('\n');
    assert.deepEqual(executable('calc.go', text), [15, 16, 17, 18]);
  });

  it('other languages: every line but blanks, comments and lone punctuation', () => {
    assert.deepEqual(executable('Main.java', 'class A {\n  // c\n  /* b\n  */ int x = 1;\n}\n'), [1, 4]);
    assert.deepEqual(executable('run.rb', "# c\nputs 'a'\n\n"), [2]);
    assert.deepEqual(executable('notes.txt', 'a\n\nb\n'), [1, 3]);
    assert.equal(lineRulesFor('x/y.mts'), 'js');
    assert.equal(lineRulesFor('Makefile'), 'plain');
  });
});

describe('source, test or other', () => {
  it('a test glob wins over a source glob; the defaults tell the common layouts apart', () => {
    const kind = fileKinds({ sources: [...DEFAULT_SOURCE_GLOBS], tests: [...DEFAULT_TEST_GLOBS] });
    assert.deepEqual(
      [
        'src/a.ts',
        'src/a.test.ts',
        'pkg/calc_test.go',
        'calc.go',
        'tests/test_calc.py',
        'test_calc.py',
        'calc.py',
        'conftest.py',
        'README.md',
        'package.json',
        'test/helpers.js',
      ].map(kind),
      ['source', 'test', 'test', 'source', 'test', 'test', 'source', 'test', 'other', 'other', 'test'],
    );
    const narrow = fileKinds({ sources: ['src/**'], tests: ['test/**'] });
    assert.deepEqual(['src/x.js', 'scripts/build.js', 'test/x.js'].map(narrow), ['source', 'other', 'test']);
  });
});

describe('the tests a file declares', () => {
  it('JavaScript: names with their groups, skip, only and todo in every spelling', () => {
    const text = [
      "describe('calc', () => {",
      "  it('adds', () => {});",
      "  it.skip('subtracts', () => {});",
      "  xit('multiplies', () => {});",
      "  fit('divides', () => {});",
      "  describe.only('clamp', () => {",
      "    test('below', () => {});",
      '  });',
      '});',
      "test('node', { skip: true }, () => {});",
      "test('focus', { only: true }, () => {});",
      "test.todo('later');",
      "// it('commented out', () => {});",
    ].join('\n');
    assert.deepEqual(
      declaredTests('a.test.js', text).map((t) => [t.name, t.marker ?? '', t.group]),
      [
        ['calc', '', true],
        ['calc > adds', '', false],
        ['calc > subtracts', 'skip', false],
        ['calc > multiplies', 'skip', false],
        ['calc > divides', 'only', false],
        ['calc > clamp', 'only', true],
        ['calc > clamp > below', '', false],
        ['node', 'skip', false],
        ['focus', 'only', false],
        ['later', 'todo', false],
      ],
    );
  });

  it('Python: test functions and methods, skip decorators on them or their class, skips in the body', () => {
    const text = [
      'import pytest',
      '',
      'def test_a():',
      '    assert 1',
      '',
      '@pytest.mark.skip(reason="x")',
      'def test_b():',
      '    assert 1',
      '',
      'def test_c():',
      '    pytest.skip("later")',
      '',
      '@unittest.skip("x")',
      'class TestCalc(unittest.TestCase):',
      '    def test_d(self):',
      '        pass',
      '',
      'class TestMore:',
      '    def test_e(self):',
      '        self.skipTest("no")',
      '    def helper(self):',
      '        pass',
    ].join('\n');
    assert.deepEqual(
      declaredTests('tests/test_calc.py', text).map((t) => [t.name, t.marker ?? '']),
      [
        ['test_a', ''],
        ['test_b', 'skip'],
        ['test_c', 'skip'],
        ['TestCalc', 'skip'],
        ['TestCalc.test_d', 'skip'],
        ['TestMore', ''],
        ['TestMore.test_e', 'skip'],
      ],
    );
  });

  it('Go: TestX functions, t.Skip in the body', () => {
    const text =
      'package calc\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 1) != 2 {\n\t\tt.Fatal("x")\n\t}\n}\n\nfunc TestSlow(tt *testing.T) {\n\ttt.Skip("slow")\n}\n\nfunc helper() {}\n';
    assert.deepEqual(
      declaredTests('calc_test.go', text).map((t) => [t.name, t.marker ?? '']),
      [
        ['TestAdd', ''],
        ['TestSlow', 'skip'],
      ],
    );
  });
});

describe('comparing the tests at the base commit and now', () => {
  const base = "test('a', () => {});\ntest('b', () => {});\ntest('c', () => {});\n";

  it('finds tests removed, newly skipped and newly focused, and nothing for an honest change', () => {
    const head = "test('a', () => {});\ntest.skip('b', () => {});\ntest.only('d', () => {});\n";
    assert.deepEqual(
      compareTestFiles([{ path: 't.test.js', base, head }]).map((f) => [f.kind, f.test, f.line]),
      [
        ['test-removed', 'c', 3],
        ['test-skipped', 'b', 2],
        ['test-focused', 'd', 3],
      ],
    );
    const honest = base + "test('d', () => {});\n";
    assert.deepEqual(compareTestFiles([{ path: 't.test.js', base, head: honest }]), []);
    // A test that was skipped at the base and still is: no new finding.
    const skipped = "test.skip('a', () => {});\n";
    assert.deepEqual(compareTestFiles([{ path: 't.test.js', base: skipped, head: skipped }]), []);
  });

  it('a deleted test file removes all its tests; a renamed one is compared with its old self', () => {
    assert.deepEqual(
      compareTestFiles([{ path: 'old.test.js', base }]).map((f) => [f.kind, f.file, f.test]),
      [
        ['test-removed', 'old.test.js', 'a'],
        ['test-removed', 'old.test.js', 'b'],
        ['test-removed', 'old.test.js', 'c'],
      ],
    );
    assert.deepEqual(compareTestFiles([{ path: 'new.test.js', from: 'old.test.js', base, head: base }]), []);
  });
});

describe('coverage-ignore comments a change adds', () => {
  it('finds each tool’s marker in a comment, not in code or strings outside one', () => {
    const lines: Record<string, string[]> = {
      'src/a.js': [
        '/* c8 ignore next */',
        '// istanbul ignore else',
        "const s = 'c8 ignore';",
        '/* v8 ignore start */',
        '/* node:coverage ignore next */',
      ],
      'calc.py': ['x = 1  # pragma: no cover', 'y = "pragma: no cover"', 'z = 2  # nocover'],
    };
    const changed: ChangedFile[] = Object.entries(lines).map(([path, l]) => ({
      path,
      status: 'added',
      addedLines: l.map((_, i) => i + 1),
      additions: l.length,
      deletions: 0,
      binary: false,
    }));
    const found = coverageIgnores(changed, (p, n) => lines[p]?.[n - 1]);
    assert.deepEqual(
      found.map((f) => [f.file, f.line]),
      [
        ['src/a.js', 1],
        ['src/a.js', 2],
        ['src/a.js', 4],
        ['src/a.js', 5],
        ['calc.py', 1],
        ['calc.py', 3],
      ],
    );
    assert.match(found[0]!.detail, /a c8 coverage-ignore comment was added/);
  });
});

describe("Autopilot's line mutations", () => {
  const first = (path: string, line: string) => lineMutations(path, line)[0];

  it('negates a condition: the first comparison, or the whole condition', () => {
    assert.deepEqual(first('a.js', '  if (x > hi) return hi;'), {
      operator: 'negate-condition',
      replacement: '  if (x <= hi) return hi;',
    });
    assert.equal(first('a.ts', 'if (a === "<b>") {')?.replacement, 'if (a !== "<b>") {');
    assert.equal(first('a.js', '  while (ready()) {')?.replacement, '  while (!(ready())) {');
    assert.equal(first('a.ts', 'const m: Map<string, number> = new Map();'), undefined, 'generics are not comparisons');
    assert.equal(first('calc.py', '    if x >= hi:')?.replacement, '    if x < hi:');
    assert.equal(first('calc.py', '    if ready:')?.replacement, '    if not (ready):');
    assert.equal(first('calc.go', '\tif ok {')?.replacement, '\tif !(ok) {');
    assert.equal(first('calc.go', '\tif x != 0 {')?.replacement, '\tif x == 0 {');
  });

  it('changes a returned value, by language', () => {
    assert.equal(first('a.js', '  return 0;')?.replacement, '  return 1;');
    assert.equal(first('a.js', '  return true;')?.replacement, '  return false;');
    assert.equal(first('a.js', "  return 'x';")?.replacement, "  return '';");
    assert.equal(first('a.js', '  return total(a);')?.replacement, '  return undefined;');
    assert.equal(first('calc.py', '    return a + b')?.replacement, '    return None');
    assert.equal(first('calc.py', '    return True')?.replacement, '    return False');
    assert.equal(first('calc.go', '\treturn 5')?.replacement, '\treturn 0');
    assert.equal(first('calc.go', '\treturn a + b'), undefined, 'no typed default for an expression in Go');
  });

  it('removes a statement where nothing stronger applies, never a declaration or a block line', () => {
    assert.deepEqual(first('a.js', '  items.push(x);'), { operator: 'remove-statement', replacement: '' });
    assert.equal(first('a.js', '  const y = f(x);'), undefined);
    assert.equal(first('a.js', '  foo(a,'), undefined, 'half a statement');
    assert.equal(first('calc.py', '        self.items.append(x)')?.replacement, '        pass');
    assert.equal(first('calc.py', '    def f(self):'), undefined);
    assert.equal(first('calc.go', '\tcount++')?.replacement, '');
    assert.equal(first('calc.go', '\ty := f()'), undefined, 'removing a declaration does not compile');
    assert.deepEqual(lineMutations('README.md', 'if (x > 1) {'), []);
  });

  it('samples evenly across the candidates, the same sample for the same change', () => {
    const lines = Array.from({ length: 10 }, (_, i) => ({ file: 'a.js', line: i + 1, text: `  if (x > ${i}) go();` }));
    const picked = sampleMutants(lines, 3);
    assert.deepEqual(
      picked.map((m) => m.line),
      [1, 4, 7],
    );
    assert.deepEqual(sampleMutants(lines, 3), picked);
    assert.equal(sampleMutants(lines, 20).length, 10);
    assert.deepEqual(sampleMutants([{ file: 'a.js', line: 1, text: '}' }], 5), []);
  });
});
