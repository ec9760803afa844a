import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensurePrivateDir,
  MAX_SOCKET_PATH,
  repoStateId,
  userStateFor,
  userStateRoot,
} from '../../src/engine/repo/user-state.ts';

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
    for (const p of [s.keysDir, s.approvalTokenFile, s.anchorFile, s.daemonSocket, s.daemonSecretFile])
      assert.ok(p.startsWith(`${s.dir}/`));
    assert.ok(s.dir.startsWith('/x/autopilot/repos/repo-'));
  });
});

describe("the per-user state folder's socket and folders", () => {
  it("puts the daemon's socket beside the keys, or under the state root where that path is too long for a socket", () => {
    const short = userStateFor('/srv/repo', { XDG_STATE_HOME: '/x' });
    assert.equal(short.daemonSocket, join(short.dir, 'daemon.sock'));
    const deep = `/x/${'very-long-folder-name/'.repeat(3)}`;
    const long = userStateFor('/srv/repo', { XDG_STATE_HOME: deep });
    assert.ok(Buffer.byteLength(join(long.dir, 'daemon.sock')) > MAX_SOCKET_PATH);
    assert.match(long.daemonSocket, /\/autopilot\/s\/[0-9a-f]{16}\.sock$/);
    assert.ok(long.daemonSocket.startsWith(`${long.root}/s/`), 'under the state root, never /tmp');
    assert.ok(Buffer.byteLength(long.daemonSocket) <= MAX_SOCKET_PATH);
    assert.notEqual(userStateFor('/srv/other', { XDG_STATE_HOME: deep }).daemonSocket, long.daemonSocket);
  });

  it('makes every folder from the state root down 0700, and refuses a symlink on the way', () => {
    const base = mkdtempSync(join(tmpdir(), 'user-state-'));
    const s = userStateFor(join(base, 'repo'), { XDG_STATE_HOME: join(base, 'state') });
    mkdirSync(s.root, { recursive: true, mode: 0o755 });
    ensurePrivateDir(s, s.keysDir);
    for (const dir of [s.root, join(s.root, 'repos'), s.dir, s.keysDir])
      assert.equal(statSync(dir).mode & 0o777, 0o700, dir);

    const other = userStateFor(join(base, 'repo2'), { XDG_STATE_HOME: join(base, 'state') });
    symlinkSync(join(base, 'elsewhere'), other.dir);
    assert.throws(() => ensurePrivateDir(other, other.keysDir), /is not a folder \(a symlink\?\)/);
    assert.throws(() => ensurePrivateDir(s, join(base, 'outside')), /is not inside the per-user state/);
  });
});
