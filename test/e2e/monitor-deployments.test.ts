/**
 * @module MONITOR's deployments and the backtrack proposal end to end: a task taken through PR in github mode (real
 * bare repository, the GitHub test server that holds every request and answer to GitHub's OpenAPI description) waits
 * for its pull request to be merged and reads the deployments of the merge commit from GitHub; a forge that refuses the
 * token or is down refuses the move without proposing anything, and one that recovers is read; a deployment still running is waited for, a failed one refuses the
 * move out of MONITOR and proposes a backtrack to IMPLEMENT for a person. The proposal shows in `task status`, MCP's
 * task_status and the dashboard's approvals API; the agent cannot decide it; a person declining it leaves the task in
 * MONITOR; a health check (a real HTTP server) that turns unhealthy proposes again, and a person accepting it sends the
 * task back to IMPLEMENT.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, tempDir } from './helpers.ts';
import { callOk, connectStdio } from './mcp-helpers.ts';
import { evidenceFor } from '../helpers/evidence.ts';
import { GITHUB_EVIDENCE } from '../../src/core/config.ts';
import { startGitHubServer, type GitHubTestServer } from '../helpers/github-server.ts';
import { waitingApprovals } from '../../src/surfaces/http/read/approvals.ts';
import { forgeFor } from '../../src/surfaces/compose.ts';
import { readDeployments, releaseOfTask } from '../../src/engine/evidence/producers/deployments.ts';

const TOKEN = 'ghp_testtoken_monitor_0123456789';
const ENV = { GITHUB_TOKEN: TOKEN };

let health: Server;
let healthUrl = '';
let healthy = true;
let github: GitHubTestServer;

before(async () => {
  health = createServer((req, res) => {
    if (req.url !== '/health') return res.writeHead(404).end();
    if (healthy) res.writeHead(200).end('{"status":"ok"}');
    else res.writeHead(503).end('{"status":"down"}');
  });
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', () => r()));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;
});
after(async () => {
  await new Promise<void>((r) => health.close(() => r()));
  await github?.close();
});

type Proposal = { seq: number; request: number; to: string; reason: string; state: string; by?: string } | null;

describe('MONITOR: deployments from the forge, and the backtrack proposal', () => {
  it('waits for a running deployment, proposes a backtrack when it fails, and a person declines or accepts it', async () => {
    const bare = join(tempDir('remote'), 'widgets.git');
    git(tempDir('x'), ['init', '-q', '--bare', '-b', 'main', bare]);
    github = await startGitHubServer({ owner: 'acme', repo: 'widgets', bare });
    const repo = await makeRepo({
      config: (c) => {
        c['pr'] = { mode: 'github', repository: 'acme/widgets', apiUrl: github.url, ciTimeoutSeconds: 0 };
        (c['evidence'] as Record<string, unknown>)['PR'] = GITHUB_EVIDENCE['PR'];
        c['monitor'] = {
          deployments: { environments: ['production'], within: '1s', pollSeconds: 1 },
          health: [{ name: 'api', url: healthUrl, within: 0 }],
        };
      },
    });
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-q', '-m', 'github mode']);
    git(repo.dir, ['remote', 'add', 'origin', `file://${bare}`]);
    git(repo.dir, ['push', '-q', 'origin', 'main']);
    git(repo.dir, ['switch', '-q', '-c', 'task/T-1']);
    await repo.driveTo('T-1', 'REVIEW');
    for (const [name, content] of evidenceFor(0)['REVIEW'] ?? []) await repo.put('T-1', 'REVIEW', name, content);
    git(repo.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
    git(repo.dir, ['commit', '-q', '-m', 'count words']);
    const commit = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    await repo.ok(['advance', 'T-1']);
    const template = join(tempDir('pr'), 'pr_template_filled.md');
    writeFileSync(template, evidenceFor(0)['PR']!.find(([n]) => n === 'pr_template_filled.md')![1]);
    await repo.ok(['evidence', 'add', 'T-1', 'PR', template]);
    await repo.ok(['outbox', 'run'], { env: ENV });
    github.setCheckRuns(commit, [{ name: 'build', status: 'completed', conclusion: 'success' }]);
    await repo.ok(['advance', 'T-1'], { env: ENV });
    assert.equal(repo.task('T-1')?.phase, 'MONITOR');

    const proposals = () => repo.ledger('T-1').filter((e) => e.kind === 'backtrack_proposed');

    // Not merged yet: the merge is waited for with progress, then the move is refused with the pull request named, as
    // a release that has not happened (nothing proposed).
    const unmerged = await repo.json<{ error: { code: string; message: string } }>(['advance', 'T-1'], { env: ENV });
    assert.equal(unmerged.code, 2);
    assert.equal(unmerged.body.error.code, 'EVIDENCE_MISSING');
    assert.match(unmerged.stderr, /waiting for pull request #1 to be merged \(0 s of 1 s\)/);
    assert.match(unmerged.body.error.message, /pull request #1 \(https:\/\/github\.test\/acme\/widgets\/pull\/1\)/);
    assert.match(unmerged.body.error.message, /merge it and advance again, or give the merge more time/);
    assert.equal(proposals().length, 0);

    // Closed without a merge: refused at once (nothing to wait for), and nothing proposed: nothing was released.
    github.closePull(1);
    const closed = await repo.json<{ error: { code: string; message: string; details: Record<string, unknown> } }>(
      ['advance', 'T-1'],
      { env: ENV },
    );
    assert.deepEqual(
      [closed.code, closed.body.error.code, closed.body.error.details['reason']],
      [2, 'EVIDENCE_MISSING', 'closed unmerged'],
    );
    assert.match(closed.body.error.message, /pull request #1 .* was closed without a merge/);
    assert.doesNotMatch(closed.stderr, /waiting for pull request/);
    assert.equal(proposals().length, 0);

    // GitHub refuses the token: refused at once, not retried, as the token's problem; nothing proposed.
    github.fail({ status: 401 });
    const denied = await repo.json<{ error: { code: string; message: string; details: Record<string, unknown> } }>(
      ['advance', 'T-1'],
      { env: ENV },
    );
    assert.deepEqual(
      [denied.code, denied.body.error.code, denied.body.error.details['key']],
      [1, 'CONFIG_INVALID', 'forge-token'],
    );
    assert.match(denied.body.error.message, /\(401\).*check the forge token/s);
    assert.doesNotMatch(denied.stderr, /trying again/);
    assert.deepEqual(github.faulted, ['401 GET /repos/{owner}/{repo}/pulls/{pull_number}']);
    assert.equal(proposals().length, 0);
    github.clearFaults();

    // Merged on GitHub: a real merge commit in the bare repository, whose deployments are the release's. The task
    // branch's own commit has a successful deployment that must not count.
    const mainBefore = git(bare, ['rev-parse', 'main']).trim();
    const merge = github.mergePull(1);
    assert.deepEqual(git(bare, ['rev-list', '--parents', '-n', '1', merge]).trim().split(' ').slice(1), [
      mainBefore,
      commit,
    ]);
    github.setDeployments(commit, [{ environment: 'production', statuses: [{ state: 'success' }] }]);

    // GitHub is down the whole wait: retried with backoff, then refused; never an unhealthy release, nothing proposed.
    github.fail({ status: 500, operation: 'GET /repos/{owner}/{repo}/deployments' });
    const down = await repo.json<{ error: { code: string; message: string; details: Record<string, unknown> } }>(
      ['advance', 'T-1'],
      { env: ENV },
    );
    assert.deepEqual(
      [down.code, down.body.error.code, down.body.error.details['reason']],
      [2, 'EVIDENCE_INVALID', 'forge unreadable'],
    );
    assert.match(down.stderr, /GitHub listing deployments failed \(500\).*; trying again in 1 s \(0 s of 1 s\)/);
    assert.match(down.body.error.message, /says nothing about the deployment/);
    assert.equal(github.faulted.length, 3, 'the 401 and two tries of the deployments');
    assert.equal(proposals().length, 0);
    github.clearFaults();

    // Down once, then back: the retry reads the merge commit's deployment (in-process, to keep the task in MONITOR).
    github.setDeployments(merge, [{ environment: 'production', statuses: [{ state: 'success' }] }]);
    github.fail({ status: 503, times: 1, operation: 'GET /repos/{owner}/{repo}/deployments' });
    const lines: string[] = [];
    process.env['GITHUB_TOKEN'] = TOKEN;
    const recovered = await repo
      .withEngine(async (engine) => {
        const withForge = { ...engine, forge: forgeFor };
        const released = await releaseOfTask(withForge, 'T-1');
        const spec = { environments: ['production'], within: '1s', pollSeconds: 1 };
        return readDeployments(
          withForge,
          spec,
          { taskId: 'T-1', phase: 'MONITOR', commit: null, ...released },
          {
            progress: (l) => lines.push(l),
          },
        );
      })
      .finally(() => delete process.env['GITHUB_TOKEN']);
    assert.deepEqual([recovered.record.healthy, recovered.record.commit, recovered.release.pull], [true, merge, 1]);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /\(503\).*trying again in 1 s/);
    assert.equal(proposals().length, 0);

    // Still deploying when the wait ends (read after GitHub failed once): waited for with progress, then refused, named.
    github.setDeployments(merge, [{ environment: 'production', statuses: [{ state: 'in_progress' }] }]);
    github.fail({ status: 503, times: 1, operation: 'GET /repos/{owner}/{repo}/deployments' });
    const running = await repo.json<{ error: { code: string; message: string } }>(['advance', 'T-1'], { env: ENV });
    assert.equal(running.code, 2);
    assert.equal(running.body.error.code, 'EVIDENCE_INVALID');
    assert.match(running.stderr, /GitHub listing deployments failed \(503\).*trying again in 1 s \(0 s of 1 s\)/);
    assert.doesNotMatch(running.body.error.message, /503/, 'the refusal is about the deployment, read after the retry');
    assert.match(running.body.error.message, /production \(still in_progress when the wait ended\)/);
    assert.match(running.body.error.message, /A backtrack to IMPLEMENT is proposed/);

    // It failed: refused again, and the one proposal still waits (not a second one).
    github.setDeployments(merge, [
      { environment: 'production', statuses: [{ state: 'in_progress' }, { state: 'failure' }] },
    ]);
    const failed = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, { env: ENV });
    assert.match(failed.message, /production \(failure\)/);
    assert.equal(proposals().length, 1);
    const first = proposals()[0]!;
    assert.deepEqual([first.fromPhase, first.toPhase, first.actor], ['MONITOR', 'IMPLEMENT', 'autopilot']);
    assert.match(String(first.data['reason']), /production \(still in_progress when the wait ended\)/);
    assert.doesNotMatch(String(first.data['reason']), /503|GitHub/);
    assert.equal((failed.details['proposal'] as { seq: number }).seq, first.seq);
    const status = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'MONITOR'), 'deployment_status.json'), 'utf8'));
    assert.equal(status.healthy, false);
    assert.equal(status.deployments.forge, 'github');
    assert.equal(status.deployments.commit, merge);
    assert.equal(status.commit, merge);
    assert.deepEqual(status.commitSource, {
      kind: 'merge',
      why: 'merge commit of pull request #1',
      pull: 1,
      url: 'https://github.test/acme/widgets/pull/1',
    });
    assert.deepEqual(
      status.deployments.deployments.map((d: { environment: string; detail: string }) => [d.environment, d.detail]),
      [['production', 'failure']],
    );

    // Where it shows: task status, MCP's task_status, the dashboard's list of what waits for a person.
    const shown = await repo.ok<{ proposal: Proposal }>(['task', 'status', 'T-1']);
    assert.equal(shown.proposal?.state, 'waiting');
    assert.equal(shown.proposal?.to, 'IMPLEMENT');
    const mcp = await connectStdio(repo.dir);
    try {
      const viaMcp = await callOk<{ proposal: Proposal }>(mcp.client, 'task_status', { taskId: 'T-1' });
      assert.equal(viaMcp.proposal?.seq, first.seq);
    } finally {
      await mcp.close();
    }
    const waiting = await repo.withEngine((engine) => waitingApprovals(engine));
    assert.deepEqual(
      waiting.map((w) => [w.task.taskId, w.proposal, w.backtrackDefault]),
      [['T-1', first.seq, 'IMPLEMENT']],
    );

    // The agent cannot decide it: a terminal records nothing.
    await repo.refusedUnchanged(['approve', 'T-1', '--reason', 'looks fine'], 'APPROVAL_REQUIRED', 2, {
      taskId: 'T-1',
      violation: false,
    });

    // A person declines it: recorded, and the task stays in MONITOR.
    const declined = await repo.decide({ taskId: 'T-1', decision: 'approve', note: 'a rollout glitch, retrying' });
    assert.ok(declined.ok, JSON.stringify(declined));
    assert.equal(repo.task('T-1')?.phase, 'MONITOR');
    const after1 = await repo.ok<{ proposal: Proposal }>(['task', 'status', 'T-1']);
    assert.deepEqual([after1.proposal?.state, after1.proposal?.by], ['declined', 'tester']);

    // Deployed now, but the health check fails: a new proposal, which a person accepts.
    github.setDeployments(merge, [{ environment: 'production', statuses: [{ state: 'success' }] }]);
    healthy = false;
    const sick = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, { env: ENV });
    assert.match(sick.message, /api \(status 503, expected 200\)/);
    assert.doesNotMatch(sick.message, /production \(/, 'the deployment itself succeeded');
    assert.equal(proposals().length, 2);
    const second = proposals()[1]!;
    assert.match(String(second.data['reason']), /api \(status 503, expected 200\)/);
    const accepted = await repo.decide({
      taskId: 'T-1',
      decision: 'request_changes',
      backtrackTo: 'IMPLEMENT',
      note: 'the release broke the API: fix it',
    });
    assert.ok(accepted.ok && accepted.value.backtrack?.ok, JSON.stringify(accepted));
    assert.equal(repo.task('T-1')?.phase, 'IMPLEMENT');
    const back = repo.ledger('T-1').findLast((e) => e.kind === 'backtrack')!;
    assert.deepEqual([back.fromPhase, back.toPhase, back.actor], ['MONITOR', 'IMPLEMENT', 'person:tester']);
    assert.equal((await repo.ok<{ proposal: Proposal }>(['task', 'status', 'T-1'])).proposal, null);

    assert.deepEqual(github.mismatches, []);
    assert.ok(github.calls.includes('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses'));
    await repo.ok(['ledger', 'verify']);
  });
});
