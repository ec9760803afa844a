/** @module The bubblewrap command line: which walls each option puts up, and in which order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bwrapArgv, SANDBOX_UID, type SandboxSpec } from '../../src/adapters/bwrap/args.ts';

const base: SandboxSpec = {
  tools: { bwrap: '/usr/bin/bwrap', prlimit: '/usr/bin/prlimit', setpriv: '/usr/bin/setpriv' },
  privileged: false,
  mounts: [{ kind: 'bind', src: '/scratch/ws', dest: '/home/me/repo' }],
  cwd: '/home/me/repo',
  env: { PATH: '/usr/bin:/bin', HOME: '/home/me' },
  network: false,
  memoryMb: 512,
  maxProcesses: 100,
  argv: ['node', '--test'],
};

/** The options before the `--` that ends bwrap's own. */
function bwrapOptions(argv: readonly string[]): string[] {
  return argv.slice(1, argv.indexOf('--'));
}

function pairs(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a === flag) out.push(argv[i + 1]!);
  });
  return out;
}

test('the network is cut off unless the command asks for it', () => {
  assert.ok(bwrapOptions(bwrapArgv(base)).includes('--unshare-net'));
  assert.ok(!bwrapOptions(bwrapArgv({ ...base, network: true })).includes('--unshare-net'));
});

test('the resolver file under /run is bound only when the network is on', () => {
  const off = bwrapArgv({ ...base, resolvConf: '/run/systemd/resolve/stub-resolv.conf' });
  assert.ok(!off.includes('/run/systemd/resolve/stub-resolv.conf'));
  const on = bwrapOptions(bwrapArgv({ ...base, network: true, resolvConf: '/run/systemd/resolve/stub-resolv.conf' }));
  const i = on.indexOf('/run/systemd/resolve/stub-resolv.conf');
  assert.equal(on[i - 1], '--ro-bind');
  assert.ok(i > on.lastIndexOf('/run'), 'bound after /run is hidden, or the tmpfs would cover it');
});

test('the environment is cleared, then exactly the given variables are set', () => {
  const opts = bwrapOptions(bwrapArgv(base));
  const clear = opts.indexOf('--clearenv');
  assert.ok(clear >= 0);
  assert.deepEqual(pairs(opts, '--setenv').sort(), ['HOME', 'PATH']);
  assert.ok(opts.indexOf('--setenv') > clear, 'variables are set after the environment is cleared');
  const i = opts.indexOf('PATH');
  assert.equal(opts[i + 1], '/usr/bin:/bin');
});

test('the root is read-only and /tmp, /run, /dev, /proc are private, before the workspace is laid over them', () => {
  const opts = bwrapOptions(
    bwrapArgv({
      ...base,
      cwd: '/tmp/e2e/repo',
      mounts: [{ kind: 'bind', src: '/tmp/scratch/ws', dest: '/tmp/e2e/repo' }],
    }),
  );
  assert.deepEqual(opts.slice(0, 3), ['--ro-bind', '/', '/']);
  for (const [flag, dest] of [
    ['--tmpfs', '/tmp'],
    ['--tmpfs', '/run'],
    ['--dev', '/dev'],
    ['--proc', '/proc'],
  ] as const) {
    const i = opts.indexOf(dest);
    assert.equal(opts[i - 1], flag, `${flag} ${dest}`);
  }
  // A bind target inside the read-only root must sit under a tmpfs: /tmp comes first.
  assert.ok(opts.indexOf('/tmp/e2e/repo') > opts.indexOf('/tmp'));
  assert.equal(pairs(opts, '--size')[0], String(512 * 1024 * 1024), '/tmp is as large as the memory limit');
  assert.equal(pairs(opts, '--chdir')[0], '/tmp/e2e/repo');
  // bwrap would make /tmp/e2e itself, private (0700): it is made first, open, so that nobody can get through.
  const dir = opts.indexOf('/tmp/e2e');
  assert.deepEqual(opts.slice(dir - 3, dir + 1), ['--perms', '0755', '--dir', '/tmp/e2e']);
  assert.ok(dir < opts.indexOf('/tmp/e2e/repo'));
});

