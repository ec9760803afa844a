/**
 * @module GitHub mode end to end, through the command line: entering PR decides the push, `outbox run` pushes the task
 * branch to a real bare repository (file://), opens the pull request on a GitHub test server that holds every request
 * and response to GitHub's OpenAPI description, posts the evidence comment and sets the commit status; pr_url.txt is
 * the server's answer, ci_results.json its check runs (a red one fails the move out of PR, named). A dispatcher
 * killed with SIGKILL before, during or after sending open_pr or comment is followed by one that converges to exactly
 * one pull request and one comment; one killed after asking the configured reviewers, by one that does not ask again.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, tempDir } from './helpers.ts';
import { commentMarker } from '../../src/core/forge.ts';
import { startGitHubServer, type GitHubTestServer } from '../helpers/github-server.ts';
import {
  forgeInPr,
  killedDuringSend,
  prTemplate,
  putTemplate,
  recordedSends,
  stoppedDispatcher,
  type ForgeSetup,
  type Outcomes,
} from './outbox-fixture.ts';

const TOKEN = 'ghp_testtoken_e2e_0123456789';
const ENV = { GITHUB_TOKEN: TOKEN };
const servers: GitHubTestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** A repository in github mode, its origin a bare remote, T-1 moved into PR on task/T-1 with its work committed. */
async function inPr(pr: Record<string, unknown> = {}): Promise<ForgeSetup<GitHubTestServer>> {
  const setup = await forgeInPr({
    kind: 'github',
    pr,
    start: (bare) => startGitHubServer({ owner: 'acme', repo: 'widgets', bare }),
  });
  servers.push(setup.server);
  return setup;
}

describe('github mode: the pull request through the outbox', () => {
  it('pushes, opens the PR with the template and the evidence summary, comments, sets the status, and gates on CI', async () => {
    const { repo, server, commit } = await inPr();

    // Before the template is written: the push goes out, the pull request waits for it (not a failure).
    const first = await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
    assert.deepEqual(
      first.outcomes.map((o) => [o.action, o.outcome]),
      [
        ['push', 'sent'],
        ['open_pr', 'waiting'],
      ],
    );
    assert.match(first.outcomes[1]?.error ?? '', /waiting for pr_template_filled\.md/);
    assert.equal(server.pulls.length, 0);

    // The agent cannot hand in a PR URL of its own.
    const fake = join(tempDir('fake'), 'pr_url.txt');
    writeFileSync(fake, 'https://github.com/example/x/pull/1\n');
    const refused = await repo.refused(['evidence', 'add', 'T-1', 'PR', fake], 'EVIDENCE_PROTECTED', 2);
    assert.match(refused.message, /written by Autopilot from what the outbox did/);

    await putTemplate(repo);
    const second = await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
    assert.deepEqual(
      second.outcomes.map((o) => [o.action, o.outcome]),
      [
        ['open_pr', 'sent'],
        ['comment', 'sent'],
        ['status', 'sent'],
      ],
    );
    assert.equal(server.pulls.length, 1);
    const pr = server.pulls[0]!;
    assert.equal(pr.head, 'task/T-1');
    assert.equal(pr.headSha, commit);
    assert.equal(pr.base, 'main');
    assert.ok(pr.body.startsWith(prTemplate().trimEnd()), 'the body opens with the agent template');
    assert.ok(pr.body.includes(commentMarker('T-1')));
    assert.match(pr.body, /Phases passed: STRATEGIZE → SPEC → PLAN → THINK → IMPLEMENT → VERIFY → REVIEW/);
    // The digest of the attestation bundle written on entering PR, as it is on disk.
    const bundle = createHash('sha256')
      .update(readFileSync(join(repo.dir, '.autopilot', 'attestations', 'T-1.jsonl')))
      .digest('hex');
    assert.ok(pr.body.includes(`Attestation bundle: \`.autopilot/attestations/T-1.jsonl\`, sha256 \`${bundle}\``));
    assert.equal(server.comments.length, 1);
    assert.ok(server.comments[0]?.body.startsWith(commentMarker('T-1')));
    assert.deepEqual(
      server.statuses.map((s) => [s.sha, s.context, s.state]),
      [[commit, 'autopilot/evidence', 'success']],
    );
    const url = readFileSync(join(repo.phaseDir('T-1', 'PR'), 'pr_url.txt'), 'utf8');
    assert.equal(url, 'https://github.test/acme/widgets/pull/1\n');
    const opened = repo.ledger('T-1').find((e) => e.kind === 'outbox' && e.data['action'] === 'open_pr');
    assert.equal(opened?.artifacts[0]?.path, 'evidence/T-1/pr/pr_url.txt');
    assert.equal(opened?.artifacts[0]?.producer, 'autopilot');

    // CI: the required check is red on the PR's head commit: the move out of PR is refused, naming it.
    server.setCheckRuns(commit, [
      { name: 'build', status: 'completed', conclusion: 'failure' },
      { name: 'docs', status: 'completed', conclusion: 'success' },
    ]);
    const red = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, { env: ENV });
    assert.match(red.message, /build \(failure\)/);
    // Missing: a required check CI never reported.
    server.setCheckRuns(commit, [{ name: 'docs', status: 'completed', conclusion: 'success' }]);
    const missing = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, { env: ENV });
    assert.match(missing.message, /build \(missing\)/);
    server.setCheckRuns(commit, [{ name: 'build', status: 'completed', conclusion: 'success' }]);
    const done = await repo.ok<{ from: string; to: string }>(['advance', 'T-1'], { env: ENV });
    assert.deepEqual([done.from, done.to], ['PR', 'MONITOR']);
    const ci = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'PR'), 'ci_results.json'), 'utf8'));
    assert.equal(ci.source, 'forge');
    assert.equal(ci.passed, true);
    assert.equal(ci.commit, commit);

    // Every request and answer matched GitHub's description, each with the token, and nothing twice.
    assert.deepEqual(server.mismatches, []);
    assert.deepEqual(server.duplicates, []);
    assert.ok(server.auth.length > 0 && server.auth.every((a) => a === `token ${TOKEN}`));
    assert.ok(!JSON.stringify(repo.ledger('T-1')).includes(TOKEN), 'the token is not in the ledger');
    await repo.ok(['ledger', 'verify']);
  });

  it('stops a forge row for a person when there is no token, and says where to put one', async () => {
    const { repo, server } = await inPr();
    await putTemplate(repo);
    const r = await repo.json<Outcomes>(['outbox', 'run']);
    assert.equal(r.code, 2);
    const pr = r.body.outcomes.find((o) => o.action === 'open_pr');
    assert.equal(pr?.outcome, 'stopped');
    assert.match(pr?.error ?? '', /no forge token: set AUTOPILOT_FORGE_TOKEN \(or GITHUB_TOKEN\)/);
    assert.equal(server.pulls.length, 0);
  });
});

