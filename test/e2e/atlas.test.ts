/**
 * E2E: `autopilot atlas build|show|impact` on the demo project through the built command line, the manifest cache
 * (incremental, rebuilt when corrupt), refusals of bad input, a repository with no parsable language, and VERIFY's
 * impact.json (the atlas manifest the run was checked against, the tests that reach the change and whether they ran).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { git, makeRepo } from './helpers.ts';

interface Manifest {
  digest: string;
  graphDigest: string;
  files: number;
  edges: number;
}
interface BuildBody {
  manifest: Manifest;
  parsed: number;
  reused: number;
  cacheNote?: string;
}
interface ImpactBody {
  manifest: Manifest;
  impact: { tests: { path: string; depth: number }[]; files: { path: string }[]; symbols: { symbol: string }[] };
}

describe('autopilot atlas', { concurrency: true }, () => {
  it('builds, re-parses only what changed, and rebuilds a corrupt cache to the same digest', async () => {
    const repo = await makeRepo();
    const first = await repo.ok<BuildBody>(['atlas', 'build']);
    assert.equal(first.manifest.files, 5, 'src/slug.js, test/slug.test.js and three scripts');
    assert.match(first.manifest.digest, /^[0-9a-f]{64}$/);
    assert.equal(first.parsed, 5);
    // The cache ignores itself: no commit takes it in.
    assert.doesNotMatch(git(repo.dir, ['status', '--porcelain', '--untracked-files=all']), /atlas/);
    const again = await repo.ok<BuildBody>(['atlas', 'build']);
    assert.deepEqual([again.parsed, again.reused, again.manifest.digest], [0, 5, first.manifest.digest]);
    repo.write('src/slug.js', `${readFileSync(repo.path('src/slug.js'), 'utf8')}\nexport const MAX = 80;\n`);
    const changed = await repo.ok<BuildBody>(['atlas', 'build']);
    assert.deepEqual([changed.parsed, changed.reused], [1, 4]);
    assert.notEqual(changed.manifest.digest, first.manifest.digest);
    writeFileSync(repo.path('.autopilot', 'atlas', 'manifest.json'), '{"version": 1, "files": ');
    const rebuilt = await repo.ok<BuildBody>(['atlas', 'build']);
    assert.equal(rebuilt.parsed, 5);
    assert.equal(rebuilt.cacheNote, 'the cached manifest is not JSON');
    assert.equal(rebuilt.manifest.digest, changed.manifest.digest);
  });

  it('shows a file and a symbol, and the impact of a list of files and of the working tree', async () => {
    const repo = await makeRepo();
    const file = await repo.ok<{ file: { importedBy: { from: string; names: string[]; calls: string[] }[] } }>([
      'atlas',
      'show',
      'src/slug.js',
    ]);
    assert.deepEqual(file.file.importedBy, [
      { from: 'scripts/smoke.js', to: 'src/slug.js', names: ['slugify'], calls: ['slugify'] },
      { from: 'test/slug.test.js', to: 'src/slug.js', names: ['slugify'], calls: ['slugify'] },
    ]);
    const symbol = await repo.ok<{ symbols: { symbol: string; calledBy: string[] }[] }>(['atlas', 'show', 'slugify']);
    assert.deepEqual(symbol.symbols, [
      {
        symbol: 'src/slug.js#slugify',
        definedIn: 'src/slug.js',
        importedBy: ['scripts/smoke.js', 'test/slug.test.js'],
        calledBy: ['scripts/smoke.js', 'test/slug.test.js'],
      },
    ]);
    const listed = await repo.ok<ImpactBody>(['atlas', 'impact', '--files', 'src/slug.js']);
    assert.deepEqual(
      listed.impact.tests.map((t) => [t.path, t.depth]),
      [['test/slug.test.js', 1]],
    );
    assert.deepEqual(
      listed.impact.symbols.map((s) => s.symbol),
      ['src/slug.js#slugify'],
    );
    // Nothing changed against HEAD: no impact; a change in the working tree: its tests.
    const clean = await repo.ok<ImpactBody>(['atlas', 'impact']);
    assert.deepEqual(clean.impact.files, []);
    repo.write('src/slug.js', `// ASCII only.\n${readFileSync(repo.path('src/slug.js'), 'utf8')}`);
    const dirty = await repo.ok<ImpactBody>(['atlas', 'impact', '--base', 'HEAD']);
    assert.deepEqual(
      dirty.impact.tests.map((t) => t.path),
      ['test/slug.test.js'],
    );
    const text = await repo.run(['atlas', 'impact']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /test\/slug\.test\.js \(depth 1, via src\/slug\.js\)/);
  });

  it('refuses an unknown target, an unknown base, and --base with --files, each with what to give instead', async () => {
    const repo = await makeRepo();
    const target = await repo.refused(['atlas', 'show', 'no_such_thing'], 'USAGE', 1);
    assert.match(target.message, /neither a file of the atlas nor a symbol/);
    const base = await repo.refused(['atlas', 'impact', '--base', 'no-such-branch'], 'USAGE', 1);
    assert.match(base.message, /names no commit of this repository: give a branch, a tag or a commit id/);
    const both = await repo.refused(['atlas', 'impact', '--base', 'HEAD', '--files', 'src/slug.js'], 'USAGE', 1);
    assert.match(both.message, /not both/);
  });

  it('a repository with no parsable language has an empty atlas', async () => {
    const repo = await makeRepo();
    git(repo.dir, ['rm', '-q', '-r', 'src', 'test', 'scripts']);
    git(repo.dir, ['commit', '-q', '-m', 'docs only']);
    const built = await repo.ok<BuildBody>(['atlas', 'build']);
    assert.deepEqual([built.manifest.files, built.manifest.edges], [0, 0]);
  });

  it('VERIFY records the atlas manifest and the tests that reach the change, and that they ran', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY');
    await repo.ok(['verify', 'T-1']);
    const impact = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'impact.json'), 'utf8')) as {
      manifest: Manifest;
      changed: { path: string; inAtlas: boolean }[];
      tests: { path: string; run: string; cases: number }[];
    };
    assert.match(impact.manifest.digest, /^[0-9a-f]{64}$/);
    // The task adds src/count.js and its test (helpers.ts, IMPLEMENT): the test reaches the change, and it ran.
    assert.ok(
      impact.changed.some((c) => c.path === 'src/count.js' && c.inAtlas),
      JSON.stringify(impact.changed),
    );
    assert.deepEqual(
      impact.tests.map((t) => [t.path, t.run]),
      [['test/count.test.js', 'ran']],
    );
    assert.ok(impact.tests[0]!.cases >= 1);
    const run = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'verify_run.json'), 'utf8')) as {
      atlas: { manifestDigest: string; impactedTests: number; ran: number };
    };
    assert.equal(run.atlas.manifestDigest, impact.manifest.digest);
    assert.equal(run.atlas.ran, run.atlas.impactedTests);
  });

  it('verify.impactedFirst runs the tests that reach the change first, and a failure there ends VERIFY', async () => {
    interface Run {
      passed: boolean;
      impactedFirst: { files: string[]; argv: string[]; passed: boolean };
      commands: { name: string }[];
    }
    const impactedFirst = { run: [process.execPath, '--test', '{files}'], timeoutSeconds: 60 };
    const good = await makeRepo({
      config: (c) => void ((c['verify'] as Record<string, unknown>).impactedFirst = impactedFirst),
    });
    await good.driveTo('T-1', 'VERIFY');
    await good.ok(['verify', 'T-1']);
    const passed = JSON.parse(readFileSync(join(good.phaseDir('T-1', 'VERIFY'), 'verify_run.json'), 'utf8')) as Run;
    assert.deepEqual(passed.impactedFirst.files, ['test/count.test.js']);
    assert.deepEqual(passed.impactedFirst.argv.slice(1), ['--test', 'test/count.test.js']);
    assert.equal(passed.impactedFirst.passed, true);
    // First the impacted tests, then the full suite, which alone is the evidence.
    assert.deepEqual(
      passed.commands.map((c) => c.name).filter((n) => n !== 'build'),
      ['impacted tests', 'test'],
    );

    const bad = await makeRepo({
      config: (c) => void ((c['verify'] as Record<string, unknown>).impactedFirst = impactedFirst),
    });
    await bad.driveTo('T-1', 'VERIFY', { buggy: true });
    const err = await bad.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(
      err.message,
      /tests that reach the change failed first .*test\/count\.test\.js.*the full suite was not run/,
    );
    const failed = JSON.parse(readFileSync(join(bad.phaseDir('T-1', 'VERIFY'), 'verify_run.json'), 'utf8')) as Run;
    assert.equal(failed.impactedFirst.passed, false);
    assert.ok(!failed.commands.some((c) => c.name === 'test'), 'the full suite did not run');
  });
});
