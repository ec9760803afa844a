/**
 * @module GitLab and Gitea mode end to end, through the command line, one suite written once for both: entering PR
 * decides the push, `outbox run` pushes the task branch to a real bare repository (file://), opens the merge or pull
 * request on a test server that holds every request and response to the forge's API description, posts the
 * evidence comment, sets the commit status and asks the configured reviewers; pr_url.txt is the server's answer,
 * ci_results.json its CI (a red check fails the move out of PR, named). A dispatcher killed with SIGKILL before or
 * after sending open_pr or comment is followed by one that converges to exactly one pull request and one comment.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binary, git, makeRepo, tempDir, type Repo } from './helpers.ts';
import { evidenceFor } from '../helpers/evidence.ts';
import { FORGE_EVIDENCE } from '../../src/core/config.ts';
import { commentMarker } from '../../src/core/forge.ts';
import { startGitLabServer, type GitLabTestServer } from '../helpers/gitlab-server.ts';
import { startGiteaServer, type GiteaTestServer } from '../helpers/gitea-server.ts';

type Server = GitLabTestServer | GiteaTestServer;

interface ForgeCase {
  readonly kind: 'gitlab' | 'gitea';
  readonly tokenVar: string;
  readonly start: (bare: string) => Promise<Server>;
  /** The URL of the first pull request the server opens. */
  readonly pullUrl: (server: Server) => string;
  /** The forge's word for a red job or status. */
  readonly red: string;
}

const CASES: Readonly<Record<'gitlab' | 'gitea', ForgeCase>> = {
  gitlab: {
    kind: 'gitlab',
    tokenVar: 'GITLAB_TOKEN',
    start: (bare) => startGitLabServer({ owner: 'acme', repo: 'widgets', bare }),
    pullUrl: (s) => `${s.url}/acme/widgets/-/merge_requests/1`,
    red: 'failed',
  },
  gitea: {
    kind: 'gitea',
    tokenVar: 'GITEA_TOKEN',
    start: (bare) => startGiteaServer({ owner: 'acme', repo: 'widgets', bare }),
    pullUrl: (s) => `${s.url}/acme/widgets/pulls/1`,
    red: 'failure',
  },
};

const TOKEN = 'forge-testtoken-e2e-0123456789';

type Outcomes = { outcomes: { key: string; action: string; outcome: string; error?: string }[] };

const TEMPLATE = (): string => {
  const t = evidenceFor(0)['PR']?.find(([name]) => name === 'pr_template_filled.md')?.[1];
  assert.ok(t);
  return t;
};

