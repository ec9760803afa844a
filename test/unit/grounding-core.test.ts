/**
 * Unit: the pure parts of grounding: which backticked spans are citations (paths, `path:symbol`, `path#symbol`,
 * folders) and which are not (code, globs, placeholders, URLs, flags, fenced examples); resolution against an atlas
 * and the repository's file list; files the file map adds; reachability from the spec's entry points; the score;
 * and the groundedness SLO over transition entries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexAtlas, linkAtlas, type AtlasFile } from '../../src/core/atlas.ts';
import { backticked, groundArtifacts, parseCitation } from '../../src/core/grounding.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import { groundedness } from '../../src/engine/telemetry/slo.ts';

const file = (path: string, exports: string[], imports: string[] = [], test = false): AtlasFile => ({
  path,
  language: 'typescript',
  digest: '0'.repeat(64),
  test,
  exports,
  imports: imports.map((spec) => ({ spec, bindings: [] })),
  calls: [],
});

const atlas = linkAtlas(
  [
    file('src/cli.ts', ['main'], ['./engine.ts']),
    file('src/engine.ts', ['run'], ['./store.ts']),
    file('src/store.ts', ['Store']),
    file('src/orphan.ts', ['lonely']),
    file('test/engine.test.ts', [], ['../src/engine.ts'], true),
  ],
  {},
);
const inputs = {
  index: indexAtlas(atlas),
  repoFiles: new Set([...atlas.files.map((f) => f.path), 'README.md', 'docs/guide.md']),
  artifactNames: new Set(['spec.md', 'plan.md', 'file_map.json', 'edge_cases.md']),
};

describe('citations', () => {
  it('reads paths, path:symbol, path#symbol, line suffixes and folders', () => {
    assert.deepEqual(parseCitation('src/engine.ts'), { path: 'src/engine.ts' });
    assert.deepEqual(parseCitation('./src/engine.ts:run'), { path: 'src/engine.ts', symbol: 'run' });
    assert.deepEqual(parseCitation('src/engine.ts#run'), { path: 'src/engine.ts', symbol: 'run' });
    assert.deepEqual(parseCitation('src/engine.ts:42'), { path: 'src/engine.ts' });
    assert.deepEqual(parseCitation('src/engine.ts:10-20'), { path: 'src/engine.ts' });
    assert.deepEqual(parseCitation('package.json'), { path: 'package.json' });
    assert.deepEqual(parseCitation('src/engine/'), { path: 'src/engine/' });
  });

  it('leaves out code, globs, placeholders, URLs, flags, paths outside the root and prose with slashes', () => {
    for (const text of [
      "wordCount('one two')",
      'src/**/*.ts',
      'evidence/<TASK>/plan.md',
      'https://example.com/a.ts',
      '--dry-run',
      '/etc/passwd',
      '../outside.ts',
      'read/write',
      'verify.impactedFirst',
      'z.object',
      'src/engine.ts:not an identifier',
      'a b.ts',
    ])
      assert.equal(parseCitation(text), undefined, text);
  });

  it('skips fenced code blocks', () => {
    const md = 'See `src/a.ts`.\n\n```ts\nconst x = `src/b.ts`;\n```\nAnd `src/c.ts`.\n';
    assert.deepEqual(backticked(md), ['src/a.ts', 'src/c.ts']);
  });
});

