/** @module Opening the way to the workspace through folders only their owner may enter (what root's commands need as nobody). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWay } from '../../src/adapters/bwrap/reach.ts';
import { removeOnExit } from '../helpers/remove-on-exit.ts';

// Not under /tmp: the sandbox has its own /tmp, so openWay leaves paths there alone.
const base = mkdtempSync('/var/tmp/autopilot-reach-');
removeOnExit(base);

test('every closed folder on the way is rebuilt open, outermost first, then made read-only', () => {
  chmodSync(base, 0o700);
  const inner = join(base, 'inner');
  mkdirSync(join(inner, 'repo'), { recursive: true });
  chmodSync(inner, 0o700);
  writeFileSync(join(base, 'file.txt'), 'x');
  mkdirSync(join(base, 'open-dir'));
  symlinkSync('open-dir', join(base, 'link'));
  const mounts = openWay([join(inner, 'repo')]);
  const byDest = (dest: string) => mounts.findIndex((m) => m.dest === dest && m.kind !== 'remount-ro');
  assert.deepEqual(mounts[byDest(base)], { kind: 'tmpfs', dest: base });
  assert.deepEqual(mounts[byDest(join(base, 'file.txt'))], {
    kind: 'ro-bind',
    src: join(base, 'file.txt'),
    dest: join(base, 'file.txt'),
  });
  assert.deepEqual(mounts[byDest(join(base, 'open-dir'))], {
    kind: 'ro-bind',
    src: join(base, 'open-dir'),
    dest: join(base, 'open-dir'),
  });
  assert.deepEqual(mounts[byDest(join(base, 'link'))], {
    kind: 'symlink',
    target: 'open-dir',
    dest: join(base, 'link'),
  });
  assert.deepEqual(
    mounts[byDest(inner)],
    { kind: 'dir', dest: inner },
    'a closed folder inside gets a mount point, then its own tmpfs',
  );
  const innerTmpfs = mounts.findIndex((m) => m.kind === 'tmpfs' && m.dest === inner);
  const outerRo = mounts.findIndex((m) => m.kind === 'remount-ro' && m.dest === base);
  assert.ok(
    byDest(inner) < outerRo && outerRo < innerTmpfs,
    'the mount point is made before the outer tmpfs turns read-only',
  );
  assert.deepEqual(mounts[innerTmpfs + 1], { kind: 'ro-bind', src: join(inner, 'repo'), dest: join(inner, 'repo') });
  assert.deepEqual(mounts.at(-1), { kind: 'remount-ro', dest: inner });
});

test('open folders, and paths under the private /tmp of the sandbox, need nothing', () => {
  const open = mkdtempSync(join(base, 'open-'));
  chmodSync(base, 0o755);
  chmodSync(open, 0o755);
  mkdirSync(join(open, 'repo'));
  assert.deepEqual(openWay([join(open, 'repo'), '/tmp/some/where', '/nonexistent/path']), []);
});
