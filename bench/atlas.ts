/**
 * @module The code atlas on a generated TypeScript repository (5,000 files in 50 folders, each importing three
 * others, a tenth of them tests): a build from nothing, an incremental build after a 20-file change, and an impact
 * query (index and reverse walk) for a 20-file change. Run alone with `node --import tsx bench/atlas.ts [FILES]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { impactOf, indexAtlas } from '../src/core/atlas.ts';
import { DEFAULT_SOURCE_GLOBS, DEFAULT_TEST_GLOBS } from '../src/core/config.ts';
import { buildAtlas, type AtlasBuild } from '../src/engine/graph/atlas.ts';
import { measure, table, type Stats } from './stats.ts';

const PER_FOLDER = 100;

/** The path of file `i`: a test for every tenth. */
const pathOf = (i: number) =>
  `src/mod${Math.floor(i / PER_FOLDER)}/${i % 10 === 9 ? `file${i}.test.ts` : `file${i}.ts`}`;

/** A source file of about 40 lines: three imports (two in its folder, one in the folder before), exports, calls. */
function source(i: number, version: number): string {
  const deps = [i - 1, i - 2, i - PER_FOLDER].filter((d) => d >= 0 && d % 10 !== 9);
  const rel = (d: number) => {
    const [from, to] = [Math.floor(i / PER_FOLDER), Math.floor(d / PER_FOLDER)];
    return from === to ? `./file${d}.ts` : `../mod${to}/file${d}.ts`;
  };
  return `/** Module ${i}, version ${version}. */
${deps.map((d) => `import { fn${d}, Type${d} } from '${rel(d)}';`).join('\n')}

export interface Type${i} {
  readonly id: number;
  readonly name: string;
}

export const LIMIT_${i} = ${i};

export function fn${i}(x: number): number {
  let total = x;
${deps.map((d) => `  total += fn${d}(x) % LIMIT_${i};`).join('\n')}
  return total;
}

export class Service${i} {
  private readonly items: Type${i}[] = [];
  add(item: Type${i}): void {
    this.items.push(item);
  }
  size(): number {
    return this.items.length + fn${i}(${version});
  }
}
${deps.map((d) => `export type Alias${d} = Type${d};`).join('\n')}
`;
}

function test(i: number): string {
  const target = i - 1;
  return `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fn${target}, Service${target} } from './file${target}.ts';

test('fn${target}', () => {
  assert.ok(fn${target}(1) >= 0);
  assert.equal(new Service${target}().size() >= 0, true);
});
`;
}

function generate(files: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-bench-atlas-'));
  for (let f = 0; f < files / PER_FOLDER; f++) mkdirSync(join(dir, 'src', `mod${f}`), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, pathOf(i)), i % 10 === 9 ? test(i) : source(i, 0));
  execFileSync('git', ['init', '-q'], { cwd: dir });
  execFileSync('git', ['add', '-A'], { cwd: dir });
  return dir;
}

/** Cold builds (no cache), incremental builds after a 20-file change, impact queries for a 20-file change. */
export async function benchAtlas(files: number, n: number): Promise<Stats[]> {
  const root = generate(files);
  const globs = { sources: DEFAULT_SOURCE_GLOBS, tests: DEFAULT_TEST_GLOBS };
  const states: string[] = [];
  const fresh = () => {
    const s = mkdtempSync(join(tmpdir(), 'autopilot-bench-atlas-state-'));
    states.push(s);
    return s;
  };
  try {
    let last: AtlasBuild | undefined;
    const cold = await measure(
      `atlas build, ${files.toLocaleString('en-US')}-file TypeScript repository`,
      n,
      async () => {
        last = await buildAtlas({ root, stateDir: fresh(), globs });
        if (last.parsed !== files) throw new Error(`parsed ${last.parsed} of ${files} files`);
      },
      { warmup: 0, cpu: true },
    );
    const state = fresh();
    await buildAtlas({ root, stateDir: state, globs });
    // Twenty source files spread over the tree, rewritten with a new version each run.
    const changed = Array.from({ length: 20 }, (_, k) => k * Math.floor(files / 20)).filter((i) => i % 10 !== 9);
    let version = 0;
    const incremental = await measure(
      `atlas update after a 20-file change (${files.toLocaleString('en-US')} files)`,
      n * 5,
      async () => {
        version++;
        for (const i of changed) writeFileSync(join(root, pathOf(i)), source(i, version));
        const b = await buildAtlas({ root, stateDir: state, globs });
        if (b.parsed !== changed.length) throw new Error(`re-parsed ${b.parsed} files, expected ${changed.length}`);
        last = b;
      },
      { warmup: 1, cpu: true },
    );
    const atlas = last!.atlas;
    const paths = changed.map(pathOf);
    let reached = 0;
    let tests = 0;
    const impact = await measure(
      `atlas impact query, 20 changed files (${files.toLocaleString('en-US')} files)`,
      n * 50,
      () => {
        const r = impactOf(indexAtlas(atlas), paths);
        reached = r.files.length;
        tests = r.tests.length;
      },
      { warmup: 5, cpu: true },
    );
    return [
      {
        ...cold,
        note: `from nothing: list, read, digest, parse (tree-sitter wasm), link; ${atlas.edges.length.toLocaleString('en-US')} edges; target < 20 s on 2 cores`,
      },
      { ...incremental, note: 'every file digested again, the 20 changed re-parsed, graph re-linked; target < 1 s' },
      {
        ...impact,
        note: `reverse index built and walked: reaches ${reached.toLocaleString('en-US')} files, ${tests} tests; target < 50 ms`,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
    for (const s of states) rmSync(s, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${table(await benchAtlas(Number(process.argv[2] ?? 5000), 3))}\n`);
}
