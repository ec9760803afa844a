/**
 * Unit: the pure parts of the atlas: import resolution (TS/JS extension probing, emitted extensions, index files,
 * tsconfig paths; Python relative imports and submodules; Go packages by module path), impact through reverse
 * edges, and whether an impacted test file ran, told from a report's cases (node:test, pytest, go test).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  impactOf,
  indexAtlas,
  linkAtlas,
  normalizePath,
  repoIndex,
  resolveImport,
  type AtlasFile,
  type ImportFact,
} from '../../src/core/atlas.ts';
import { testFileRun } from '../../src/core/atlas-tests.ts';
import { tsconfigPaths } from '../../src/engine/graph/atlas.ts';

const imp = (spec: string, ...names: string[]): ImportFact => ({
  spec,
  bindings: names.map((n) => ({ local: n, imported: n })),
});

describe('import resolution', () => {
  const repo = repoIndex([
    'src/a.ts',
    'src/b.tsx',
    'src/lib/index.ts',
    'src/util.mts',
    'src/plain.js',
    'src/@app/x.ts',
    'pkg/__init__.py',
    'pkg/core.py',
    'pkg/sub/__init__.py',
    'pkg/sub/leaf.py',
    'ns/mod.py',
    'src/srcpkg/__init__.py',
    'src/srcpkg/m.py',
    'tests/helpers.py',
    'tests/test_x.py',
    'svc/go.go',
    'svc/internal/db/db.go',
    'svc/internal/db/db_test.go',
  ]);
  const ctx = {
    tsPaths: { baseUrl: 'src', paths: { '@app/*': ['@app/*'], '#lib': ['lib/index.ts'] } },
    goModules: [{ dir: 'svc', path: 'example.com/svc' }],
  };
  const ts = (from: string, spec: string) => resolveImport(from, 'typescript', imp(spec), repo, ctx);
  const py = (from: string, spec: string, ...names: string[]) =>
    resolveImport(from, 'python', imp(spec, ...names), repo, ctx);

  it('TS/JS: the emitted extension, a missing one, an index file, tsconfig paths; a package resolves to nothing', () => {
    assert.deepEqual(ts('src/lib/index.ts', '../a.js'), ['src/a.ts']);
    assert.deepEqual(ts('src/a.ts', './b.jsx'), ['src/b.tsx']);
    assert.deepEqual(ts('src/a.ts', './util.mjs'), ['src/util.mts']);
    assert.deepEqual(ts('src/a.ts', './plain'), ['src/plain.js']);
    assert.deepEqual(ts('src/a.ts', './lib'), ['src/lib/index.ts']);
    assert.deepEqual(ts('src/a.ts', '@app/x'), ['src/@app/x.ts']);
    assert.deepEqual(ts('src/a.ts', '#lib'), ['src/lib/index.ts']);
    assert.deepEqual(ts('src/a.ts', 'react'), []);
    assert.deepEqual(ts('src/a.ts', '../../../outside'), [], 'a path above the root is no file');
  });

  it('Python: package __init__ files on the way, submodules imported by name, relative levels, src/ and test folders', () => {
    assert.deepEqual(py('tests/test_x.py', 'pkg.sub.leaf'), [
      'pkg/__init__.py',
      'pkg/sub/__init__.py',
      'pkg/sub/leaf.py',
    ]);
    assert.deepEqual(py('tests/test_x.py', 'pkg', 'core', 'VERSION'), ['pkg/__init__.py', 'pkg/core.py']);
    assert.deepEqual(py('pkg/sub/leaf.py', '..core'), ['pkg/core.py']);
    assert.deepEqual(py('pkg/sub/leaf.py', '.', 'leaf'), ['pkg/sub/leaf.py']);
    assert.deepEqual(py('pkg/core.py', '...toofar'), []);
    assert.deepEqual(py('tests/test_x.py', 'ns.mod'), ['ns/mod.py'], 'a namespace package');
    assert.deepEqual(py('tests/test_x.py', 'srcpkg.m'), ['src/srcpkg/__init__.py', 'src/srcpkg/m.py']);
    assert.deepEqual(py('tests/test_x.py', 'helpers'), ['tests/helpers.py'], "the test file's own folder");
    assert.deepEqual(py('pkg/core.py', 'os.path'), []);
  });

  it('Go: a package is its folder under the module path; the standard library resolves to nothing', () => {
    assert.deepEqual(resolveImport('svc/go.go', 'go', imp('example.com/svc/internal/db'), repo, ctx), [
      'svc/internal/db/db.go',
    ]);
    assert.deepEqual(resolveImport('svc/go.go', 'go', imp('fmt'), repo, ctx), []);
    assert.deepEqual(resolveImport('svc/go.go', 'go', imp('example.com/svcx/db'), repo, ctx), []);
  });

  it('normalizes paths and refuses to leave the root', () => {
    assert.equal(normalizePath('a/./b/../c'), 'a/c');
    assert.equal(normalizePath('../a'), undefined);
  });

  it('reads tsconfig paths through comments and trailing commas, and gives none for text that is not JSON', () => {
    assert.deepEqual(
      tsconfigPaths('{ // c\n "compilerOptions": { "baseUrl": "./src/", /* x */ "paths": { "@/*": ["*"], }, }, }'),
      { baseUrl: 'src', paths: { '@/*': ['*'] } },
    );
    assert.equal(tsconfigPaths('{ nope'), undefined);
    assert.equal(tsconfigPaths('{"compilerOptions": {}}'), undefined);
  });
});

