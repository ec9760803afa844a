/**
 * @module MONITOR's deployments: the verdict on a commit's deployments by environment, the GitHub adapter reading them
 * from the test server that holds every request and answer to GitHub's OpenAPI description, each forge's read of
 * whether a pull request is merged and with which commit (a real merge in a bare repository), and the config that asks
 * for them, refused with the exact key where it cannot work (no forge, Gitea, a wrong phase to go back to).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { DEPLOYMENT_STATUS, parseConfig } from '../../src/core/config.ts';
import { ErrorCode } from '../../src/core/errors.ts';
import { judgeDeployments } from '../../src/core/forge.ts';
import type { ForgeDeployment } from '../../src/ports/forge.ts';
import { openGitHub } from '../../src/adapters/github/index.ts';
import { startGitHubServer, type GitHubTestServer } from '../helpers/github-server.ts';
import { openGitLab } from '../../src/adapters/gitlab/index.ts';
import { openGitea } from '../../src/adapters/gitea/index.ts';
import { startGitLabServer, type GitLabTestServer } from '../helpers/gitlab-server.ts';
import { startGiteaServer } from '../helpers/gitea-server.ts';

const dep = (id: number, environment: string, state: ForgeDeployment['state'], detail: string): ForgeDeployment => ({
  id,
  environment,
  state,
  detail,
  url: null,
});

describe('judgeDeployments', () => {
  it('judges each environment by its newest deployment, newest first', () => {
    const list = [dep(3, 'production', 'success', 'success'), dep(2, 'production', 'failure', 'failure')];
    assert.deepEqual(judgeDeployments(list, ['production'], false), { healthy: true, waiting: [], unhealthy: '' });
    const broke = [dep(4, 'production', 'failure', 'error'), ...list];
    assert.deepEqual(judgeDeployments(broke, [], false), {
      healthy: false,
      waiting: [],
      unhealthy: 'production (error)',
    });
  });

  it('waits for a running deployment and a named environment without one, and fails them when the wait is over', () => {
    const list = [dep(1, 'staging', 'pending', 'in_progress')];
    assert.deepEqual(judgeDeployments(list, ['staging', 'production'], false).waiting, ['staging', 'production']);
    assert.deepEqual(judgeDeployments(list, ['staging', 'production'], true), {
      healthy: false,
      waiting: ['staging', 'production'],
      unhealthy: 'staging (still in_progress when the wait ended), production (no deployment)',
    });
  });

  it('never passes a commit that went nowhere', () => {
    assert.equal(judgeDeployments([], [], false).healthy, false);
    assert.deepEqual(judgeDeployments([], [], true), {
      healthy: false,
      waiting: [],
      unhealthy: 'no deployment of the commit',
    });
  });
});

describe('the GitHub adapter reads deployments', () => {
  let server: GitHubTestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ap-deploy-'));
    execFileSync('git', ['init', '-q', '--bare', join(dir, 'r.git')]);
    server = await startGitHubServer({ owner: 'acme', repo: 'widgets', bare: join(dir, 'r.git') });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each deployment of the commit with its newest status, newest first, as documented', async () => {
    const sha = 'a'.repeat(40);
    server.setDeployments(sha, [
      { environment: 'staging', statuses: [{ state: 'in_progress' }, { state: 'success' }] },
      { environment: 'production', statuses: [{ state: 'queued' }, { state: 'error' }] },
      { environment: 'preview', statuses: [] },
    ]);
    server.setDeployments('b'.repeat(40), [{ environment: 'production', statuses: [{ state: 'success' }] }]);
    const forge = openGitHub({
      kind: 'github',
      repo: { owner: 'acme', name: 'widgets' },
      apiUrl: server.url,
      token: 't',
    });
    const got = await forge.deployments!(sha);
    assert.deepEqual(
      got.map((d) => [d.environment, d.state, d.detail, d.url]),
      [
        ['preview', 'pending', 'pending', null],
        ['production', 'failure', 'error', 'https://production.widgets.test/'],
        ['staging', 'success', 'success', 'https://staging.widgets.test/'],
      ],
    );
    assert.deepEqual(server.mismatches, []);
  });
});

describe('the GitLab adapter reads deployments', () => {
  let server: GitLabTestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ap-deploy-'));
    execFileSync('git', ['init', '-q', '--bare', join(dir, 'r.git')]);
    server = await startGitLabServer({ owner: 'acme/tools', repo: 'widgets', bare: join(dir, 'r.git') });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the commit's deployments among the project's newest, newest first, as documented", async () => {
    const sha = 'c'.repeat(40);
    server.addDeployments(sha, [
      { environment: 'staging', status: 'success' },
      { environment: 'production', status: 'running' },
    ]);
    server.addDeployments('d'.repeat(40), [{ environment: 'production', status: 'success' }]);
    server.addDeployments(sha, [{ environment: 'production', status: 'failed' }]);
    const forge = openGitLab({
      kind: 'gitlab',
      repo: { owner: 'acme/tools', name: 'widgets' },
      apiUrl: server.url,
      token: 't',
    });
    const got = await forge.deployments!(sha);
    assert.deepEqual(
      got.map((d) => [d.environment, d.state, d.detail, d.url]),
      [
        ['production', 'failure', 'failed', 'https://production.gitlab-app.test'],
        ['production', 'pending', 'running', 'https://production.gitlab-app.test'],
        ['staging', 'success', 'success', 'https://staging.gitlab-app.test'],
      ],
    );
    assert.deepEqual(judgeDeployments(got, ['production', 'staging'], false).unhealthy, 'production (failed)');
    assert.deepEqual(server.mismatches, []);
  });

  it('Gitea has no deployments to ask', () => {
    const gitea = openGitea({
      kind: 'gitea',
      repo: { owner: 'a', name: 'b' },
      apiUrl: 'http://127.0.0.1:9',
      token: 't',
    });
    assert.equal(gitea.deployments, undefined);
  });
});

/** A bare repository whose main is one commit behind the task branch, as a forge has it before the merge. */
function bareWithTaskBranch(dir: string): { bare: string; head: string; main: string } {
  const bare = join(dir, 'r.git');
  const work = join(dir, 'work');
  const g = (cwd: string, args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd,
      encoding: 'utf8',
    }).trim();
  g(dir, ['init', '-q', '--bare', '-b', 'main', bare]);
  g(dir, ['init', '-q', '-b', 'main', work]);
  writeFileSync(join(work, 'a.txt'), 'a\n');
  g(work, ['add', '.']);
  g(work, ['commit', '-qm', 'a']);
  const main = g(work, ['rev-parse', 'HEAD']);
  g(work, ['switch', '-q', '-c', 'task/T-1']);
  writeFileSync(join(work, 'b.txt'), 'b\n');
  g(work, ['add', '.']);
  g(work, ['commit', '-qm', 'b']);
  g(work, ['push', '-q', bare, 'main', 'task/T-1']);
  return { bare, head: g(work, ['rev-parse', 'HEAD']), main };
}

