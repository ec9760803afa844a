/**
 * @module The GitLab and Gitea (Forgejo) adapters against servers that hold every request and response to the
 * endpoints' descriptions written from each forge's published API documentation: a wrong path, parameter, body
 * field or type in what an adapter sends fails here, as does a fixture answer the description would not allow.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitLabForge } from '../../src/adapters/gitlab/index.ts';
import { GiteaForge } from '../../src/adapters/gitea/index.ts';
import { ForgeError, type Forge, type ForgeSpec } from '../../src/ports/forge.ts';
import { commentMarker } from '../../src/core/forge.ts';
import { startGitLabServer } from '../helpers/gitlab-server.ts';
import { startGiteaServer } from '../helpers/gitea-server.ts';
import type { SeedCheck } from '../helpers/gitlab-server.ts';

const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

interface Server {
  readonly url: string;
  readonly mismatches: string[];
  readonly auth: string[];
  readonly pulls: { body: string; head: string }[];
  readonly comments: { body: string }[];
  readonly calls: string[];
  readonly duplicates: string[];
  setChecks(sha: string, checks: readonly SeedCheck[]): void;
  close(): Promise<void>;
}

const TOKEN = 'test-token-456';
const cases = [
  {
    kind: 'gitlab' as const,
    start: (bare: string) => startGitLabServer({ owner: 'acme/tools', repo: 'widgets', bare }),
    open: (spec: ForgeSpec): Forge => new GitLabForge(spec),
    owner: 'acme/tools',
    auth: TOKEN,
    pullUrl: (url: string) => `${url}/acme/tools/widgets/-/merge_requests/1`,
    noteUrl: /\/acme\/tools\/widgets\/-\/merge_requests\/1#note_\d+$/,
    // A pending GitLab job is `running`; the evidence status set through the API is a commit status of its own.
    checks: { build: 'check_run:success:success', e2e: 'check_run:failure:failed', slow: 'check_run:pending:running' },
    statusDetail: { ok: 'success', red: 'failed' },
  },
  {
    kind: 'gitea' as const,
    start: (bare: string) => startGiteaServer({ owner: 'acme', repo: 'widgets', bare }),
    open: (spec: ForgeSpec): Forge => new GiteaForge(spec),
    owner: 'acme',
    auth: `token ${TOKEN}`,
    pullUrl: (url: string) => `${url}/acme/widgets/pulls/1`,
    noteUrl: /\/acme\/widgets\/pulls\/1#issuecomment-\d+$/,
    checks: { build: 'status:success:success', e2e: 'status:failure:failure', slow: 'status:pending:pending' },
    statusDetail: { ok: 'success', red: 'failure' },
  },
];

for (const c of cases)
  describe(`${c.kind} adapter, against the server that holds it to the API description`, () => {
    let dir: string;
    let server: Server;
    let forge: Forge;
    let sha: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `${c.kind}-adapter-`));
      const bare = join(dir, 'remote.git');
      git(dir, ['init', '-q', '--bare', '-b', 'main', bare]);
      const work = join(dir, 'work');
      git(dir, ['init', '-q', '-b', 'task/T-1', work]);
      writeFileSync(join(work, 'a.txt'), 'a\n');
      git(work, ['add', '.']);
      git(work, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'a']);
      git(work, ['push', '-q', bare, 'task/T-1', 'task/T-1:main']);
      sha = git(work, ['rev-parse', 'HEAD']);
      server = await c.start(bare);
      forge = c.open({ kind: c.kind, repo: { owner: c.owner, name: 'widgets' }, apiUrl: server.url, token: TOKEN });
    });
    after(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('opens a pull request, finds it again by its head branch, and updates it', async () => {
      assert.equal(await forge.defaultBranch(), 'main');
      assert.equal(await forge.findOpenPull('task/T-1'), null);
      const pr = await forge.createPull({ title: 'T-1', body: 'first', head: 'task/T-1', base: 'main' });
      assert.deepEqual(pr, {
        number: 1,
        url: c.pullUrl(server.url),
        headSha: sha,
        headRef: 'task/T-1',
        baseRef: 'main',
      });
      assert.equal((await forge.findOpenPull('task/T-1'))?.number, 1);
      assert.equal(await forge.findOpenPull('task/T-2'), null);
      const updated = await forge.updatePull(1, { title: 'T-1: widgets', body: 'second' });
      assert.equal(updated.url, pr.url);
      assert.equal(server.pulls[0]?.body, 'second');
      assert.equal((await forge.getPull(1)).baseRef, 'main');
      assert.deepEqual(server.mismatches, []);
      assert.ok(server.auth.length > 0 && server.auth.every((a) => a === c.auth), server.auth.join(','));
    });

    it('posts one comment, finds it by its marker among others, and updates it', async () => {
      const marker = commentMarker('T-1');
      // More than a page of other comments first on GitLab (100 a page), so that finding it needs the next page.
      const others = c.kind === 'gitlab' ? 101 : 3;
      for (let i = 0; i < others; i++) await forge.createComment(1, `comment ${i}`);
      assert.equal(await forge.findComment(1, marker), null);
      const made = await forge.createComment(1, `${marker}\nhello`);
      assert.match(made.url, c.noteUrl);
      const again = await forge.findComment(1, marker);
      assert.equal(again?.id, made.id);
      assert.equal(again?.body, `${marker}\nhello`);
      const edited = await forge.updateComment(1, made.id, `${marker}\nupdated`);
      assert.equal(edited.id, made.id);
      assert.equal(server.comments.length, others + 1);
      assert.equal(server.comments.at(-1)?.body, `${marker}\nupdated`);
      assert.deepEqual(server.mismatches, []);
    });

    it('asks reviewers on the pull request, keeps those asked before, and reads back who is asked', async () => {
      assert.deepEqual(await forge.requestedReviewers(1), { users: [], teams: [] });
      await forge.requestReviewers(1, { users: ['octocat'], teams: [] });
      await forge.requestReviewers(1, { users: ['hubot'], teams: [] });
      assert.deepEqual(await forge.requestedReviewers(1), { users: ['octocat', 'hubot'], teams: [] });
      if (c.kind === 'gitea') {
        await forge.requestReviewers(1, { users: [], teams: ['core'] });
        assert.deepEqual((await forge.requestedReviewers(1)).teams, ['core']);
      } else {
        // GitLab has no team reviewers: refused for good, before anything is sent.
        const calls = server.calls.length;
        await assert.rejects(forge.requestReviewers(1, { users: [], teams: ['core'] }), (err: unknown) => {
          assert.ok(err instanceof ForgeError);
          assert.equal(err.retryable, false);
          assert.match(err.message, /GitLab has no team reviewers.*pr\.teamReviewers/);
          return true;
        });
        assert.equal(server.calls.length, calls);
      }
      // A login the forge does not know is a refusal that no retry fixes.
      await assert.rejects(forge.requestReviewers(1, { users: ['ghost'], teams: [] }), (err: unknown) => {
        assert.ok(err instanceof ForgeError);
        assert.equal(err.retryable, false);
        return true;
      });
      assert.deepEqual(server.duplicates, []);
      assert.deepEqual(server.mismatches, []);
    });

    it('sets commit statuses, reads the latest of each, and reads CI and statuses as one list of checks', async () => {
      await forge.setStatus(sha, { state: 'pending', context: 'autopilot/evidence', description: 'wait' });
      await forge.setStatus(sha, {
        state: 'success',
        context: 'autopilot/evidence',
        description: 'ok',
        targetUrl: 'https://x.test/1',
      });
      await forge.setStatus(sha, { state: 'failure', context: 'lint', description: 'red' });
      const statuses = await forge.listStatuses(sha);
      const mine = statuses.find((s) => s.context === 'autopilot/evidence');
      assert.deepEqual(mine, {
        state: 'success',
        context: 'autopilot/evidence',
        description: 'ok',
        targetUrl: 'https://x.test/1',
      });
      assert.equal(statuses.find((s) => s.context === 'lint')?.state, 'failure');
      server.setChecks(sha, [
        { name: 'build', result: 'success' },
        { name: 'e2e', result: 'failure' },
        { name: 'slow', result: 'pending' },
      ]);
      const by = Object.fromEntries((await forge.checks(sha)).map((x) => [x.name, `${x.kind}:${x.state}:${x.detail}`]));
      assert.deepEqual(by, {
        ...c.checks,
        'autopilot/evidence': `status:success:${c.statusDetail.ok}`,
        lint: `status:failure:${c.statusDetail.red}`,
      });
      assert.deepEqual(server.mismatches, []);
    });

    it('turns a refusal into a ForgeError with the status and the forge message, never the token', async () => {
      await assert.rejects(
        forge.createPull({ title: 'x', body: 'y', head: 'no-such-branch', base: 'main' }),
        (err: unknown) => {
          assert.ok(err instanceof ForgeError);
          assert.ok(err.status >= 400 && err.status < 500, String(err.status));
          assert.equal(err.retryable, false);
          assert.doesNotMatch(err.message, new RegExp(TOKEN));
          return true;
        },
      );
      // A second pull request for the same branch is refused by the forge, as the real ones do.
      await assert.rejects(
        forge.createPull({ title: 'x', body: 'y', head: 'task/T-1', base: 'main' }),
        (err: unknown) => {
          assert.ok(err instanceof ForgeError);
          assert.equal(err.status, 409);
          return true;
        },
      );
      const other = c.open({ kind: c.kind, repo: { owner: c.owner, name: 'nope' }, apiUrl: server.url, token: 't' });
      await assert.rejects(other.defaultBranch(), (err: unknown) => {
        assert.ok(err instanceof ForgeError);
        assert.equal(err.status, 404);
        assert.match(err.message, /the token may not see it/);
        return true;
      });
      // No answer at all is worth another try.
      const gone = c.open({
        kind: c.kind,
        repo: { owner: c.owner, name: 'widgets' },
        apiUrl: 'http://127.0.0.1:9',
        token: 't',
      });
      await assert.rejects(
        gone.defaultBranch(),
        (err: unknown) => err instanceof ForgeError && err.status === 0 && err.retryable,
      );
      assert.deepEqual(server.mismatches, []);
    });

    it('says a request the description does not allow is a mismatch (the server is not lenient)', async () => {
      const before = server.mismatches.length;
      const path =
        c.kind === 'gitlab' ? '/projects/acme%2Ftools%2Fwidgets/merge_requests' : '/repos/acme/widgets/pulls';
      const r = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          title: 't',
          head: 'task/T-1',
          source_branch: 'task/T-1',
          target_branch: 'main',
          base: 'main',
        }),
      });
      assert.equal(r.status, 400);
      const r2 = await fetch(`${server.url}${path}?state=weird`);
      assert.equal(r2.status, 400);
      const r3 = await fetch(`${server.url}${path}z`);
      assert.equal(r3.status, 404);
      const said = server.mismatches.slice(before);
      assert.equal(said.length, 3, said.join('\n'));
      assert.match(said[0]!, /must NOT have additional properties/);
      assert.match(said[1]!, /query parameter state=weird/);
      assert.match(said[2]!, /not an operation/);
      server.mismatches.splice(before);
    });
  });

describe("gitlab adapter: what Gate 5 reads (the token's user, a merge request's approvals and labels, a group)", () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startGitLabServer>>;
  let forge: GitLabForge;
  let sha: string;
  let work: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gitlab-gate5-'));
    const bare = join(dir, 'remote.git');
    git(dir, ['init', '-q', '--bare', '-b', 'main', bare]);
    work = join(dir, 'work');
    git(dir, ['init', '-q', '-b', 'task/T-1', work]);
    writeFileSync(join(work, 'a.txt'), 'a\n');
    git(work, ['add', '.']);
    git(work, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'a']);
    git(work, ['push', '-q', bare, 'task/T-1', 'task/T-1:main']);
    sha = git(work, ['rev-parse', 'HEAD']);
    server = await startGitLabServer({ owner: 'acme/tools', repo: 'widgets', bare });
    forge = new GitLabForge({
      kind: 'gitlab',
      repo: { owner: 'acme/tools', name: 'widgets' },
      apiUrl: server.url,
      token: TOKEN,
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the author, head, labels and approvers, each with the head of the diff version it was given on', async () => {
    const pr = await forge.createPull({ title: 'T-1', body: 'b', head: 'task/T-1', base: 'main' });
    assert.equal(await forge.currentUser(), 'autopilot-bot');
    assert.deepEqual(await forge.reviewState(pr.number), {
      author: 'autopilot-bot',
      headSha: sha,
      labels: [],
      approvals: [],
    });
    server.setLabels(pr.number, ['qa-ok', 'docs']);
    server.approve(pr.number, 'alice');
    server.approve(pr.number, 'bob');
    assert.deepEqual(await forge.reviewState(pr.number), {
      author: 'autopilot-bot',
      headSha: sha,
      labels: ['qa-ok', 'docs'],
      approvals: [
        { user: 'alice', commit: sha },
        { user: 'bob', commit: sha },
      ],
    });
    // A push makes a new diff version: alice's approval stays on the old head; bob takes his back and approves again.
    writeFileSync(join(work, 'b.txt'), 'b\n');
    git(work, ['add', '.']);
    git(work, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'b']);
    git(work, ['push', '-q', join(dir, 'remote.git'), 'task/T-1']);
    const head = git(work, ['rev-parse', 'HEAD']);
    assert.deepEqual((await forge.reviewState(pr.number)).approvals, [
      { user: 'alice', commit: sha },
      { user: 'bob', commit: sha },
    ]);
    server.unapprove(pr.number, 'bob');
    server.approve(pr.number, 'bob');
    // GitLab lists carol as an approver but shows no note of it: when she approved is unknown, and it does not count.
    server.pulls.find((x) => x.number === pr.number)!.approvedBy.push('carol');
    const after = await forge.reviewState(pr.number);
    assert.equal(after.headSha, head);
    assert.deepEqual(after.approvals, [
      { user: 'alice', commit: sha },
      { user: 'bob', commit: head },
      {
        user: 'carol',
        commit: null,
        unverified: 'GitLab shows no approval note of it, so when it was given is unknown',
      },
    ]);
    await assert.rejects(forge.reviewState(99), (err: unknown) => err instanceof ForgeError && err.status === 404);
    assert.deepEqual(server.mismatches, []);
  });

  it("reads every member of a subgroup by its escaped full path, page after page; an unknown group is the forge's 404", async () => {
    const many = Array.from({ length: 130 }, (_, i) => `dev${i}`);
    server.setGroup('acme/tools/core', many);
    assert.deepEqual(await forge.teamMembers('acme/tools/core'), many);
    assert.equal(server.calls.filter((x) => x === 'GET /groups/{id}/members/all').length, 2, 'two pages of 100');
    await assert.rejects(forge.teamMembers('acme/nobody'), (err: unknown) => {
      assert.ok(err instanceof ForgeError);
      assert.equal(err.status, 404);
      assert.match(err.message, /members of acme\/nobody/);
      return true;
    });
    assert.deepEqual(server.mismatches, []);
  });
});
