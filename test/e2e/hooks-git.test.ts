/**
 * E2E: git's hooks as `autopilot init` writes them, in a real repository with
 * a local bare remote: a commit is refused in SPEC and recorded, goes through
 * in PR with the trailers `Autopilot-Ledger: <hash of the ledger head>` and
 * `Autopilot-Entry: <its seq> <key id>`; a push
 * is refused outside PR and goes through in PR; without a task, commits go
 * through with a note.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { git, makeRepo, tempDir } from './helpers.ts';

/** git as a person runs it, with the hooks' output; the hooks answer by themselves (no daemon). */
function gitRun(cwd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'E2E',
    GIT_AUTHOR_EMAIL: 'e2e@example.com',
    GIT_COMMITTER_NAME: 'E2E',
    GIT_COMMITTER_EMAIL: 'e2e@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
    AUTOPILOT_HOOK_DAEMON: '0',
  };
  for (const k of Object.keys(env))
    if ((k.startsWith('AUTOPILOT_') && k !== 'AUTOPILOT_HOOK_DAEMON') || k.startsWith('NODE_TEST')) delete env[k];
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('git hooks', () => {
  it('commits only in PR with the ledger trailer, pushes only in PR, commits outside a task with a note', async () => {
    const repo = await makeRepo({ urgent: true });
    const remote = tempDir('remote');
    git(remote, ['init', '-q', '--bare', '-b', 'main']);
    git(repo.dir, ['remote', 'add', 'origin', remote]);
    await repo.ok(['init']);
    for (const name of ['pre-commit', 'commit-msg', 'pre-push']) {
      const path = repo.path('.git', 'hooks', name);
      assert.ok(existsSync(path), name);
      assert.notEqual(statSync(path).mode & 0o111, 0, `${name} is executable`);
    }

    // No task: the commit goes through, with a note; the ledger is empty, so no trailer yet.
    gitRun(repo.dir, ['add', '-A']);
    const outside = gitRun(repo.dir, ['commit', '-q', '-m', 'wire the agents']);
    assert.equal(outside.code, 0, outside.stderr);
    assert.match(outside.stderr, /no task is active in this repository, so this commit is not checked against a phase/);
    assert.equal(gitRun(repo.dir, ['push', '-q', 'origin', 'main']).code, 0);

    await repo.driveTo('T-1', 'SPEC');
    repo.write('notes.txt', 'a change made in SPEC\n');
    gitRun(repo.dir, ['add', 'notes.txt']);
    const head = repo.head()!.seq;
    const refused = gitRun(repo.dir, ['commit', '-q', '-m', 'too early']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /autopilot: commit refused: task T-1 is in SPEC\. git commit is vcs:commit, allowed only in PR; finish SPEC and advance first/,
    );
    const [entry] = repo.ledger('T-1').filter((e) => e.seq > head);
    assert.deepEqual(
      [entry?.kind, entry?.actor, entry?.fromPhase, entry?.data['decision']],
      ['tool_blocked', 'hook:git:pre-commit', 'SPEC', 'deny'],
    );
    assert.match(refused.stderr, new RegExp(`recorded in the ledger, entry ${entry?.seq}`));
    assert.equal(gitRun(repo.dir, ['log', '-1', '--format=%s']).stdout.trim(), 'wire the agents');
    gitRun(repo.dir, ['reset', '-q', 'notes.txt']);

    const pushRefused = gitRun(repo.dir, ['push', 'origin', 'HEAD:refs/heads/early']);
    assert.notEqual(pushRefused.code, 0);
    assert.match(
      pushRefused.stderr,
      /autopilot: push refused: task T-1 is in SPEC\. git push is vcs:push, allowed only in PR/,
    );
    assert.equal(
      gitRun(remote, ['rev-parse', '--verify', '-q', 'refs/heads/early']).code,
      1,
      'nothing reached the remote',
    );

    await repo.driveTo('T-1', 'PR');
    gitRun(repo.dir, ['add', '-A']);
    const committed = gitRun(repo.dir, ['commit', '-q', '-m', 'T-1: wordCount']);
    assert.equal(committed.code, 0, committed.stderr);
    const trailer = gitRun(repo.dir, [
      'log',
      '-1',
      '--format=%(trailers:key=Autopilot-Ledger,valueonly)',
    ]).stdout.trim();
    assert.match(trailer, /^[0-9a-f]{64}$/);
    assert.equal(trailer, repo.head()!.hash, 'the trailer is the hash of the ledger head');
    // Which entry it is and whose key signed it, so that `ledger verify` holds this store to its own commits only.
    const named = gitRun(repo.dir, ['log', '-1', '--format=%(trailers:key=Autopilot-Entry,valueonly)']).stdout.trim();
    assert.equal(named, `${repo.head()!.seq} ${repo.ledger().at(-1)!.keyId}`);
    const pushed = gitRun(repo.dir, ['push', '-q', 'origin', 'main']);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal(
      gitRun(remote, ['rev-parse', 'main']).stdout.trim(),
      gitRun(repo.dir, ['rev-parse', 'HEAD']).stdout.trim(),
    );
    assert.match(readFileSync(join(repo.dir, '.git', 'hooks', 'commit-msg'), 'utf8'), /hook git commit-msg/);
  });
});