const parents = (bare: string, sha: string) =>
  execFileSync('git', ['--git-dir', bare, 'rev-list', '--parents', '-n', '1', sha], { encoding: 'utf8' })
    .trim()
    .split(' ')
    .slice(1);

describe("each forge reads whether the pull request is merged, and its merge's commit", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const spec = (kind: 'github' | 'gitlab' | 'gitea', url: string, owner = 'acme') => ({
    kind,
    repo: { owner, name: 'widgets' },
    apiUrl: url,
    token: 't',
  });
  const fixture = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ap-merge-'));
    dirs.push(dir);
    return bareWithTaskBranch(dir);
  };
  const pr = { title: 'T-1', body: 'x', head: 'task/T-1', base: 'main' };

  it('GitHub: open, then merged with the merge commit (pulls.get as documented); or closed without a merge', async () => {
    const { bare, head, main } = fixture();
    const server = await startGitHubServer({ owner: 'acme', repo: 'widgets', bare });
    try {
      const forge = openGitHub(spec('github', server.url));
      await forge.createPull(pr);
      await forge.createPull({ ...pr, head: 'main', base: 'task/T-1' });
      assert.deepEqual(await forge.pullMerge(1), {
        number: 1,
        url: 'https://github.test/acme/widgets/pull/1',
        state: 'open',
        mergeCommitSha: null,
      });
      const merge = server.mergePull(1);
      assert.deepEqual(parents(bare, merge), [main, head]);
      assert.deepEqual(await forge.pullMerge(1), {
        number: 1,
        url: 'https://github.test/acme/widgets/pull/1',
        state: 'merged',
        mergeCommitSha: merge,
      });
      server.closePull(2);
      assert.equal((await forge.pullMerge(2)).state, 'closed');
      assert.equal((await forge.pullMerge(2)).mergeCommitSha, null);
      assert.deepEqual(server.mismatches, []);
      assert.ok(server.calls.includes('GET /repos/{owner}/{repo}/pulls/{pull_number}'));
    } finally {
      await server.close();
    }
  });

  it('GitLab: merge_commit_sha of a merge, squash_commit_sha of a squash; closed without a merge', async () => {
    const { bare, head, main } = fixture();
    const server = await startGitLabServer({ owner: 'acme/tools', repo: 'widgets', bare });
    try {
      const forge = openGitLab(spec('gitlab', server.url, 'acme/tools'));
      await forge.createPull(pr);
      assert.deepEqual([(await forge.pullMerge(1)).state, (await forge.pullMerge(1)).mergeCommitSha], ['open', null]);
      const squash = server.mergePull(1, { squash: true });
      assert.deepEqual(parents(bare, squash), [main]);
      assert.notEqual(squash, head);
      assert.deepEqual(await forge.pullMerge(1), {
        number: 1,
        url: `${server.url}/acme/tools/widgets/-/merge_requests/1`,
        state: 'merged',
        mergeCommitSha: squash,
      });
      await forge.createPull({ ...pr, head: 'main', base: 'task/T-1' });
      server.closePull(2);
      assert.deepEqual([(await forge.pullMerge(2)).state, (await forge.pullMerge(2)).mergeCommitSha], ['closed', null]);
      assert.deepEqual(server.mismatches, []);
    } finally {
      await server.close();
    }
  });

  it('Gitea: merged and merge_commit_sha; closed without a merge', async () => {
    const { bare, head, main } = fixture();
    const server = await startGiteaServer({ owner: 'acme', repo: 'widgets', bare });
    try {
      const forge = openGitea(spec('gitea', server.url));
      await forge.createPull(pr);
      assert.deepEqual([(await forge.pullMerge(1)).state, (await forge.pullMerge(1)).mergeCommitSha], ['open', null]);
      const merge = server.mergePull(1);
      assert.deepEqual(parents(bare, merge), [main, head]);
      assert.deepEqual(await forge.pullMerge(1), {
        number: 1,
        url: `${server.url}/acme/widgets/pulls/1`,
        state: 'merged',
        mergeCommitSha: merge,
      });
      await forge.createPull({ ...pr, head: 'main', base: 'task/T-1' });
      server.closePull(2);
      assert.deepEqual([(await forge.pullMerge(2)).state, (await forge.pullMerge(2)).mergeCommitSha], ['closed', null]);
      assert.deepEqual(server.mismatches, []);
    } finally {
      await server.close();
    }
  });
});

