/**
 * @module The GitHub adapter against a server that holds every request and response to GitHub's OpenAPI description:
 * a wrong path, parameter, body field or type in what the adapter sends fails here, as does a fixture the server
 * answers with that GitHub's description would not allow.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHubForge } from '../../src/adapters/github/index.ts';
import { ForgeError } from '../../src/ports/forge.ts';
import { commentMarker } from '../../src/core/forge.ts';
import { startGitHubServer, type GitHubTestServer } from '../helpers/github-server.ts';

const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe('GitHub adapter, against the OpenAPI-validating server', () => {
  let dir: string;
  let server: GitHubTestServer;
  let forge: GitHubForge;
  let sha: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-adapter-'));
    const bare = join(dir, 'remote.git');
    git(dir, ['init', '-q', '--bare', '-b', 'main', bare]);
    const work = join(dir, 'work');
    git(dir, ['init', '-q', '-b', 'task/T-1', work]);
    writeFileSync(join(work, 'a.txt'), 'a\n');
    git(work, ['add', '.']);
    git(work, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'a']);
    git(work, ['push', '-q', bare, 'task/T-1']);
    sha = git(work, ['rev-parse', 'HEAD']);
    server = await startGitHubServer({ owner: 'acme', repo: 'widgets', bare });
    forge = new GitHubForge({
      kind: 'github',
      repo: { owner: 'acme', name: 'widgets' },
      apiUrl: server.url,
      token: 'test-token-123',
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens a pull request, finds it again by its head branch, and updates it', async () => {
    assert.equal(await forge.defaultBranch(), 'main');
    assert.equal(await forge.findOpenPull('task/T-1'), null);
    const pr = await forge.createPull({ title: 'T-1', body: 'first', head: 'task/T-1', base: 'main' });
    assert.equal(pr.number, 1);
    assert.equal(pr.headSha, sha);
    assert.equal(pr.headRef, 'task/T-1');
    const found = await forge.findOpenPull('task/T-1');
    assert.equal(found?.number, 1);
    const updated = await forge.updatePull(1, { title: 'T-1: widgets', body: 'second' });
    assert.equal(updated.url, pr.url);
    assert.equal(server.pulls[0]?.body, 'second');
    assert.equal((await forge.getPull(1)).baseRef, 'main');
    assert.deepEqual(server.mismatches, []);
    assert.ok(
      server.auth.every((a) => a === 'token test-token-123'),
      server.auth.join(','),
    );
  });

  it('asks reviewers and teams on the pull request, and reads back who is asked', async () => {
    assert.deepEqual(await forge.requestedReviewers(1), { users: [], teams: [] });
    await forge.requestReviewers(1, { users: ['octocat', 'hubot'], teams: ['justice-league'] });
    assert.deepEqual(await forge.requestedReviewers(1), { users: ['octocat', 'hubot'], teams: ['justice-league'] });
    assert.deepEqual(server.pulls[0]?.reviewers, ['octocat', 'hubot']);
    // A login GitHub will not ask (not a collaborator) is a refusal that no retry fixes.
    await assert.rejects(forge.requestReviewers(1, { users: ['ghost'], teams: [] }), (err: unknown) => {
      assert.ok(err instanceof ForgeError);
      assert.equal(err.status, 422);
      assert.equal(err.retryable, false);
      assert.match(err.message, /only be requested from collaborators/);
      return true;
    });
    assert.deepEqual(server.duplicates, []);
    assert.deepEqual(server.mismatches, []);
  });

  it('posts one comment, finds it by its marker, and updates it', async () => {
    const marker = commentMarker('T-1');
    assert.equal(await forge.findComment(1, marker), null);
    const c = await forge.createComment(1, `${marker}\nhello`);
    const again = await forge.findComment(1, marker);
    assert.equal(again?.id, c.id);
    await forge.updateComment(1, c.id, `${marker}\nupdated`);
    assert.equal(server.comments.length, 1);
    assert.equal(server.comments[0]?.body, `${marker}\nupdated`);
    assert.deepEqual(server.mismatches, []);
  });

  it('sets a commit status, and reads check runs and statuses as one list of checks', async () => {
    await forge.setStatus(sha, { state: 'success', context: 'autopilot/evidence', description: 'ok' });
    await forge.setStatus(sha, { state: 'failure', context: 'lint', description: 'red' });
    server.setCheckRuns(sha, [
      { name: 'build', status: 'completed', conclusion: 'success' },
      { name: 'e2e', status: 'completed', conclusion: 'timed_out' },
      { name: 'slow', status: 'in_progress' },
    ]);
    const checks = await forge.checks(sha);
    const by = Object.fromEntries(checks.map((c) => [c.name, `${c.kind}:${c.state}:${c.detail}`]));
    assert.deepEqual(by, {
      build: 'check_run:success:success',
      e2e: 'check_run:failure:timed_out',
      slow: 'check_run:pending:in_progress',
      'autopilot/evidence': 'status:success:success',
      lint: 'status:failure:failure',
    });
    assert.deepEqual(server.mismatches, []);
  });

  it('turns a refusal into a ForgeError with the status and GitHub message, never the token', async () => {
    await assert.rejects(
      forge.createPull({ title: 'x', body: 'y', head: 'no-such-branch', base: 'main' }),
      (err: unknown) => {
        assert.ok(err instanceof ForgeError);
        assert.equal(err.status, 422);
        assert.equal(err.retryable, false);
        assert.match(err.message, /Validation Failed/);
        assert.doesNotMatch(err.message, /test-token-123/);
        return true;
      },
    );
    const other = new GitHubForge({
      kind: 'github',
      repo: { owner: 'acme', name: 'nope' },
      apiUrl: server.url,
      token: 't',
    });
    await assert.rejects(other.defaultBranch(), (err: unknown) => err instanceof ForgeError && err.status === 404);
  });

  it('a forge that does not answer, or refuses the connection, is no answer (status 0), worth another try', async () => {
    const silent = createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as AddressInfo).port;
    const spec = { kind: 'github' as const, repo: { owner: 'acme', name: 'widgets' }, token: 't' };
    try {
      const hung = new GitHubForge({ ...spec, apiUrl: `http://127.0.0.1:${port}` }, { requestTimeoutMs: 200 });
      await assert.rejects(hung.pullMerge(1), (err: unknown) => {
        assert.ok(err instanceof ForgeError);
        assert.deepEqual([err.status, err.retryable], [0, true]);
        assert.match(err.message, /GitHub reading the pull request failed \(no answer\)/);
        return true;
      });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
    const refused = new GitHubForge({ ...spec, apiUrl: `http://127.0.0.1:${port}` });
    await assert.rejects(refused.deployments(sha), (err: unknown) => {
      assert.ok(err instanceof ForgeError);
      assert.deepEqual([err.status, err.retryable], [0, true]);
      assert.match(err.message, /\(no answer\): .*ECONNREFUSED/);
      return true;
    });
  });

  it('says a request GitHub does not document is a mismatch (the server is not lenient)', async () => {
    const before = server.mismatches.length;
    const r = await fetch(`${server.url}/repos/acme/widgets/pulls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 't', head: 'task/T-1', base: 'main', labels: ['x'] }),
    });
    assert.equal(r.status, 422);
    const r2 = await fetch(`${server.url}/repos/acme/widgets/pulls/abc`);
    assert.equal(r2.status, 422);
    const r3 = await fetch(`${server.url}/repos/acme/widgets/pullz`);
    assert.equal(r3.status, 404);
    const said = server.mismatches.slice(before);
    assert.equal(said.length, 3, said.join('\n'));
    assert.match(said[0]!, /body field labels is not documented/);
    assert.match(said[1]!, /pull_number=abc/);
    assert.match(said[2]!, /no such operation/);
    server.mismatches.splice(before);
  });
});
