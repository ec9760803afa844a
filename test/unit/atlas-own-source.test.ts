/**
 * Unit: the atlas of this project's own source tree (TypeScript). Impact answers for core files are checked against
 * an independent resolver: the TypeScript compiler's own module resolution (ts.preProcessFile and
 * ts.resolveModuleName), followed transitively from every unit test file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import ts from 'typescript';
import { fileView, impactOf, indexAtlas, symbolViews, type AtlasIndex } from '../../src/core/atlas.ts';
import { DEFAULT_SOURCE_GLOBS, DEFAULT_TEST_GLOBS } from '../../src/core/config.ts';
import { buildAtlas, type AtlasBuild } from '../../src/engine/graph/atlas.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STATE = mkdtempSync(join(tmpdir(), 'autopilot-atlas-own-'));
after(() => rmSync(STATE, { recursive: true, force: true }));

const options: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true,
};

/** The repository files a file loads, transitively, as the TypeScript compiler resolves its imports. */
function closure(start: string, memo: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      const r = ts.resolveModuleName(ref.fileName, file, options, ts.sys).resolvedModule;
      if (!r || r.isExternalLibraryImport || !r.resolvedFileName.startsWith(`${ROOT}/`)) continue;
      stack.push(r.resolvedFileName);
    }
  }
  memo.set(start, seen);
  return seen;
}

describe("the atlas of this project's own source tree", () => {
  let built: AtlasBuild;
  let index: AtlasIndex;
  const unitTests = readdirSync(join(ROOT, 'test', 'unit'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(ROOT, 'test', 'unit', f));
  const memo = new Map<string, Set<string>>();

  before(async () => {
    built = await buildAtlas({
      root: ROOT,
      stateDir: STATE,
      globs: { sources: DEFAULT_SOURCE_GLOBS, tests: DEFAULT_TEST_GLOBS },
    });
    index = indexAtlas(built.atlas);
    for (const t of unitTests) closure(t, memo);
  });

  for (const file of [
    'src/core/errors.ts',
    'src/core/phrasing.ts',
    'src/core/atlas.ts',
    'src/reports/file-kinds.ts',
    'src/engine/repo/git.ts',
  ])
    it(`a change to ${file} lists exactly the unit tests that load it`, () => {
      const expected = unitTests
        .filter((t) => memo.get(t)!.has(join(ROOT, file)))
        .map((t) => relative(ROOT, t))
        .sort();
      const impact = impactOf(index, [file]);
      const got = impact.tests
        .map((t) => t.path)
        .filter((p) => p.startsWith('test/unit/') && p.endsWith('.test.ts'))
        .sort();
      assert.ok(expected.length > 0, `some unit test loads ${file}`);
      assert.deepEqual(got, expected);
      // Every reached test has a chain of edges back to the change.
      for (const t of impact.tests) if (t.depth > 0) assert.ok(index.byPath.has(t.via!));
    });

  it("resolves the project's imports: .ts specifiers, lazy import() of verbs, test globs", () => {
    const view = fileView(index, 'src/surfaces/cli/commands/atlas.ts');
    assert.ok(view);
    assert.ok(
      view.imports.some((e) => e.to === 'src/surfaces/cli/verbs/atlas.ts'),
      'the lazy import() is an edge',
    );
    assert.ok(view.imports.some((e) => e.to === 'src/surfaces/cli/commands/shared.ts'));
    assert.equal(index.byPath.get('test/unit/atlas-own-source.test.ts')?.test, true);
    assert.equal(index.byPath.get('src/core/atlas.ts')?.test, false);
    const refuse = symbolViews(index, 'src/core/errors.ts#refuse');
    assert.equal(refuse.length, 1);
    assert.ok(refuse[0]!.calledBy.includes('src/engine/graph/impact.ts'), 'impact.ts calls refuse');
  });

  it('a second build re-parses nothing and gives the same digests; a build without the cache gives them too', async () => {
    const again = await buildAtlas({
      root: ROOT,
      stateDir: STATE,
      globs: { sources: DEFAULT_SOURCE_GLOBS, tests: DEFAULT_TEST_GLOBS },
    });
    assert.equal(again.parsed, 0);
    assert.equal(again.reused, built.manifest.files);
    assert.equal(again.manifest.digest, built.manifest.digest);
    const fresh = mkdtempSync(join(tmpdir(), 'autopilot-atlas-own-fresh-'));
    try {
      const cold = await buildAtlas({
        root: ROOT,
        stateDir: fresh,
        globs: { sources: DEFAULT_SOURCE_GLOBS, tests: DEFAULT_TEST_GLOBS },
      });
      assert.equal(cold.reused, 0);
      assert.equal(cold.manifest.digest, built.manifest.digest);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
