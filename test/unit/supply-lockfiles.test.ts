/**
 * Unit: the lockfile parsers on lockfiles the package managers wrote here (npm 11, pnpm 9, yarn 1.22 and yarn 4 from
 * the registry), and on Go and Python lockfiles written to their documented formats (go.mod checked by `go mod
 * edit -json`, the TOML files by Python's tomllib): each package with its version, purl, direct or transitive, and
 * development-only where the lockfile says so; and a broken lockfile refused with its reason.
 */
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readLockfile, lockfilesIn, LockfileError } from '../../src/core/supply/lockfiles.ts';
import type { LockfileRead } from '../../src/core/supply/packages.ts';
import { ROOT } from '../e2e/helpers.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'supply');

function read(folder: string, lockfile: string): LockfileRead {
  return readLockfile(`${folder}/${lockfile}`, (p) => {
    const full = join(FIXTURES, p);
    return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  });
}

/** name@version → [direct, dev], for the assertions to read in one line. */
function table(r: LockfileRead): Record<string, [boolean, boolean]> {
  return Object.fromEntries(r.packages.map((p) => [`${p.name}@${p.version}`, [p.direct, p.dev]]));
}

const JS_TREE = {
  '@babel/code-frame@7.12.13': [true, false],
  '@babel/helper-validator-identifier@7.29.17': [false, false],
  '@babel/highlight@7.25.9': [false, false],
  'ansi-styles@3.2.1': [false, false],
  'chalk@2.4.2': [false, false],
  'color-convert@1.9.3': [false, false],
  'color-name@1.1.3': [false, false],
  'escape-string-regexp@1.0.5': [false, false],
  'has-flag@3.0.0': [false, false],
  'js-tokens@4.0.0': [false, false],
  'lodash@4.17.11': [true, false],
  'minimist@1.2.5': [true, true],
  'picocolors@1.1.1': [false, false],
  'supports-color@5.5.0': [false, false],
} as const;

describe('JavaScript lockfiles, as the package managers wrote them', () => {
  it('npm package-lock v3: top-level direct dependencies, dev flags, SRI integrity, purls', () => {
    const r = read('npm', 'package-lock.json');
    assert.equal(r.format, 'npm package-lock v3');
    assert.deepEqual(table(r), { 'lodash@4.17.11': [true, false], 'minimist@1.2.5': [true, true] });
    const lodash = r.packages.find((p) => p.name === 'lodash')!;
    assert.equal(lodash.purl, 'pkg:npm/lodash@4.17.11');
    assert.match(lodash.hashes[0]!, /^sha512-/);
  });

  it('pnpm v9: importers name the direct dependencies, scoped names keep their purl namespace', () => {
    const r = read('pnpm', 'pnpm-lock.yaml');
    assert.equal(r.format, 'pnpm lockfile v9.0');
    // pnpm does not mark transitive dev dependencies; the direct ones are known from the importer.
    const t = table(r);
    assert.deepEqual(t, JS_TREE);
    assert.equal(r.packages.find((p) => p.name === '@babel/code-frame')!.purl, 'pkg:npm/%40babel/code-frame@7.12.13');
  });

  it('yarn classic v1 and yarn berry (v8 metadata) give the same tree; the workspace itself is left out', () => {
    const classic = read('yarn-classic', 'yarn.lock');
    const berry = read('yarn-berry', 'yarn.lock');
    assert.equal(classic.format, 'yarn classic lockfile v1');
    assert.equal(berry.format, 'yarn berry lockfile v8');
    assert.deepEqual(table(classic), JS_TREE);
    assert.deepEqual(table(berry), JS_TREE);
    assert.deepEqual(classic.notes, []);
    assert.deepEqual(berry.notes, []);
  });

  it('pnpm v6 keys (`/name@version(peers)`) and yarn classic aliases (`alias@npm:real@range`), in their documented forms', () => {
    const v6 = readLockfile('pnpm-lock.yaml', () =>
      [
        "lockfileVersion: '6.0'",
        'importers:',
        '  .:',
        '    dependencies:',
        '      react-dom:',
        '        specifier: ^18.2.0',
        '        version: 18.2.0(react@18.2.0)',
        'packages:',
        '  /react-dom@18.2.0(react@18.2.0):',
        '    resolution: {integrity: sha512-AAAA}',
        '  /react@18.2.0:',
        '    resolution: {integrity: sha512-BBBB}',
        '    dev: false',
      ].join('\n'),
    );
    assert.deepEqual(table(v6), { 'react-dom@18.2.0': [true, false], 'react@18.2.0': [false, false] });
    const aliased = readLockfile('yarn.lock', (p) =>
      p === 'package.json'
        ? '{"dependencies": {"old-lodash": "npm:lodash@4.17.11"}}'
        : '# yarn lockfile v1\n\n\n"old-lodash@npm:lodash@4.17.11":\n  version "4.17.11"\n',
    );
    assert.deepEqual(
      aliased.packages.map((p) => p.purl),
      ['pkg:npm/lodash@4.17.11'],
    );
  });

  it('a lockfile that is not what its name says is refused with the reason', () => {
    assert.throws(
      () => readLockfile('package-lock.json', () => '{"lockfileVersion": 1, "dependencies": {}}'),
      (err: unknown) => err instanceof LockfileError && /lockfileVersion 1 is not supported/.test(err.message),
    );
    assert.throws(() => readLockfile('pnpm-lock.yaml', () => 'a: [unclosed'), LockfileError);
    assert.throws(() => readLockfile('yarn.lock', () => 'just text'), LockfileError);
  });
});

