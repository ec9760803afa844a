/**
 * @module GitLab and Gitea mode end to end, through the command line, one suite written once for both: entering PR
 * decides the push, `outbox run` pushes the task branch to a real bare repository (file://), opens the merge or pull
 * request on a test server that holds every request and response to the forge's API description, posts the
 * evidence comment, sets the commit status and asks the configured reviewers; pr_url.txt is the server's answer,
 * ci_results.json its CI (a red check fails the move out of PR, named). A dispatcher killed with SIGKILL before,
 * during (the forge made the change, its answer never came) or after sending open_pr or comment is followed by one
 * that converges to exactly one pull request and one comment; one killed before, during or after asking the
 * reviewers, by one that leaves each reviewer asked exactly once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, type Repo } from './helpers.ts';
import { commentMarker } from '../../src/core/forge.ts';
import { startGitLabServer, type GitLabTestServer } from '../helpers/gitlab-server.ts';
import { startGiteaServer, type GiteaTestServer } from '../helpers/gitea-server.ts';
import {
  forgeInPr,
  prTemplate,
  putTemplate,
  recordedSends,
  killedDuringSend,
  stoppedDispatcher,
  type Outcomes,
} from './outbox-fixture.ts';

type Server = GitLabTestServer | GiteaTestServer;

interface ForgeCase {
  readonly kind: 'gitlab' | 'gitea';
  readonly tokenVar: string;
  readonly start: (bare: string) => Promise<Server>;
  /** The URL of the first pull request the server opens. */
  readonly pullUrl: (server: Server) => string;
  /** The forge's word for a red job or status. */
  readonly red: string;
  /** The reviewers this forge can be asked for (GitLab has no team reviewers; Gitea has). */
  readonly reviewers: { readonly reviewers: string[]; readonly teamReviewers?: string[] };
  /** Whether a request to the forge is the one that sends the action's effect. */
  readonly sends: Readonly<
    Record<'open_pr' | 'comment' | 'request_reviewers', (where: string, body: Record<string, unknown>) => boolean>
  >;
}

const CASES: Readonly<Record<'gitlab' | 'gitea', ForgeCase>> = {
  gitlab: {
    kind: 'gitlab',
    tokenVar: 'GITLAB_TOKEN',
    start: (bare) => startGitLabServer({ owner: 'acme', repo: 'widgets', bare }),
    pullUrl: (s) => `${s.url}/acme/widgets/-/merge_requests/1`,
    red: 'failed',
    reviewers: { reviewers: ['octocat', 'hubot'] },
    sends: {
      open_pr: (where) => where === 'POST /projects/{id}/merge_requests',
      comment: (where) => where === 'POST /projects/{id}/merge_requests/{merge_request_iid}/notes',
      request_reviewers: (where, body) =>
        where === 'PUT /projects/{id}/merge_requests/{merge_request_iid}' && Array.isArray(body['reviewer_ids']),
    },
  },
  gitea: {
    kind: 'gitea',
    tokenVar: 'GITEA_TOKEN',
    start: (bare) => startGiteaServer({ owner: 'acme', repo: 'widgets', bare }),
    pullUrl: (s) => `${s.url}/acme/widgets/pulls/1`,
    red: 'failure',
    reviewers: { reviewers: ['octocat'], teamReviewers: ['core'] },
    sends: {
      open_pr: (where) => where === 'POST /repos/{owner}/{repo}/pulls',
      comment: (where) => where === 'POST /repos/{owner}/{repo}/issues/{index}/comments',
      request_reviewers: (where) => where === 'POST /repos/{owner}/{repo}/pulls/{index}/requested_reviewers',
    },
  },
};

const TOKEN = 'forge-testtoken-e2e-0123456789';