describe('impact', () => {
  const file = (path: string, imports: ImportFact[], test = false, exports: string[] = []): AtlasFile => ({
    path,
    language: 'typescript',
    digest: path,
    test,
    exports,
    imports,
    calls: [],
  });
  const atlas = linkAtlas(
    [
      file('src/a.ts', [], false, ['a', 'unused']),
      file('src/b.ts', [imp('./a.ts', 'a')]),
      file('src/c.ts', [imp('./b.ts')]),
      file('src/cycle1.ts', [imp('./cycle2.ts'), imp('./c.ts')]),
      file('src/cycle2.ts', [imp('./cycle1.ts')]),
      file('test/c.test.ts', [imp('../src/c.ts')], true),
      file('test/other.test.ts', [imp('../src/other.ts')], true),
      file('src/other.ts', []),
    ],
    {},
  );
  const index = indexAtlas(atlas);

  it('follows reverse edges transitively, nearest first, through cycles, and names the tests', () => {
    const r = impactOf(index, ['src/a.ts', 'src/missing.ts']);
    assert.deepEqual(
      r.files.map((f) => [f.path, f.depth, f.via ?? null]),
      [
        ['src/a.ts', 0, null],
        ['src/b.ts', 1, 'src/a.ts'],
        ['src/c.ts', 2, 'src/b.ts'],
        ['src/cycle1.ts', 3, 'src/c.ts'],
        ['test/c.test.ts', 3, 'src/c.ts'],
        ['src/cycle2.ts', 4, 'src/cycle1.ts'],
      ],
    );
    assert.deepEqual(
      r.tests.map((t) => t.path),
      ['test/c.test.ts'],
    );
    assert.deepEqual(r.changed, [
      { path: 'src/a.ts', inAtlas: true },
      { path: 'src/missing.ts', inAtlas: false },
    ]);
    assert.deepEqual(r.symbols, [
      { symbol: 'src/a.ts#a', importedBy: ['src/b.ts'] },
      { symbol: 'src/a.ts#unused', importedBy: [] },
    ]);
  });

  it('a change to a test file alone lists that test at depth 0; nothing changed lists nothing', () => {
    assert.deepEqual(
      impactOf(index, ['test/other.test.ts']).tests.map((t) => [t.path, t.depth]),
      [['test/other.test.ts', 0]],
    );
    assert.deepEqual(impactOf(index, []).files, []);
  });
});

describe('whether an impacted test file ran', () => {
  it('node:test JUnit: by the full names the file declares; skipped cases do not count as a run', () => {
    const cases = [
      { suite: 'slug', name: 'lowers case', status: 'passed' as const },
      { suite: 'count', name: 'counts', status: 'skipped' as const },
    ];
    assert.deepEqual(testFileRun('test/slug.test.js', ['slug > lowers case'], cases), { run: 'ran', cases: 1 });
    assert.deepEqual(testFileRun('test/count.test.js', ['count > counts'], cases), { run: 'skipped', cases: 0 });
    assert.deepEqual(testFileRun('test/other.test.js', ['other > works'], cases), { run: 'not-run', cases: 0 });
    assert.deepEqual(testFileRun('test/other.test.js', ['other > works'], undefined), { run: 'unknown', cases: 0 });
  });

  it("pytest: by the dotted module in the case's class name; go test: by test name in the file's package", () => {
    const py = [{ suite: 'tests.unit.test_reports', name: 'test_summary', status: 'failed' as const }];
    assert.equal(testFileRun('tests/unit/test_reports.py', [], py).run, 'ran');
    assert.equal(testFileRun('tests/test_reports.py', [], py).run, 'not-run');
    const go = [{ suite: 'example.com/shop/internal/cart', name: 'TestTotal', status: 'passed' as const }];
    assert.equal(testFileRun('internal/cart/cart_test.go', ['TestTotal'], go).run, 'ran');
    assert.equal(testFileRun('pkg/cart/cart_test.go', ['TestTotal'], go).run, 'not-run');
  });
});