describe('Go and Python lockfiles, written to their documented formats', () => {
  it('go.mod + go.sum: indirect requirements are transitive, a local replacement is no release, h1 hashes from go.sum', () => {
    const r = read('go', 'go.mod');
    assert.equal(r.format, 'go.mod + go.sum');
    assert.deepEqual(table(r), {
      'github.com/gin-gonic/gin@v1.6.2': [true, false],
      'golang.org/x/text@v0.3.7': [true, false],
      'github.com/gin-contrib/sse@v0.1.0': [false, false],
      'golang.org/x/sys@v0.0.0-20200116001909-b77594299b42': [false, false],
    });
    assert.deepEqual(r.notes, ['example.com/localdep: replaced by a local folder']);
    assert.equal(r.packages[0]!.purl, 'pkg:golang/github.com/gin-gonic/gin@v1.6.2');
    assert.match(r.packages[0]!.hashes[0]!, /^h1:/);
  });

  it('requirements with hashes: pip-compile `# via` comments tell transitive pins; an unpinned line is a note', () => {
    const r = read('python', 'requirements.txt');
    assert.deepEqual(table(r), {
      'certifi@2023.7.22': [false, false],
      'idna@3.4': [false, false],
      'requests@2.30.0': [true, false],
      'urllib3@2.0.3': [false, false],
    });
    assert.equal(r.packages[0]!.hashes.length, 2);
    assert.deepEqual(r.notes, ['django>=3.2: not pinned to one version (name==version)']);
  });

  it('Pipfile.lock with its Pipfile; poetry.lock and uv.lock with pyproject.toml; names PEP 503-normalised', () => {
    assert.deepEqual(table(read('python', 'Pipfile.lock')), {
      'jinja2@2.10': [true, false],
      'markupsafe@1.1.1': [false, false],
      'pytest@7.4.0': [true, true],
    });
    const poetry = read('python', 'poetry.lock');
    assert.deepEqual(table(poetry), { 'pyyaml@5.3': [true, false], 'pytest@7.4.0': [true, false] });
    assert.equal(poetry.packages[0]!.purl, 'pkg:pypi/pyyaml@5.3');
    const uv = read('uv', 'uv.lock');
    assert.deepEqual(table(uv), { 'flask@2.2.0': [true, false], 'werkzeug@2.2.3': [false, false] });
    assert.equal(uv.packages[0]!.hashes.length, 2);
  });

  it('finds lockfiles anywhere in a tree but in installed or vendored folders', () => {
    assert.deepEqual(
      lockfilesIn([
        'web/package-lock.json',
        'node_modules/x/package-lock.json',
        'svc/go.mod',
        'vendor/a/go.mod',
        'requirements-dev.txt',
        'README.md',
        'py/uv.lock',
      ]),
      ['py/uv.lock', 'requirements-dev.txt', 'svc/go.mod', 'web/package-lock.json'],
    );
  });
});
