import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoStateId, userStateFor, userStateRoot } from '../../src/engine/repo/user-state.ts';

describe('the per-user state folder', () => {
  it('is $XDG_STATE_HOME/autopilot, else ~/.local/state/autopilot; a relative XDG_STATE_HOME is ignored', () => {
    assert.equal(userStateRoot({ XDG_STATE_HOME: '/x/state', HOME: '/home/a' }), '/x/state/autopilot');
    assert.equal(userStateRoot({ HOME: '/home/a' }), '/home/a/.local/state/autopilot');
    assert.equal(userStateRoot({ XDG_STATE_HOME: 'rel/state', HOME: '/home/a' }), '/home/a/.local/state/autopilot');
  });

  it('names a repository by its real path: a symlink to it is the same repository, another folder is not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'user-state-'));
    const link = join(tmpdir(), `user-state-link-${process.pid}`);
    symlinkSync(dir, link);
    assert.equal(repoStateId(link), repoStateId(dir));
    assert.notEqual(repoStateId(dir), repoStateId(mkdtempSync(join(tmpdir(), 'user-state-'))));
    assert.match(repoStateId(dir), /^user-state-[A-Za-z0-9]+-[0-9a-f]{16}$/);
  });

  it('keeps every part of a repository inside its own folder under the root', () => {
    const s = userStateFor('/srv/repo', { XDG_STATE_HOME: '/x' });
    for (const p of [s.keysDir, s.anchorFile, s.daemonSocket, s.daemonSecretFile]) assert.ok(p.startsWith(`${s.dir}/`));
    assert.ok(s.dir.startsWith('/x/autopilot/repos/repo-'));
  });
});
