/**
 * E2E: Gate 5 of `autopilot gate` read from the forge, through the command line, on one real repository whose task
 * opened its pull request through the outbox on the GitHub test server (every request and answer held to GitHub's
 * OpenAPI description): a forge that cannot be read fails the gate, naming why; an approval by the pull request's
 * author (the token's own user) does not count; an owner's approval on the forge satisfies their CODEOWNERS rule; a
 * team member's approval satisfies a `@org/team` rule, the team read from the forge once per run; a missing label
 * fails, named; a risk class that needs two approvals fails with one and passes with two. Gitea: the same read
 * through its API (reviews, labels, team search and members), on a second repository; GitLab (approvals dated by
 * their notes against the diff versions, labels, a group's members) on a third, where a push after the approvals
 * leaves them on an older commit until the approvers approve again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, parseOne, run, tempDir, type Repo } from './helpers.ts';
import { evidenceFor } from '../helpers/evidence.ts';
import { FORGE_EVIDENCE, GITHUB_EVIDENCE } from '../../src/core/config.ts';
import { startGiteaServer } from '../helpers/gitea-server.ts';
import { startGitLabServer } from '../helpers/gitlab-server.ts';
import type { CiGateReport, GateCheck } from '../../src/engine/ci/gate.ts';
import { startGitHubServer, type GitHubTestServer } from '../helpers/github-server.ts';

const TOKEN = 'ghp_gate5_e2e_0123456789';
const AGENT = 'octo-agent';

type GateBody =
  ({ ok: true } & CiGateReport) | { ok: false; error: { code: string; message: string; details: CiGateReport } };

let server: GitHubTestServer;
let repo: Repo;
const servers: { close(): Promise<void> }[] = [];

/**
 * main: the forge's mode, CODEOWNERS giving src/ to @alice (and the agent's own login) and test/ to @acme/core, the
 * label qa-ok required and two approvals among @alice and @acme/core for any change. task/T-1: T-1 in PR, its pull
 * request opened by the outbox, its evidence committed.
 */