/** Registers the suite of one forge. */
export function forgeSuite(kind: 'gitlab' | 'gitea'): void {
  const c = CASES[kind];
  const ENV = { [c.tokenVar]: TOKEN };
  const servers: Server[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  /** A repository in this forge's mode, its origin a bare remote, T-1 moved into PR on task/T-1, work committed. */
  async function inPr(pr: Record<string, unknown> = {}): Promise<{ repo: Repo; server: Server; commit: string }> {
    const setup = await forgeInPr({ kind, pr, start: c.start });
    servers.push(setup.server);
    return setup;
  }

  describe(`${kind} mode: the pull request through the outbox`, () => {
    it('pushes, opens it with the template and the evidence summary, comments, sets the status, asks the reviewers, and gates on CI', async () => {
      const { repo, server, commit } = await inPr(c.reviewers);

      // Before the template is written: the push goes out, the pull request waits for it (not a failure).
      const first = await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
      assert.deepEqual(
        first.outcomes.map((o) => [o.action, o.outcome]),
        [
          ['push', 'sent'],
          ['open_pr', 'waiting'],
        ],
      );
      assert.equal(server.pulls.length, 0);

      // The agent cannot hand in a PR URL of its own.
      const fake = join(tempDir('fake'), 'pr_url.txt');
      writeFileSync(fake, 'https://gitlab.com/example/x/-/merge_requests/1\n');
      await repo.refused(['evidence', 'add', 'T-1', 'PR', fake], 'EVIDENCE_PROTECTED', 2);

      await putTemplate(repo);
      const second = await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
      assert.deepEqual(
        second.outcomes.map((o) => [o.action, o.outcome]),
        [
          ['open_pr', 'sent'],
          ['comment', 'sent'],
          ['request_reviewers', 'sent'],
          ['status', 'sent'],
        ],
      );
      assert.equal(server.pulls.length, 1);
      const pr = server.pulls[0]!;
      assert.equal(pr.reviewers.length, c.reviewers.reviewers.length);
      if ('teams' in pr) assert.deepEqual(pr.teams, ['core']);
      assert.deepEqual([pr.head, pr.headSha, pr.base], ['task/T-1', commit, 'main']);
      assert.ok(pr.body.startsWith(prTemplate().trimEnd()), 'the body opens with the agent template');
      assert.match(pr.body, /Phases passed: STRATEGIZE → SPEC → PLAN → THINK → IMPLEMENT → VERIFY → REVIEW/);
      assert.equal(server.comments.length, 1);
      assert.ok(server.comments[0]?.body.startsWith(commentMarker('T-1')));
      assert.deepEqual(
        server.statuses.map((s) => [s.sha, s.context, s.state]),
        [[commit, 'autopilot/evidence', 'success']],
      );
      const url = readFileSync(join(repo.phaseDir('T-1', 'PR'), 'pr_url.txt'), 'utf8');
      assert.equal(url, `${c.pullUrl(server)}\n`);

      // A second run finds everything there: nothing is created again.
      await repo.ok(['outbox', 'run'], { env: ENV });
      assert.deepEqual(server.creates, { pull: 1, comment: 1, status: 1, reviewers: 1 });

      // CI: the required check is red on the head commit: the move out of PR is refused, naming it.
      server.setChecks(commit, [
        { name: 'build', result: 'failure' },
        { name: 'docs', result: 'success' },
      ]);
      const red = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, { env: ENV });
      assert.match(red.message, new RegExp(`build \\(${c.red}\\)`));
      server.setChecks(commit, [{ name: 'docs', result: 'success' }]);
      const missing = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, { env: ENV });
      assert.match(missing.message, /build \(missing\)/);
      server.setChecks(commit, [{ name: 'build', result: 'success' }]);
      const done = await repo.ok<{ from: string; to: string }>(['advance', 'T-1'], { env: ENV });
      assert.deepEqual([done.from, done.to], ['PR', 'MONITOR']);
      const ci = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'PR'), 'ci_results.json'), 'utf8'));
      assert.deepEqual([ci.source, ci.forge, ci.passed, ci.commit], ['forge', kind, true, commit]);

      // Every request and answer matched the description, each with the token, and nothing twice.
      assert.deepEqual(server.mismatches, []);
      assert.deepEqual(server.duplicates, []);
      const auth = kind === 'gitlab' ? TOKEN : `token ${TOKEN}`;
      assert.ok(server.auth.length > 0 && server.auth.every((a) => a === auth));
      assert.ok(!JSON.stringify(repo.ledger('T-1')).includes(TOKEN), 'the token is not in the ledger');
      await repo.ok(['ledger', 'verify']);
    });

    it(`stops a forge row for a person when there is no token, and names ${c.tokenVar}`, async () => {
      const { repo, server } = await inPr();
      await putTemplate(repo);
      const r = await repo.json<Outcomes>(['outbox', 'run']);
      assert.equal(r.code, 2);
      const pr = r.body.outcomes.find((o) => o.action === 'open_pr');
      assert.equal(pr?.outcome, 'stopped');
      assert.match(pr?.error ?? '', new RegExp(`no forge token: set AUTOPILOT_FORGE_TOKEN \\(or ${c.tokenVar}\\)`));
      assert.equal(server.pulls.length, 0);

      // An operator drops the stopped row: it is recorded, and no later run sends it, token or not.
      await repo.ok(['outbox', 'drop', pr!.key, '--reason', 'this repository has no forge account']);
      const rows = (await repo.ok<{ rows: { key: string; state: string }[] }>(['outbox', 'list'])).rows;
      assert.equal(rows.find((r) => r.key === pr!.key)?.state, 'dropped');
      const dropped = repo.ledger('T-1').at(-1);
      assert.deepEqual(
        [dropped?.kind, dropped?.data['result'], dropped?.data['action']],
        ['outbox', 'dropped', 'open_pr'],
      );
      assert.deepEqual((await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV })).outcomes, []);
      assert.equal(server.pulls.length, 0);
      assert.equal(server.creates['pull'], 0);
    });
  });

  describe(`the ${kind} dispatcher killed with SIGKILL`, () => {
    for (const action of ['open_pr', 'comment'] as const)
      for (const point of ['before-send', 'during-send', 'after-send'] as const)
        it(`${action}, ${point}: the next run converges to one pull request and one comment`, async () => {
          const { repo, server } = await inPr();
          await putTemplate(repo);
          if (point === 'during-send') await killedDuringSend(repo, server, c.sends[action], ENV);
          else await (await stoppedDispatcher(repo, point, { action, env: ENV })).kill9();
          const sentBefore = action === 'open_pr' ? server.creates['pull'] : server.creates['comment'];
          assert.equal(sentBefore, point === 'before-send' ? 0 : 1);
          const run = await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
          assert.equal(
            run.outcomes.find((o) => o.action === action)?.outcome,
            point === 'before-send' ? 'sent' : 'found',
          );
          assert.equal(server.pulls.length, 1);
          assert.equal(server.comments.length, 1);
          assert.equal(server.creates['pull'], 1);
          assert.equal(server.creates['comment'], 1);
          assert.deepEqual(server.duplicates, []);
          assert.deepEqual(server.mismatches, []);
          const recorded = recordedSends(repo).map((e) => e.data['action']);
          assert.deepEqual([...recorded].sort(), ['comment', 'open_pr', 'push', 'status']);
          await repo.ok(['outbox', 'run'], { env: ENV });
          assert.equal(server.creates['pull'], 1);
          assert.equal(server.creates['comment'], 1);
          await repo.ok(['ledger', 'verify']);
        });
  });

  describe(`the ${kind} dispatcher killed with SIGKILL while asking the reviewers`, () => {
    for (const point of ['before-send', 'during-send', 'after-send'] as const)
      it(`request_reviewers, ${point}: the next run converges to one request per reviewer, none sent twice`, async () => {
        const { repo, server } = await inPr(c.reviewers);
        await putTemplate(repo);
        // During: the forge takes the request and makes the change; its answer never reaches the dispatcher, killed first.
        if (point === 'during-send') await killedDuringSend(repo, server, c.sends.request_reviewers, ENV);
        else await (await stoppedDispatcher(repo, point, { action: 'request_reviewers', env: ENV })).kill9();
        assert.equal(server.creates['reviewers'], point === 'before-send' ? 0 : 1);
        assert.equal(
          recordedSends(repo).filter((e) => e.data['action'] === 'request_reviewers').length,
          0,
          'the killed dispatcher recorded nothing of it',
        );

        const run = await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
        assert.deepEqual(
          run.outcomes.filter((o) => o.action === 'request_reviewers').map((o) => o.outcome),
          [point === 'before-send' ? 'sent' : 'found'],
        );
        // Each reviewer asked once, by one request, and the server saw no request twice.
        const pr = server.pulls[0]!;
        assert.equal(server.pulls.length, 1);
        assert.equal(server.creates['reviewers'], 1);
        assert.equal(pr.reviewers.length, c.reviewers.reviewers.length);
        assert.equal(new Set<unknown>(pr.reviewers).size, pr.reviewers.length);
        if ('teams' in pr) assert.deepEqual(pr.teams, c.reviewers.teamReviewers);
        assert.deepEqual(server.duplicates, []);
        assert.deepEqual(server.mismatches, []);
        const asked = recordedSends(repo).filter((e) => e.data['action'] === 'request_reviewers');
        assert.equal(asked.length, 1);
        assert.deepEqual(asked[0]?.data['reviewers'], c.reviewers.reviewers);
        // And again: nobody is asked any more.
        await repo.ok(['outbox', 'run'], { env: ENV });
        assert.equal(server.creates['reviewers'], 1);
        assert.deepEqual(server.duplicates, []);
        await repo.ok(['ledger', 'verify']);
      });
  });
}
