/**
 * @module PR's CI read from GitHub end to end, through the command line, on one repository in PR: a forge that refuses
 * the token or stays down refuses the move without writing ci_results.json; a check still running when the time is up
 * refuses it, named; a forge that fails twice and then answers, and a check that completes green while the move waits
 * (progress on stderr), let it pass.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGitHubServer, type GitHubTestServer } from '../helpers/github-server.ts';
import { forgeInPr, putTemplate, spawnCli, type Dispatcher, type ForgeSetup, type Outcomes } from './outbox-fixture.ts';

const TOKEN = 'ghp_testtoken_ciwait_0123456789';
const ENV = { GITHUB_TOKEN: TOKEN };
const TIMEOUT_S = 4;

let setup: ForgeSetup<GitHubTestServer>;
before(async () => {
  setup = await forgeInPr({
    kind: 'github',
    pr: { ciTimeoutSeconds: TIMEOUT_S, ciPollSeconds: 0.2 },
    start: (bare) => startGitHubServer({ owner: 'acme', repo: 'widgets', bare }),
  });
  await putTemplate(setup.repo);
  const sent = await setup.repo.ok<Outcomes>(['outbox', 'run'], { env: ENV });
  assert.ok(sent.outcomes.some((o) => o.action === 'open_pr' && o.outcome === 'sent'));
});
after(async () => {
  await setup?.server.close();
});

type Refusal = { ok: false; error: { code: string; message: string; details: Record<string, unknown> } };

const ciFile = () => join(setup.repo.phaseDir('T-1', 'PR'), 'ci_results.json');

/** Waits until the command's output matches `line`; fails if it exits first. */
async function seen(d: Dispatcher, line: RegExp): Promise<void> {
  let gone = false;
  void d.exited.then(() => (gone = true));
  for (let i = 0; !line.test(d.output()); i++) {
    assert.ok(!gone && i < 1200, `never printed ${line}: ${d.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("PR's CI from the forge: waiting, progress and forge errors", () => {
  it('refuses at once when GitHub refuses the token, naming the token, and writes no ci_results.json', async () => {
    const { repo, server, commit } = setup;
    server.setCheckRuns(commit, [{ name: 'build', status: 'completed', conclusion: 'success' }]);
    const before = server.faulted.length;
    server.fail({ status: 401 });
    const r = await repo.json<Refusal>(['advance', 'T-1'], { env: ENV });
    server.clearFaults();
    assert.deepEqual([r.code, r.body.error.code, r.body.error.details['key']], [1, 'CONFIG_INVALID', 'forge-token']);
    assert.match(r.body.error.message, /\(401\).*CI checks of T-1 could not be read.*check the forge token/s);
    assert.doesNotMatch(r.stderr, /trying again/);
    assert.equal(server.faulted.length - before, 1, 'not retried');
    assert.equal(existsSync(ciFile()), false);
    assert.equal(repo.task('T-1')?.phase, 'PR');
  });

  it('retries a forge that stays down until the time is up, then refuses as unreadable, writing nothing', async () => {
    const { repo, server } = setup;
    const before = server.faulted.length;
    server.fail({ status: 500 });
    const r = await repo.json<Refusal>(['advance', 'T-1'], { env: ENV });
    server.clearFaults();
    assert.deepEqual(
      [r.body.error.code, r.body.error.details['reason']],
      ['EVIDENCE_INVALID', 'forge unreadable'],
      r.stdout,
    );
    assert.match(r.body.error.message, /GitHub could not be read \(tried for 4 s\).*says nothing about CI/s);
    assert.match(r.stderr, /\(500\).*trying again in 1 s \(0 s of 4 s\)/);
    assert.ok(server.faulted.length - before > 1, 'retried');
    assert.equal(existsSync(ciFile()), false);
    assert.equal(repo.task('T-1')?.phase, 'PR');
  });

  it('refuses a check still running when the time is up, naming it and what to do, writing nothing', async () => {
    const { repo, server, commit } = setup;
    server.setCheckRuns(commit, [{ name: 'build', status: 'in_progress' }]);
    const r = await repo.json<Refusal>(['advance', 'T-1'], { env: ENV });
    assert.deepEqual(
      [r.code, r.body.error.code, r.body.error.details['reason'], r.body.error.details['running']],
      [2, 'EVIDENCE_MISSING', 'checks still running', ['build']],
      r.stdout,
    );
    assert.match(r.body.error.message, /build \(still in_progress\) after 4 s of waiting/);
    assert.match(
      r.body.error.message,
      /wait for it to finish and advance again, or give CI more time in pr\.ciTimeoutSeconds/,
    );
    const lines = r.stderr.split('\n').filter((l) => l.includes('waiting for build'));
    assert.match(lines[0] ?? '', /waiting for build on https:\/\/github\.test\/acme\/widgets\/pull\/1 \(0 s of 4 s\)/);
    assert.match(lines.at(-1) ?? '', /of 4 s\)/);
    assert.equal(existsSync(ciFile()), false);
    assert.equal(repo.task('T-1')?.phase, 'PR');
  });

  it('rides out two forge errors, waits for a running check with progress, and passes once it completes green', async () => {
    const { repo, server, commit } = setup;
    server.setCheckRuns(commit, [{ name: 'build', status: 'queued' }]);
    const before = server.faulted.length;
    server.fail({ status: 500, times: 2 });
    const move = await spawnCli(repo, ['--json', 'advance', 'T-1'], ENV);
    await seen(move, /waiting for build on /);
    server.setCheckRuns(commit, [{ name: 'build', status: 'completed', conclusion: 'success' }]);
    assert.equal(await move.exited, 0, move.output());
    const out = move.output();
    // Order: the two failures retried, then the check waited for, then the move.
    const retried = [...out.matchAll(/\(500\).*trying again/g)].map((m) => m.index);
    assert.equal(retried.length, 2, out);
    assert.ok(
      retried.every((i) => i! < out.indexOf('waiting for build')),
      out,
    );
    const moved = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { from: string; to: string };
    assert.deepEqual([moved.from, moved.to], ['PR', 'MONITOR']);
    const ci = JSON.parse(readFileSync(ciFile(), 'utf8'));
    assert.deepEqual([ci.passed, ci.commit, ci.redChecks], [true, commit, '']);
    assert.equal(server.faulted.length - before, 2);
    assert.deepEqual(server.mismatches, []);
    await repo.ok(['ledger', 'verify']);
  });
});