describe('grounding', () => {
  it('resolves files and symbols, treats added files as grounded, and names what exists nowhere', () => {
    const r = groundArtifacts(
      [
        { name: 'spec.md', spec: true, text: 'Starts at `src/cli.ts:main`; see `README.md` and `docs/` too.' },
        { name: 'plan.md', text: 'Change `src/store.ts#Store`, `src/store.ts#Missing` and `src/ghost.ts`; `plan.md`.' },
        {
          name: 'file_map.json',
          text: JSON.stringify({
            files: [
              { path: 'src/store.ts', change: 'modify', why: 'x' },
              { path: 'src/new.ts', change: 'add', why: 'y' },
            ],
          }),
        },
      ],
      inputs,
    );
    const row = (source: string, text: string) => r.citations.find((c) => c.source === source && c.text === text);
    assert.deepEqual(row('spec.md', 'src/cli.ts:main'), {
      text: 'src/cli.ts:main',
      kind: 'symbol',
      path: 'src/cli.ts',
      symbol: 'main',
      resolved: true,
      source: 'spec.md',
      inAtlas: true,
    });
    assert.equal(row('spec.md', 'README.md')?.resolved, true);
    assert.equal(row('spec.md', 'README.md')?.inAtlas, false);
    assert.equal(row('spec.md', 'docs/')?.resolved, true);
    assert.equal(row('plan.md', 'src/store.ts#Missing')?.resolved, false);
    assert.equal(row('plan.md', 'plan.md'), undefined);
    assert.equal(row('file_map.json', 'src/new.ts')?.new, true);
    assert.deepEqual(r.missing, ['src/ghost.ts']);
    assert.equal(r.passed, false);
    // 8 citations: cli.ts:main, README.md, docs/, Store, Missing, ghost.ts, store.ts, new.ts; 6 resolve.
    assert.equal(r.citations.length, 8);
    assert.equal(r.score, 0.75);
    assert.deepEqual(r.entryPoints, ['src/cli.ts']);
    assert.deepEqual(r.planFiles, ['src/store.ts']);
    assert.equal(r.reachable, true, 'cli.ts imports engine.ts, which imports store.ts');
    // store.ts is imported by engine.ts, which the test imports.
    assert.deepEqual(r.impactedTests, ['test/engine.test.ts']);
  });

  it('reports plan files no entry point reaches, and no verdict without entry points', () => {
    const map = (path: string) => ({
      name: 'file_map.json',
      text: JSON.stringify({ files: [{ path, change: 'modify' }] }),
    });
    const unreached = groundArtifacts(
      [{ name: 'spec.md', spec: true, text: '`src/cli.ts`' }, map('src/orphan.ts')],
      inputs,
    );
    assert.equal(unreached.reachable, false);
    assert.deepEqual(unreached.unreachable, ['src/orphan.ts']);
    assert.deepEqual(unreached.impactedTests, [], 'no test reaches the orphan');
    assert.equal(unreached.passed, true, 'reachability is reported, not a refusal');
    const none = groundArtifacts(
      [{ name: 'spec.md', spec: true, text: 'No code named.' }, map('src/orphan.ts')],
      inputs,
    );
    assert.equal(none.reachable, null);
    const empty = groundArtifacts([], inputs);
    assert.deepEqual([empty.score, empty.passed, empty.citations.length], [null, true, 0]);
  });

  it('a file map that is not JSON grounds nothing rather than failing', () => {
    const r = groundArtifacts([{ name: 'file_map.json', text: '{"files": [' }], inputs);
    assert.deepEqual([r.citations.length, r.passed], [0, true]);
  });
});

describe('the groundedness SLO', () => {
  const entry = (taskId: string, kind: string, data: Record<string, unknown>) =>
    ({ taskId, kind, data }) as unknown as LedgerEntry;
  it("is the mean of each task's latest score, other entries and scoreless groundings left out", () => {
    const g = groundedness([
      entry('A', 'transition', { grounding: { score: 0.5 } }),
      entry('A', 'transition', { grounding: { score: 1 } }),
      entry('B', 'transition', { grounding: { score: 0.8 } }),
      entry('C', 'transition', { grounding: { score: null } }),
      entry('D', 'violation', { grounding: { score: 0 } }),
      entry('E', 'transition', {}),
    ]);
    assert.equal(g.value, 0.9);
    assert.deepEqual(
      [...g.scores],
      [
        ['A', 1],
        ['B', 0.8],
      ],
    );
    assert.equal(groundedness([]).value, null);
  });
});
