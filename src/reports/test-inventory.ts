/**
 * @module The tests a file declares, read statically (JavaScript/TypeScript `describe`/`it`/`test`, Python `test_*`
 * functions and methods, Go `TestX(t *testing.T)`), with their skip and focus markers; the comparison of two
 * inventories (base and head) into findings; and the coverage-ignore comments a change adds. These are the ways a
 * change can make tests pass by testing less, each a finding that needs a person's decision.
 */
import type { ChangedFile } from './diff.ts';
import { lineRulesFor } from './executable.ts';

/** A test (or a group of tests) declared in a file. */
export interface DeclaredTest {
  /** The name with the names of its groups: `calc > clamps` (JavaScript), `TestCalc.test_add` (Python), `TestAdd` (Go). */
  readonly name: string;
  readonly line: number;
  /** `skip`: declared skipped (it.skip, xit, @pytest.mark.skip, t.Skip()); `only`: focused (it.only, fit); `todo`: a placeholder. */
  readonly marker?: 'skip' | 'only' | 'todo';
  /** Whether this is a group (describe, a test class) rather than a test. */
  readonly group: boolean;
}

/** What VERIFY found that makes the tests say less than they seem to: each needs a person's decision. */
export interface TestFinding {
  readonly kind:
    'test-removed' | 'test-skipped' | 'test-focused' | 'test-not-run' | 'coverage-ignore' | 'mutant-survived';
  readonly file: string;
  readonly line?: number;
  readonly test?: string;
  readonly detail: string;
}