/** The request that creates each action's effect on GitHub. */
const SENDS = {
  open_pr: 'POST /repos/{owner}/{repo}/pulls',
  comment: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
} as const;

describe('the forge dispatcher killed with SIGKILL', () => {
  for (const action of ['open_pr', 'comment'] as const)
    for (const point of ['before-send', 'during-send', 'after-send'] as const)
      it(`${action}, ${point}: the next run converges to one pull request and one comment`, async () => {
        const { repo, server } = await inPr();
        await putTemplate(repo);
        // During: GitHub took the create and made it; its answer never reaches the dispatcher, killed first.
        if (point === 'during-send') await killedDuringSend(repo, server, (where) => where === SENDS[action], ENV);
        else await (await stoppedDispatcher(repo, point, { action, env: ENV })).kill9();
        const sentBefore = action === 'open_pr' ? server.creates['pull'] : server.creates['comment'];
        assert.equal(sentBefore, point === 'before-send' ? 0 : 1);
        const run = await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
        const mine = run.outcomes.find((o) => o.action === action);
        assert.equal(mine?.outcome, point === 'before-send' ? 'sent' : 'found');
        // Exactly one of each, and no create was ever sent twice.
        assert.equal(server.pulls.length, 1);
        assert.equal(server.comments.length, 1);
        assert.equal(server.creates['pull'], 1);
        assert.equal(server.creates['comment'], 1);
        assert.deepEqual(server.duplicates, []);
        assert.deepEqual(server.mismatches, []);
        const recorded = recordedSends(repo).map((e) => e.data['action']);
        assert.deepEqual([...recorded].sort(), ['comment', 'open_pr', 'push', 'status']);
        // And again: nothing more happens.
        await repo.ok(['outbox', 'run'], { env: ENV });
        assert.equal(server.creates['pull'], 1);
        assert.equal(server.creates['comment'], 1);
        await repo.ok(['ledger', 'verify']);
      });
});

describe('github mode: reviewers asked through the outbox', () => {
  it('asks pr.reviewers and pr.teamReviewers once the PR is open; killed after asking, the next run asks nobody again', async () => {
    const { repo, server } = await inPr({ reviewers: ['octocat', 'hubot'], teamReviewers: ['justice-league'] });
    await putTemplate(repo);
    await (await stoppedDispatcher(repo, 'after-send', { action: 'request_reviewers', env: ENV })).kill9();
    assert.equal(server.creates['reviewers'], 1, 'the killed dispatcher asked them');
    assert.deepEqual(server.pulls[0]?.reviewers, ['octocat', 'hubot']);
    assert.deepEqual(server.pulls[0]?.teams, ['justice-league']);
    const run = await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
    assert.deepEqual(
      run.outcomes.filter((o) => o.action === 'request_reviewers').map((o) => o.outcome),
      ['found'],
    );
    assert.equal(server.creates['reviewers'], 1, 'nobody was asked twice');
    assert.deepEqual(server.duplicates, []);
    assert.deepEqual(server.mismatches, []);
    const entry = repo
      .ledger('T-1')
      .find((e) => e.kind === 'outbox' && e.data['action'] === 'request_reviewers' && e.data['result'] === 'found');
    assert.deepEqual(entry?.data['reviewers'], ['octocat', 'hubot']);
    assert.deepEqual(entry?.data['teams'], ['justice-league']);
    await repo.ok(['ledger', 'verify']);
  });

  it('refuses a reviewer that is not a login, naming the key, and changes nothing', async () => {
    const repo = await makeRepo({ config: (c) => void (c['pr'] = { mode: 'github', reviewers: ['--force'] }) });
    const err = await repo.refused(['task', 'start', 'T-1'], 'CONFIG_INVALID', 1);
    assert.match(err.message, /pr\.reviewers\.0.*a user login/);
    assert.equal(repo.task('T-1'), undefined);
  });
});
