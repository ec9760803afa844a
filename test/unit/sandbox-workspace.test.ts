/** @module The sandbox's workspace on disk: what the scratch copy holds, and the mounts of the read-only mode. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  dependencyFolders,
  dropWorkspace,
  makeWorkspace,
  WorkspaceError,
  type WorkspaceRequest,
} from '../../src/adapters/bwrap/workspace.ts';
import { findTool } from '../../src/adapters/bwrap/probe.ts';
import { removeOnExit } from '../helpers/remove-on-exit.ts';

const base = mkdtempSync(join(tmpdir(), 'autopilot-ws-test-'));
removeOnExit(base);
const cp = findTool('cp') ?? '/bin/cp';

function put(root: string, rel: string, content = rel): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

/** A repository-like tree: tracked files, node_modules, an untracked file, .git, the state folder with a key. */
function repo(stateDir = '.autopilot'): string {
  const r = mkdtempSync(join(base, 'repo-'));
  put(r, 'src/a.js');
  put(r, 'node_modules/dep/index.js');
  put(r, 'untracked.txt');
  put(r, '.git/HEAD', 'ref: refs/heads/main\n');
  put(r, `${stateDir}/keys/private.pem`, 'secret');
  put(r, `${stateDir}/config.yaml`, 'version: 1\n');
  put(r, 'reports/junit.xml', '<planted/>');
  symlinkSync('src/a.js', join(r, 'link.js'));
  return r;
}

function req(cwd: string, extra: Partial<WorkspaceRequest> = {}): WorkspaceRequest {
  return { mode: 'copy', cwd, hide: [join(cwd, '.autopilot')], outputs: [], scratchBase: base, cp, ...extra };
}

test('copy: the working tree with untracked files, without the state folder, .git and node_modules bound read-only', async () => {
  const r = repo();
  const ws = await makeWorkspace(req(r, { outputs: ['reports/junit.xml'] }));
  try {
    for (const f of ['src/a.js', 'untracked.txt']) assert.equal(readFileSync(join(ws.dir, f), 'utf8'), f);
    assert.deepEqual(readdirSync(join(ws.dir, 'node_modules')), [], 'node_modules is a mount point, not a copy');
    for (const cache of ['.cache', '.vite'])
      assert.ok(lstatSync(join(r, 'node_modules', cache)).isDirectory(), `the mount point of ${cache} is made`);
    assert.equal(readlinkSync(join(ws.dir, 'link.js')), 'src/a.js', 'symlinks stay symlinks');
    assert.ok(!existsSync(join(ws.dir, '.autopilot')), 'the state folder (and its key) is not copied');
    assert.ok(!existsSync(join(ws.dir, 'reports/junit.xml')), 'a planted report is removed before the command runs');
    assert.ok(existsSync(join(r, 'reports/junit.xml')), 'the repository itself is left alone');
    assert.ok(
      lstatSync(join(ws.dir, '.git')).isDirectory() && !existsSync(join(ws.dir, '.git/HEAD')),
      '.git is a mount point, not a copy',
    );
    assert.deepEqual(ws.mounts, [
      { kind: 'bind', src: ws.dir, dest: r },
      { kind: 'ro-bind', src: join(r, '.git'), dest: join(r, '.git') },
      { kind: 'ro-bind', src: join(r, 'node_modules'), dest: join(r, 'node_modules') },
      { kind: 'tmpfs', dest: join(r, 'node_modules', '.cache'), readonly: false },
      { kind: 'tmpfs', dest: join(r, 'node_modules', '.vite'), readonly: false },
    ]);
  } finally {
    await dropWorkspace(ws);
  }
  assert.ok(!existsSync(ws.scratch), 'dropping removes the scratch folder');
});

test('copy: a state folder deeper in the tree is left out, its neighbours are not', async () => {
  const r = repo('var/state');
  put(r, 'var/other.txt');
  const ws = await makeWorkspace(req(r, { hide: [join(r, 'var/state')] }));
  try {
    assert.ok(!existsSync(join(ws.dir, 'var/state')));
    assert.equal(readFileSync(join(ws.dir, 'var/other.txt'), 'utf8'), 'var/other.txt');
    assert.ok(existsSync(join(ws.dir, 'src/a.js')));
  } finally {
    await dropWorkspace(ws);
  }
});

test('copy: each run gets a fresh copy', async () => {
  const r = repo();
  const a = await makeWorkspace(req(r));
  const b = await makeWorkspace(req(r));
  try {
    assert.notEqual(a.dir, b.dir);
    writeFileSync(join(a.dir, 'src/a.js'), 'changed');
    assert.equal(readFileSync(join(b.dir, 'src/a.js'), 'utf8'), 'src/a.js');
    assert.equal(readFileSync(join(r, 'src/a.js'), 'utf8'), 'src/a.js', 'no hard link back to the repository');
  } finally {
    await dropWorkspace(a);
    await dropWorkspace(b);
  }
});

