/**
 * @module The check of git's hooks that every move runs, in one process, as a long-lived server runs it: what it
 * learnt of the hooks folder and the hook files is used again only while the files that decide them are unchanged.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkGitHooks, GIT_HOOK_NAMES, recordGitHooks } from '../../src/engine/repo/git-hooks.ts';
import { tempDir } from '../helpers/ledger.ts';

const tmp = tempDir('autopilot-git-hooks-');
after(() => tmp.remove());
const repo = join(tmp.dir, 'repo');
const env = { ...process.env, XDG_STATE_HOME: join(tmp.dir, 'state') };
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
// Later than the racy window of every file written here: the check may use what it learnt of them.
const later = () => Date.now() + 60_000;

describe("git's hooks, checked move after move in one process", () => {
  it('sees a hook rewritten to the same size, made non-executable, removed, and core.hooksPath moved and back', async () => {
    mkdirSync(repo);
    git('init', '-q');
    const hooks = join(repo, '.git', 'hooks');
    for (const name of GIT_HOOK_NAMES) {
      writeFileSync(join(hooks, name), `#!/bin/sh\n# autopilot ${name}\nexit 0\n`);
      chmodSync(join(hooks, name), 0o755);
    }
    assert.ok(await recordGitHooks(repo, env));
    // Twice: the second check uses what the first learnt.
    for (let i = 0; i < 2; i++)
      assert.deepEqual(await checkGitHooks(repo, env, later()), { recorded: true, problems: [] });

    const pre = join(hooks, 'pre-commit');
    const before = readFileSync(pre, 'utf8');
    writeFileSync(pre, before.replace('exit 0', 'true  '));
    assert.equal(readFileSync(pre).length, Buffer.byteLength(before), 'the same size');
    assert.deepEqual((await checkGitHooks(repo, env, later())).problems, [
      'pre-commit is not the hook Autopilot installed',
    ]);
    writeFileSync(pre, before);
    assert.deepEqual((await checkGitHooks(repo, env, later())).problems, []);
    chmodSync(pre, 0o644);
    assert.deepEqual((await checkGitHooks(repo, env, later())).problems, ['pre-commit is no longer executable']);
    chmodSync(pre, 0o755);

    git('config', 'core.hooksPath', '/dev/null');
    const moved = await checkGitHooks(repo, env, later());
    assert.equal(moved.problems.length, 1, moved.problems.join('; '));
    assert.match(moved.problems[0]!, /core\.hooksPath/);
    git('config', '--unset', 'core.hooksPath');
    assert.deepEqual((await checkGitHooks(repo, env, later())).problems, []);

    execFileSync('rm', [join(hooks, 'commit-msg')]);
    assert.deepEqual((await checkGitHooks(repo, env, later())).problems, ['commit-msg was removed']);
  });

  it('reads files changed a moment ago again, whatever their identity', async () => {
    const pre = join(repo, '.git', 'hooks', 'pre-push');
    const before = readFileSync(pre, 'utf8');
    // Checked at the real time: the file written just now is read each time.
    writeFileSync(pre, before.replace('exit 0', 'true  '));
    assert.match((await checkGitHooks(repo, env)).problems.join('; '), /pre-push is not the hook/);
    writeFileSync(pre, before);
    assert.doesNotMatch((await checkGitHooks(repo, env)).problems.join('; '), /pre-push/);
  });
});