const JS_CALL =
  /(?:^|[^\w$.])(x?(?:describe|it|test|suite|specify|context)|f(?:describe|it|test))((?:\.(?:skip|only|todo|concurrent|sequential|fails|failing|serial))*)\s*\(\s*(['"`])((?:\\.|(?!\3).)*)\3/g;
const GROUPS = new Set(['describe', 'suite', 'context']);

function jsTests(text: string): DeclaredTest[] {
  const out: DeclaredTest[] = [];
  const groups: { indent: number; name: string }[] = [];
  let comment = false;
  text.split('\n').forEach((raw, i) => {
    let line = raw;
    if (comment) {
      const end = line.indexOf('*/');
      if (end === -1) return;
      line = ' '.repeat(end + 2) + line.slice(end + 2);
      comment = false;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith('//') || trimmed.startsWith('*')) return;
    if (trimmed.startsWith('/*') && !trimmed.includes('*/')) {
      comment = true;
      return;
    }
    const indent = line.length - line.trimStart().length;
    for (const m of line.matchAll(JS_CALL)) {
      const fn = m[1]!;
      const base = fn.replace(/^[xf](?=describe|it|test|context|specify)/, '');
      const suffixes = m[2] ?? '';
      const rest = line.slice((m.index ?? 0) + m[0].length);
      // node:test takes `{ skip: true }`, `{ only: true }` and `{ todo: … }` after the name.
      const option = /^\s*,\s*\{([^}]*)\}/.exec(rest)?.[1] ?? '';
      const optionSays = (key: string) => new RegExp(`\\b${key}\\s*:\\s*(true|['"\`])`).test(option);
      const marker: DeclaredTest['marker'] =
        fn.startsWith('x') || suffixes.includes('.skip') || optionSays('skip')
          ? 'skip'
          : /^f(describe|it|test)$/.test(fn) || suffixes.includes('.only') || optionSays('only')
            ? 'only'
            : suffixes.includes('.todo') || optionSays('todo')
              ? 'todo'
              : undefined;
      while (groups.length > 0 && groups[groups.length - 1]!.indent >= indent) groups.pop();
      const name = [...groups.map((g) => g.name), m[4]!].join(' > ');
      const group = GROUPS.has(base);
      out.push({ name, line: i + 1, group, ...(marker ? { marker } : {}) });
      if (group) groups.push({ indent, name: m[4]! });
    }
  });
  return out;
}

const PY_SKIP_DECORATOR = /^@(pytest\.mark\.(skip|skipif|xfail)|unittest\.(skip|skipIf|skipUnless|expectedFailure))\b/;

function pythonTests(text: string): DeclaredTest[] {
  const out: DeclaredTest[] = [];
  const lines = text.split('\n');
  const classes: { indent: number; name: string; skip: boolean }[] = [];
  let moduleSkip = false;
  let decorators: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0 && /^pytestmark\s*=.*pytest\.mark\.(skip|skipif|xfail)\b/.test(text)) moduleSkip = true;
    if (text.startsWith('@')) {
      decorators.push(text);
      continue;
    }
    while (classes.length > 0 && classes[classes.length - 1]!.indent >= indent) classes.pop();
    const skipped = decorators.some((d) => PY_SKIP_DECORATOR.test(d));
    const cls = /^class\s+(\w+)/.exec(text);
    if (cls) {
      const inherited = classes.some((c) => c.skip);
      classes.push({ indent, name: cls[1]!, skip: skipped || inherited });
      if (/^Test|Test/.test(cls[1]!))
        out.push({
          name: [...classes.map((c) => c.name)].join('.'),
          line: i + 1,
          group: true,
          ...(skipped ? { marker: 'skip' as const } : {}),
        });
    }
    const def = /^(?:async\s+)?def\s+(test\w*)\s*\(/.exec(text);
    if (def) {
      // A skip called in the body (pytest.skip(), self.skipTest()) skips the test as surely as a decorator.
      let bodySkip = false;
      for (let j = i + 1; j < lines.length; j++) {
        const next = lines[j]!;
        if (next.trim() === '' || next.trim().startsWith('#')) continue;
        if (next.length - next.trimStart().length <= indent) break;
        if (/\b(pytest\.skip|self\.skipTest)\s*\(/.test(next)) bodySkip = true;
      }
      const skip = skipped || bodySkip || moduleSkip || classes.some((c) => c.skip);
      out.push({
        name: [...classes.map((c) => c.name), def[1]!].join('.'),
        line: i + 1,
        group: false,
        ...(skip ? { marker: 'skip' as const } : {}),
      });
    }
    decorators = [];
  }
  return out;
}

function goTests(text: string): DeclaredTest[] {
  const out: DeclaredTest[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^func\s+(Test\w*|Example\w*|Fuzz\w*)\s*\(\s*(\w+)?\s*\*testing\.[TF]\b/.exec(lines[i]!);
    if (!m) continue;
    const param = m[2] ?? 't';
    let skip = false;
    for (let j = i + 1; j < lines.length && !/^(func\s|\})/.test(lines[j]!); j++) {
      if (new RegExp(`\\b${param}\\.Skip(Now|f)?\\(`).test(lines[j]!)) skip = true;
    }
    out.push({ name: m[1]!, line: i + 1, group: false, ...(skip ? { marker: 'skip' as const } : {}) });
  }
  return out;
}

/** The tests `text` (the file at `path`) declares, in file order; none for a language it cannot read. */
export function declaredTests(path: string, text: string): DeclaredTest[] {
  switch (lineRulesFor(path)) {
    case 'js':
      return jsTests(text);
    case 'python':
      return pythonTests(text);
    case 'go':
      return goTests(text);
    default:
      return [];
  }
}

/** A test file as it was at the base commit and is now; `base` or `head` is absent for a file added or deleted. */
export interface TestFileVersions {
  readonly path: string;
  /** The path at the base commit, for a renamed file. */
  readonly from?: string;
  readonly base?: string;
  readonly head?: string;
}

const countBy = (tests: readonly DeclaredTest[]) => {
  const m = new Map<string, DeclaredTest[]>();
  for (const t of tests) m.set(t.name, [...(m.get(t.name) ?? []), t]);
  return m;
};

/**
 * Compares the tests declared at the base commit and now, file by file: tests (or groups) that are gone, tests
 * that are skipped now and were not, and tests that are focused now (which leaves every other test unrun).
 */
export function compareTestFiles(files: readonly TestFileVersions[]): TestFinding[] {
  const findings: TestFinding[] = [];
  for (const f of files) {
    const base = f.base === undefined ? [] : declaredTests(f.from ?? f.path, f.base);
    const head = f.head === undefined ? [] : declaredTests(f.path, f.head);
    const before = countBy(base);
    const after = countBy(head);
    for (const [name, was] of before) {
      const now = after.get(name) ?? [];
      if (now.length >= was.length) continue;
      const what = was[0]!.group ? 'group of tests' : 'test';
      findings.push({
        kind: 'test-removed',
        file: f.head === undefined ? (f.from ?? f.path) : f.path,
        line: was[0]!.line,
        test: name,
        detail:
          f.head === undefined
            ? `the ${what} "${name}" went with the deleted test file ${f.from ?? f.path}`
            : `the ${what} "${name}" was removed`,
      });
    }
    for (const [name, now] of after) {
      const was = before.get(name) ?? [];
      for (const marker of ['skip', 'only'] as const) {
        const count = (list: readonly DeclaredTest[]) => list.filter((t) => t.marker === marker).length;
        if (count(now) <= count(was)) continue;
        const t = now.find((x) => x.marker === marker)!;
        const what = t.group ? 'group of tests' : 'test';
        findings.push(
          marker === 'skip'
            ? {
                kind: 'test-skipped',
                file: f.path,
                line: t.line,
                test: name,
                detail: `the ${what} "${name}" is skipped${was.length > 0 ? ' now' : ' as it is added'}`,
              }
            : {
                kind: 'test-focused',
                file: f.path,
                line: t.line,
                test: name,
                detail: `the ${what} "${name}" is focused (only): the runner leaves the other tests of the file unrun`,
              },
        );
      }
    }
  }
  return findings;
}

/** Comment markers that leave lines out of a coverage report, by tool. */
const IGNORE_MARKERS: readonly { tool: string; re: RegExp; comment: 'c' | 'hash' }[] = [
  { tool: 'c8', re: /\bc8\s+ignore\b/, comment: 'c' },
  { tool: 'istanbul', re: /\bistanbul\s+ignore\b/, comment: 'c' },
  { tool: 'v8', re: /\bv8\s+ignore\b/, comment: 'c' },
  { tool: 'node:test', re: /\bnode:coverage\s+(ignore|disable)\b/, comment: 'c' },
  { tool: 'coverage.py', re: /\bpragma:\s*no\s*(cover|branch)\b/, comment: 'hash' },
  { tool: 'coverage.py', re: /#\s*nocover\b/, comment: 'hash' },
];

/**
 * The coverage-ignore comments (`c8 ignore`, `istanbul ignore`, `v8 ignore`, `node:coverage ignore`,
 * `pragma: no cover`, `# nocover`) on the lines a change adds, in any file. A marker counts only inside a comment:
 * after `//` or `/*` (or `#` for `pragma: no cover`).
 */
export function coverageIgnores(
  changed: readonly ChangedFile[],
  lineAt: (path: string, line: number) => string | undefined,
): TestFinding[] {
  const findings: TestFinding[] = [];
  for (const f of changed) {
    for (const n of f.addedLines) {
      const text = lineAt(f.path, n);
      if (text === undefined) continue;
      for (const m of IGNORE_MARKERS) {
        const hit = m.re.exec(text);
        if (!hit) continue;
        const before = text.slice(0, hit.index + (hit[0].startsWith('#') ? 1 : 0));
        const inComment = m.comment === 'c' ? /\/\/|\/\*/.test(before) : before.includes('#');
        if (!inComment) continue;
        findings.push({
          kind: 'coverage-ignore',
          file: f.path,
          line: n,
          detail: `a ${m.tool} coverage-ignore comment was added: ${text.trim().slice(0, 160)}`,
        });
        break;
      }
    }
  }
  return findings;
}