test('read-only: the repository bound read-only, the state folder hidden, one scratch folder per report folder', async () => {
  const r = repo();
  const ws = await makeWorkspace(
    req(r, { mode: 'readonly', outputs: ['reports/junit.xml', 'reports/sub/x.xml', 'coverage/lcov.info'] }),
  );
  try {
    assert.deepEqual(ws.mounts, [
      { kind: 'ro-bind', src: r, dest: r },
      { kind: 'tmpfs', dest: join(r, '.autopilot'), readonly: true },
      { kind: 'bind', src: join(ws.dir, 'reports'), dest: join(r, 'reports') },
      { kind: 'bind', src: join(ws.dir, 'coverage'), dest: join(r, 'coverage') },
    ]);
    assert.ok(existsSync(join(ws.dir, 'reports/sub')), 'folders inside a bound one exist in its scratch');
    assert.ok(existsSync(join(r, 'coverage')), 'a missing mount point is made in the repository (an empty folder)');
    assert.ok(
      !existsSync(join(ws.dir, 'reports/junit.xml')),
      'the scratch starts empty: nothing planted shows through',
    );
  } finally {
    await dropWorkspace(ws);
  }
});

test('read-only: a report at the top of the repository is refused, and nothing is left behind', async () => {
  const r = repo();
  const scratches = () => readdirSync(base).filter((n) => n.startsWith('autopilot-sandbox-')).length;
  const before = scratches();
  await assert.rejects(
    makeWorkspace(req(r, { mode: 'readonly', outputs: ['junit.xml'] })),
    (err: Error) =>
      err instanceof WorkspaceError && /junit\.xml/.test(err.message) && /sandbox\.workspace: copy/.test(err.message),
  );
  assert.equal(scratches(), before, 'the scratch folder is removed');
});

test('an output outside the workspace is a bug of the caller', async () => {
  const r = repo();
  await assert.rejects(makeWorkspace(req(r, { outputs: ['../elsewhere.xml'] })), /not inside/);
});

test('a folder the repository links to from its top level is bound read-only at its real path, unless it is hidden', async () => {
  const r = repo();
  const shared = mkdtempSync(join(base, 'shared-modules-'));
  put(shared, 'dep/index.js');
  rmSync(join(r, 'node_modules'), { recursive: true });
  symlinkSync(shared, join(r, 'node_modules'));
  const secret = mkdtempSync(join(base, 'user-state-'));
  symlinkSync(secret, join(r, 'state-link'));
  const ws = await makeWorkspace(req(r, { hide: [join(r, '.autopilot'), secret] }));
  try {
    assert.equal(readlinkSync(join(ws.dir, 'node_modules')), shared, 'the link is copied as a link');
    assert.deepEqual(
      ws.mounts.filter((m) => m.kind === 'ro-bind' && m.src !== join(r, '.git')),
      [{ kind: 'ro-bind', src: shared, dest: shared }],
      'the shared folder is bound; the hidden one is not',
    );
    assert.ok(
      ws.mounts.some((m) => m.kind === 'tmpfs' && m.dest === secret),
      'the hidden one stays hidden',
    );
  } finally {
    await dropWorkspace(ws);
  }
});

test('dependency folders: every real node_modules down to packages/x, none inside another, none hidden or linked', () => {
  const r = repo();
  put(r, 'packages/web/node_modules/react/index.js');
  put(r, 'packages/web/node_modules/react/node_modules/inner/index.js');
  put(r, 'apps/a/b/c/node_modules/too-deep/index.js');
  put(r, '.autopilot/node_modules/x/index.js');
  put(r, '.hidden/node_modules/x/index.js');
  mkdirSync(join(r, 'tools'));
  symlinkSync(join(r, 'node_modules'), join(r, 'tools', 'node_modules'));
  assert.deepEqual(dependencyFolders(r, ['.autopilot']), ['node_modules', 'packages/web/node_modules']);
});

test('copy with dependencies: copy: node_modules is copied with the rest, as a build that writes into it needs', async () => {
  const r = repo();
  const ws = await makeWorkspace(req(r, { dependencies: 'copy' }));
  try {
    assert.equal(readFileSync(join(ws.dir, 'node_modules/dep/index.js'), 'utf8'), 'node_modules/dep/index.js');
    assert.ok(!ws.mounts.some((m) => 'dest' in m && m.dest.includes('node_modules')), 'nothing bound over it');
  } finally {
    await dropWorkspace(ws);
  }
});