test('opening a closed folder: an open tmpfs, entries bound back, symlinks remade, then read-only', () => {
  const opts = bwrapOptions(
    bwrapArgv({
      ...base,
      mounts: [
        { kind: 'tmpfs', dest: '/root' },
        { kind: 'ro-bind', src: '/root/.gitconfig', dest: '/root/.gitconfig' },
        { kind: 'symlink', target: '.nvm/bin', dest: '/root/bin' },
        { kind: 'dir', dest: '/root/secret' },
        { kind: 'remount-ro', dest: '/root' },
      ],
    }),
  );
  const i = opts.indexOf('/root');
  assert.deepEqual(opts.slice(i - 3, i + 13), [
    '--perms',
    '0755',
    '--tmpfs',
    '/root',
    '--ro-bind',
    '/root/.gitconfig',
    '/root/.gitconfig',
    '--symlink',
    '.nvm/bin',
    '/root/bin',
    '--perms',
    '0755',
    '--dir',
    '/root/secret',
    '--remount-ro',
    '/root',
  ]);
  assert.equal(opts[i + 13], '--chdir');
});

test('a hiding tmpfs is made read-only', () => {
  const opts = bwrapOptions(bwrapArgv({ ...base, mounts: [{ kind: 'tmpfs', dest: '/r/.autopilot', readonly: true }] }));
  const i = opts.indexOf('--tmpfs', opts.indexOf('/run'));
  assert.deepEqual(opts.slice(i, i + 4), ['--tmpfs', '/r/.autopilot', '--remount-ro', '/r/.autopilot']);
});

test('the process tree lives in its own PID namespace and dies with bwrap', () => {
  const opts = bwrapOptions(bwrapArgv(base));
  for (const flag of ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session'])
    assert.ok(opts.includes(flag), flag);
});

test('limits: processes and data memory through prlimit, then the command', () => {
  const argv = bwrapArgv(base);
  const i = argv.indexOf('--');
  assert.deepEqual(argv.slice(i, i + 5), [
    '--',
    '/usr/bin/prlimit',
    '--nproc=100',
    `--data=${512 * 1024 * 1024}`,
    '--',
  ]);
  assert.deepEqual(argv.slice(-2), ['node', '--test']);
});

test('not root: a user namespace, no capabilities to hand out, no setpriv', () => {
  const argv = bwrapArgv(base);
  assert.ok(bwrapOptions(argv).includes('--unshare-user'));
  assert.ok(!argv.includes('--cap-add'));
  assert.ok(!argv.includes('/usr/bin/setpriv'));
});

test('root: no user namespace, capabilities cut down, the command dropped to nobody with setpriv', () => {
  const argv = bwrapArgv({ ...base, privileged: true });
  const opts = bwrapOptions(argv);
  assert.ok(!opts.includes('--unshare-user'), 'a user namespace would map nobody nowhere');
  assert.equal(pairs(opts, '--cap-drop')[0], 'ALL');
  assert.deepEqual(pairs(opts, '--cap-add').sort(), [
    'CAP_DAC_OVERRIDE',
    'CAP_DAC_READ_SEARCH',
    'CAP_FOWNER',
    'CAP_SETGID',
    'CAP_SETPCAP',
    'CAP_SETUID',
  ]);
  const s = argv.indexOf('/usr/bin/setpriv');
  assert.ok(s > argv.indexOf('/usr/bin/prlimit'), 'limits are set first, so that they hold for nobody');
  const setpriv = argv.slice(s, argv.indexOf('--', s) + 1);
  assert.ok(setpriv.includes(`--reuid=${SANDBOX_UID}`));
  assert.ok(setpriv.includes(`--regid=${SANDBOX_UID}`));
  assert.ok(setpriv.includes('--no-new-privs'));
  assert.ok(setpriv.includes('--bounding-set=-all,+dac_override,+dac_read_search,+fowner'));
  assert.deepEqual(argv.slice(-2), ['node', '--test']);
  assert.throws(() => bwrapArgv({ ...base, privileged: true, tools: { bwrap: 'b', prlimit: 'p' } }), /setpriv/);
});