async function openedPull(
  forge: { mode: 'github' | 'gitea' | 'gitlab'; url: string; agent: string; env: Record<string, string> },
  bare: string,
): Promise<Repo> {
  const r = await makeRepo({
    config: (c) => {
      c['pr'] = { mode: forge.mode, repository: 'acme/widgets', apiUrl: forge.url, ciTimeoutSeconds: 0 };
      (c['evidence'] as Record<string, unknown>)['PR'] = (forge.mode === 'github' ? GITHUB_EVIDENCE : FORGE_EVIDENCE)[
        'PR'
      ];
      c['gates'] = {
        review: { labels: ['qa-ok'], risk: [{ class: 'low', approvals: 2, from: ['@alice', '@acme/core'] }] },
      };
    },
  });
  r.write('.github/CODEOWNERS', `src/ @alice @${forge.agent}\ntest/ @acme/core\n`);
  git(r.dir, ['add', '-A']);
  git(r.dir, ['commit', '-q', '-m', 'forge mode, owners and review rules']);
  git(r.dir, ['remote', 'add', 'origin', `file://${bare}`]);
  git(r.dir, ['push', '-q', 'origin', 'main']);
  git(r.dir, ['switch', '-q', '-c', 'task/T-1']);
  await r.driveTo('T-1', 'REVIEW');
  for (const [name, content] of evidenceFor(0)['REVIEW'] ?? []) await r.put('T-1', 'REVIEW', name, content);
  git(r.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
  git(r.dir, ['commit', '-q', '-m', 'count words']);
  await r.ok(['advance', 'T-1']);
  const template = evidenceFor(0)['PR']?.find(([name]) => name === 'pr_template_filled.md')?.[1];
  assert.ok(template);
  const file = join(tempDir('pr'), 'pr_template_filled.md');
  writeFileSync(file, template);
  await r.ok(['evidence', 'add', 'T-1', 'PR', file]);
  await r.ok(['outbox', 'run'], { env: forge.env });
  git(r.dir, ['add', '-A']);
  git(r.dir, ['commit', '-q', '-m', 'T-1 with its evidence']);
  return r;
}

function bareRemote(): string {
  const bare = join(tempDir('remote'), 'widgets.git');
  git(tempDir('x'), ['init', '-q', '--bare', '-b', 'main', bare]);
  return bare;
}

before(async () => {
  const bare = bareRemote();
  server = await startGitHubServer({ owner: 'acme', repo: 'widgets', bare, viewer: AGENT });
  servers.push(server);
  server.setTeam('acme', 'core', ['bob']);
  repo = await openedPull({ mode: 'github', url: server.url, agent: AGENT, env: { GITHUB_TOKEN: TOKEN } }, bare);
  assert.equal(server.pulls.length, 1, 'the outbox opened the pull request');
});
after(async () => {
  for (const s of servers) await s.close();
});

async function gate(
  env: Record<string, string | undefined>,
  dir = repo.dir,
): Promise<{ code: number; report: CiGateReport }> {
  const r = await run(['--json', '-C', dir, 'gate', '--base', 'main'], { env });
  const body = parseOne<GateBody>(r);
  return { code: r.code, report: body.ok ? body : body.error.details };
}

const g5 = (r: CiGateReport, name: string): GateCheck => {
  const c = r.stages.find((g) => g.gate === 'g5')?.checks.find((x) => x.name === name);
  assert.ok(c, `Gate 5 check ${name}: ${JSON.stringify(r.stages)}`);
  return c;
};
const reasons = (r: CiGateReport, check: string) => r.problems.filter((p) => p.check === check).map((p) => p.reason);

describe('Gate 5 from the forge', () => {
  it('a configured forge that cannot be read (no token) fails owners, labels and risk, saying why', async () => {
    const { code, report } = await gate({ GITHUB_TOKEN: undefined, GH_TOKEN: undefined });
    assert.equal(code, 2);
    for (const check of ['owners', 'labels', 'risk']) {
      assert.equal(g5(report, check).status, 'fail', check);
      assert.ok(
        reasons(report, check).some((x) => /could not be read: no forge token: set AUTOPILOT_FORGE_TOKEN/.test(x)),
        `${check}: ${JSON.stringify(reasons(report, check))}`,
      );
    }
  });

  it("the pull request author's approval (the token's own user) and one of an older commit do not count; a missing label is named", async () => {
    server.addReview(1, { user: AGENT, state: 'APPROVED' });
    // An approval of an older commit does not stand for the head's code.
    server.addReview(1, { user: 'alice', state: 'APPROVED', commit: 'a'.repeat(40) });
    const { code, report } = await gate({ GITHUB_TOKEN: TOKEN });
    assert.equal(code, 2);
    const owners = g5(report, 'owners');
    assert.equal(owners.status, 'fail');
    assert.match(
      reasons(report, 'owners')[0] ?? '',
      new RegExp(
        `owned by @alice @${AGENT} .*not counted: ${AGENT} \\(the pull request's author\\), alice \\(approved a{12}, not the head`,
      ),
    );
    assert.deepEqual(
      owners.owners?.map((o) => [o.pattern, o.paths, o.approvedBy]),
      [
        ['src/', ['src/count.js'], []],
        ['test/', ['test/count.test.js'], []],
      ],
    );
    assert.ok(reasons(report, 'owners').some((x) => /src\/count\.js is owned by @alice @octo-agent/.test(x)));
    assert.equal(g5(report, 'labels').status, 'fail');
    assert.deepEqual(reasons(report, 'labels'), [
      'pull request #1 lacks the label qa-ok (gates.review.labels): a person adds it on the forge',
    ]);
    assert.match(reasons(report, 'risk')[0] ?? '', /needs 2 approvals from @alice, @acme\/core; it has 0/);
  });

  it("an owner's approval on the forge satisfies their rule; the risk class needing two approvals fails with one", async () => {
    server.addReview(1, { user: 'alice', state: 'COMMENTED' });
    server.addReview(1, { user: 'alice', state: 'APPROVED' });
    // A comment after an approval does not undo it, as GitHub counts reviews.
    server.addReview(1, { user: 'alice', state: 'COMMENTED' });
    const { code, report } = await gate({ GITHUB_TOKEN: TOKEN });
    assert.equal(code, 2);
    const owners = g5(report, 'owners');
    assert.deepEqual(owners.owners?.[0]?.approvedBy, [{ who: 'alice', via: '@alice', from: 'forge' }]);
    assert.deepEqual(owners.owners?.[1]?.approvedBy, [], 'nobody of @acme/core approved yet');
    assert.equal(owners.status, 'fail');
    assert.equal(reasons(report, 'owners').length, 1);
    assert.match(reasons(report, 'owners')[0]!, /test\/count\.test\.js is owned by @acme\/core/);
    assert.equal(g5(report, 'risk').status, 'fail');
    assert.match(reasons(report, 'risk')[0]!, /it has 1 \(alice \(forge review\)\): 1 more of them approve/);
  });

  it('a team member approves the @org/team rule; with the label added every Gate 5 check passes', async () => {
    server.addReview(1, { user: 'bob', state: 'APPROVED' });
    server.setLabels(1, ['qa-ok', 'docs']);
    const teamCalls = () => server.calls.filter((c) => c === 'GET /orgs/{org}/teams/{team_slug}/members').length;
    const before = teamCalls();
    const { code, report } = await gate({ GITHUB_TOKEN: TOKEN });
    assert.deepEqual(report.problems, []);
    assert.equal(code, 0);
    const owners = g5(report, 'owners');
    assert.equal(owners.status, 'pass');
    assert.deepEqual(owners.owners?.[1]?.approvedBy, [{ who: 'bob', via: '@acme/core', from: 'forge' }]);
    assert.match(owners.detail, /test\/ \(@acme\/core\): bob via @acme\/core \(forge review\)/);
    assert.equal(g5(report, 'labels').status, 'pass');
    assert.match(g5(report, 'labels').detail, /pull request #1 has qa-ok, docs/);
    assert.equal(g5(report, 'risk').status, 'pass');
    assert.match(
      g5(report, 'risk').detail,
      /low: 2\/2 by alice \(forge review\), bob via @acme\/core \(forge review\)/,
    );
    assert.equal(teamCalls() - before, 1, "the team's members are read once per gate run (owners and risk share them)");
    assert.equal(report.stages.find((g) => g.gate === 'g5')?.status, 'pass');
    assert.deepEqual(server.mismatches, []);
    assert.ok(server.calls.includes('GET /user'));
    assert.ok(server.calls.includes('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews'));
  });
});

describe('Gate 5 from Gitea', () => {
  it("reads the pull request's reviews, labels and team: owners, labels and risk pass on people's approvals only", async () => {
    const bare = bareRemote();
    const gitea = await startGiteaServer({ owner: 'acme', repo: 'widgets', bare });
    servers.push(gitea);
    const env = { GITEA_TOKEN: 'gitea-gate5-token-0123456789' };
    const dir = (await openedPull({ mode: 'gitea', url: gitea.url, agent: 'autopilot-bot', env }, bare)).dir;
    gitea.setTeam('acme', 'core', ['bob']);
    gitea.setLabels(1, ['qa-ok']);
    gitea.addReview(1, { user: 'autopilot-bot', state: 'APPROVED' });
    gitea.addReview(1, { user: 'carol', state: 'APPROVED', dismissed: true });
    gitea.addReview(1, { user: 'alice', state: 'APPROVED' });
    gitea.addReview(1, { user: 'bob', state: 'APPROVED' });
    const { code, report } = await gate(env, dir);
    assert.deepEqual(report.problems, []);
    assert.equal(code, 0);
    assert.deepEqual(
      g5(report, 'owners').owners?.map((o) => [o.pattern, o.approvedBy.map((a) => `${a.who} ${a.via} ${a.from}`)]),
      [
        ['src/', ['alice @alice forge']],
        ['test/', ['bob @acme/core forge']],
      ],
    );
    assert.match(g5(report, 'owners').detail, /not counted: autopilot-bot \(the pull request's author\)/);
    assert.equal(g5(report, 'labels').status, 'pass');
    assert.match(g5(report, 'risk').detail, /low: 2\/2 by alice \(forge review\), bob via @acme\/core/);
    assert.deepEqual(gitea.mismatches, []);
  });
});

describe('Gate 5 from GitLab', () => {
  const env = { GITLAB_TOKEN: 'glpat-gate5-e2e-0123456789' };
  let gitlab: Awaited<ReturnType<typeof startGitLabServer>>;
  let dir: string;
  before(async () => {
    const bare = bareRemote();
    gitlab = await startGitLabServer({ owner: 'acme', repo: 'widgets', bare });
    servers.push(gitlab);
    dir = (await openedPull({ mode: 'gitlab', url: gitlab.url, agent: 'autopilot-bot', env }, bare)).dir;
    gitlab.setGroup('acme/core', ['bob']);
  });

  it("an owner's approval counts and the author's does not; a missing label is named; one approval of two fails the risk class", async () => {
    gitlab.approve(1, 'autopilot-bot');
    gitlab.approve(1, 'alice');
    const { code, report } = await gate(env, dir);
    assert.equal(code, 2);
    const owners = g5(report, 'owners');
    assert.equal(owners.status, 'fail');
    assert.deepEqual(
      owners.owners?.map((o) => [o.pattern, o.approvedBy.map((a) => `${a.who} ${a.via} ${a.from}`)]),
      [
        ['src/', ['alice @alice forge']],
        ['test/', []],
      ],
    );
    assert.match(reasons(report, 'owners')[0] ?? '', /not counted: autopilot-bot \(the pull request's author\)/);
    assert.match(reasons(report, 'owners')[0] ?? '', /test\/count\.test\.js is owned by @acme\/core/);
    assert.deepEqual(reasons(report, 'labels'), [
      'pull request #1 lacks the label qa-ok (gates.review.labels): a person adds it on the forge',
    ]);
    assert.equal(g5(report, 'risk').status, 'fail');
    assert.match(reasons(report, 'risk')[0] ?? '', /it has 1 \(alice \(forge review\)\): 1 more of them approve/);
  });

  it('a member of the @group/subgroup owner approves and the label is added: every Gate 5 check passes', async () => {
    gitlab.approve(1, 'bob');
    gitlab.setLabels(1, ['qa-ok']);
    const { code, report } = await gate(env, dir);
    assert.deepEqual(report.problems, []);
    assert.equal(code, 0);
    assert.deepEqual(g5(report, 'owners').owners?.[1]?.approvedBy, [{ who: 'bob', via: '@acme/core', from: 'forge' }]);
    assert.match(g5(report, 'labels').detail, /pull request #1 has qa-ok/);
    assert.match(g5(report, 'risk').detail, /low: 2\/2 by alice \(forge review\), bob via @acme\/core/);
    assert.deepEqual(gitlab.mismatches, []);
    for (const call of [
      'GET /user',
      'GET /projects/{id}/merge_requests/{merge_request_iid}/approvals',
      'GET /groups/{id}/members/all',
      'GET /projects/{id}/merge_requests/{merge_request_iid}/versions',
      'GET /projects/{id}/merge_requests/{merge_request_iid}/notes',
    ])
      assert.ok(gitlab.calls.includes(call), call);
  });

  it('a commit pushed after the approvals leaves them on an older commit, not counted; approving again passes', async () => {
    const old = gitlab.pulls[0]!.headSha;
    git(dir, ['commit', '-q', '--allow-empty', '-m', 'one more commit after the approvals']);
    git(dir, ['push', '-q', 'origin', 'task/T-1']);
    const head = git(dir, ['rev-parse', 'HEAD']).trim();
    const stale = await gate(env, dir);
    assert.equal(stale.code, 2);
    assert.equal(g5(stale.report, 'owners').status, 'fail');
    assert.match(
      reasons(stale.report, 'owners')[0] ?? '',
      new RegExp(
        `not counted: autopilot-bot \\(the pull request's author\\), alice \\(approved ${old.slice(0, 12)}, not the head ${head.slice(0, 12)}\\), bob \\(approved ${old.slice(0, 12)}, not the head ${head.slice(0, 12)}\\)`,
      ),
    );
    assert.match(reasons(stale.report, 'risk')[0] ?? '', /it has 0: 2 more of them approve/);
    // GitLab lets a user whose approval stands approve again only after taking it back.
    for (const who of ['alice', 'bob']) {
      gitlab.unapprove(1, who);
      gitlab.approve(1, who);
    }
    const { code, report } = await gate(env, dir);
    assert.deepEqual(report.problems, []);
    assert.equal(code, 0);
    assert.match(g5(report, 'risk').detail, /low: 2\/2 by alice \(forge review\), bob via @acme\/core/);
    assert.deepEqual(gitlab.mismatches, []);
  });
});