async function putTemplate(repo: Repo): Promise<void> {
  const file = join(tempDir('pr'), 'pr_template_filled.md');
  writeFileSync(file, TEMPLATE());
  await repo.ok(['evidence', 'add', 'T-1', 'PR', file]);
}

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
    const bare = join(tempDir('remote'), 'widgets.git');
    git(tempDir('x'), ['init', '-q', '--bare', '-b', 'main', bare]);
    const server = await c.start(bare);
    servers.push(server);
    const repo = await makeRepo({
      config: (cfg) => {
        cfg['pr'] = {
          mode: kind,
          repository: 'acme/widgets',
          apiUrl: server.url,
          requiredChecks: ['build'],
          ciTimeoutSeconds: 0,
          ...pr,
        };
        (cfg['evidence'] as Record<string, unknown>)['PR'] = FORGE_EVIDENCE['PR'];
      },
    });
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-q', '-m', `${kind} mode`]);
    git(repo.dir, ['remote', 'add', 'origin', `file://${bare}`]);
    git(repo.dir, ['push', '-q', 'origin', 'main']);
    git(repo.dir, ['switch', '-q', '-c', 'task/T-1']);
    await repo.driveTo('T-1', 'REVIEW');
    for (const [name, content] of evidenceFor(0)['REVIEW'] ?? []) await repo.put('T-1', 'REVIEW', name, content);
    git(repo.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
    git(repo.dir, ['commit', '-q', '-m', 'count words']);
    const commit = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    const moved = await repo.ok<{ to: string; outbox: string; seq: number }>(['advance', 'T-1']);
    assert.equal(moved.to, 'PR');
    assert.equal(moved.outbox, `T-1@${moved.seq}:push`);
    return { repo, server, commit };
  }

  /** Spawns `outbox run` stopped at `point` of `action`, and kills it with SIGKILL there. */
  async function killedAt(repo: Repo, point: 'before-send' | 'after-send', action: string): Promise<void> {
    const marker = join(tempDir('pause'), 'here');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('NODE_TEST') && !k.startsWith('AUTOPILOT_')) env[k] = v;
    Object.assign(env, ENV, {
      AUTOPILOT_TEST_OUTBOX_PAUSE: point,
      AUTOPILOT_TEST_OUTBOX_PAUSE_ACTION: action,
      AUTOPILOT_TEST_OUTBOX_PAUSE_FILE: marker,
    });
    const child = spawn(process.execPath, [await binary(), '-C', repo.dir, 'outbox', 'run'], {
      env,
      detached: true,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    for (let i = 0; !existsSync(marker) || readFileSync(marker, 'utf8') === ''; i++) {
      assert.ok(i < 1200, `the dispatcher never reached ${point} of ${action}`);
      assert.equal(child.exitCode, null, `the dispatcher exited before ${point} of ${action}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }

  describe(`${kind} mode: the pull request through the outbox`, () => {
    it('pushes, opens it with the template and the evidence summary, comments, sets the status, asks the reviewers, and gates on CI', async () => {
      // GitLab has no team reviewers; Gitea has.
      const asked =
        kind === 'gitlab' ? { reviewers: ['octocat', 'hubot'] } : { reviewers: ['octocat'], teamReviewers: ['core'] };
      const { repo, server, commit } = await inPr(asked);

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
      assert.equal(pr.reviewers.length, kind === 'gitlab' ? 2 : 1);
      if ('teams' in pr) assert.deepEqual(pr.teams, ['core']);
      assert.deepEqual([pr.head, pr.headSha, pr.base], ['task/T-1', commit, 'main']);
      assert.ok(pr.body.startsWith(TEMPLATE().trimEnd()), 'the body opens with the agent template');
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
    });
  });

  describe(`the ${kind} dispatcher killed with SIGKILL`, () => {
    for (const action of ['open_pr', 'comment'] as const)
      for (const point of ['before-send', 'after-send'] as const)
        it(`${action}, ${point}: the next run converges to one pull request and one comment`, async () => {
          const { repo, server } = await inPr();
          await putTemplate(repo);
          await killedAt(repo, point, action);
          const sentBefore = action === 'open_pr' ? server.creates['pull'] : server.creates['comment'];
          assert.equal(sentBefore, point === 'after-send' ? 1 : 0);
          const run = await repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
          assert.equal(
            run.outcomes.find((o) => o.action === action)?.outcome,
            point === 'after-send' ? 'found' : 'sent',
          );
          assert.equal(server.pulls.length, 1);
          assert.equal(server.comments.length, 1);
          assert.equal(server.creates['pull'], 1);
          assert.equal(server.creates['comment'], 1);
          assert.deepEqual(server.duplicates, []);
          assert.deepEqual(server.mismatches, []);
          const recorded = repo
            .ledger('T-1')
            .filter((e) => e.kind === 'outbox' && ['sent', 'found'].includes(String(e.data['result'])))
            .map((e) => e.data['action']);
          assert.deepEqual([...recorded].sort(), ['comment', 'open_pr', 'push', 'status']);
          await repo.ok(['outbox', 'run'], { env: ENV });
          assert.equal(server.creates['pull'], 1);
          assert.equal(server.creates['comment'], 1);
          await repo.ok(['ledger', 'verify']);
        });
  });
}