describe('monitor.deployments and monitor.backtrackTo in the config', () => {
  const key = (raw: unknown) => {
    const r = parseConfig(raw);
    assert.equal(r.ok, false);
    if (r.ok) throw new Error('unreachable');
    assert.equal(r.error.code, ErrorCode.CONFIG_INVALID);
    return String(r.error.details['key']);
  };

  it('refuses deployments without a forge that has them, and a phase to go back to that is not before MONITOR', () => {
    assert.equal(key({ monitor: { deployments: {} } }), 'monitor.deployments');
    assert.equal(key({ pr: { mode: 'git' }, monitor: { deployments: {} } }), 'monitor.deployments');
    const gitea = parseConfig({ pr: { mode: 'gitea' }, monitor: { deployments: {} } });
    assert.ok(!gitea.ok && /Gitea and Forgejo have no deployments API/.test(gitea.error.message));
    assert.equal(
      key({ pr: { mode: 'github' }, monitor: { deployments: { within: '7h' } } }),
      'monitor.deployments.within',
    );
    assert.equal(key({ monitor: { backtrackTo: 'NOWHERE' } }), 'monitor.backtrackTo');
    assert.equal(key({ monitor: { backtrackTo: 'MONITOR' } }), 'monitor.backtrackTo');
  });

  it('asks MONITOR for a healthy deployment status when deployments are read', () => {
    const r = parseConfig({ pr: { mode: 'github' }, monitor: { deployments: { environments: ['production'] } } });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.value.monitor?.deployments, { environments: ['production'], within: '10m' });
    const rule = r.value.evidence['MONITOR']?.find((x) => x.name === DEPLOYMENT_STATUS);
    assert.deepEqual(
      rule?.assert.map((a) => [a.path, a.value]),
      [
        ['unhealthy', ''],
        ['healthy', true],
      ],
    );
  });
});
