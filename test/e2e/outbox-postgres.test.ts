/**
 * @module The outbox on a real PostgreSQL store whose server dies in the middle of a dispatch: GitHub mode through
 * the command line, the dispatcher stopped right after it sent `open_pr` (or `comment`) to the validating GitHub test
 * server and before it recorded the result; the server is stopped with `pg_ctl stop -m immediate` (its postmaster and
 * every session gone at once, as a crash would), the dispatcher goes on and cannot record, the server comes back, and
 * the next run converges to exactly one pull request and one comment, with no duplicate create sent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, type Repo } from './helpers.ts';
import { startGitHubServer, type GitHubTestServer } from '../helpers/github-server.ts';
import { findPgBin, startPostgres, type PgServer } from '../helpers/postgres.ts';
import { forgeInPr, pauseEnv, putTemplate, reached, spawnDispatcher } from './outbox-fixture.ts';

const ENV = { GITHUB_TOKEN: 'ghp_testtoken_pg_0123456789' };
let pg: PgServer;
const servers: GitHubTestServer[] = [];
before(async () => {
  assert.ok(findPgBin(), 'PostgreSQL server binaries are needed: apt-get install -y postgresql');
  // Durable commits: the test stops the server at once, and a commit the dispatcher was told of must survive it.
  pg = await startPostgres({ durable: true });
});
after(async () => {
  for (const s of servers) await s.close();
  await pg?.dispose();
});

/** A repository in github mode on a fresh PostgreSQL database, T-1 moved into PR with its template written. */
async function inPr(): Promise<{ repo: Repo; server: GitHubTestServer; commit: string }> {
  const store = await pg.createDatabase();
  const setup = await forgeInPr({
    kind: 'github',
    start: (bare) => startGitHubServer({ owner: 'acme', repo: 'widgets', bare }),
    config: (c) => void (c['store'] = store),
  });
  servers.push(setup.server);
  await putTemplate(setup.repo);
  return setup;
}

interface Row {
  key: string;
  action: string;
  state: string;
  resultSeq: number | null;
}

const rows = async (repo: Repo) => (await repo.ok<{ rows: Row[] }>(['outbox', 'list'])).rows;

/**
 * Runs `outbox run` stopped after it sent `action`; once it is there, calls `meanwhile`, then lets it go on and waits
 * for it to exit. Resolves to its exit code and output.
 */
async function dispatchAround(repo: Repo, action: string, meanwhile: () => Promise<void>) {
  const dir = tempDir('pause');
  const marker = join(dir, 'here');
  const resume = join(dir, 'go-on');
  const d = await spawnDispatcher(repo, {
    ...ENV,
    ...pauseEnv('after-send', marker, action),
    AUTOPILOT_TEST_OUTBOX_RESUME_FILE: resume,
  });
  await reached(d, marker, `after-send of ${action}`);
  await meanwhile();
  writeFileSync(resume, '');
  return { code: await d.exited, out: d.output() };
}

describe('the outbox on PostgreSQL, its server killed between send and record', () => {
  it('open_pr, then comment: nothing is recorded while the server is down, and the next run finds the effect; one PR, one comment', async () => {
    const { repo, server, commit } = await inPr();
    // Each create reaches the forge, then the store's server dies with every session, before the dispatcher records.
    for (const action of ['open_pr', 'comment'] as const) {
      const stopped = await dispatchAround(repo, action, async () => {
        assert.equal(action === 'open_pr' ? server.creates['pull'] : server.creates['comment'], 1);
        await pg.stopImmediate();
      });
      // The dispatcher could not record what it sent: it says so and fails, claiming nothing done.
      assert.notEqual(stopped.code, 0, stopped.out);
      assert.match(stopped.out, /cannot be reached|lost the connection/);
      await pg.start();
      const left = (await rows(repo)).find((r) => r.action === action);
      assert.equal(left?.state, 'sending', `${action} is still held by the dispatcher that died`);
      assert.equal(left?.resultSeq, null);
      if (action === 'open_pr') {
        assert.equal((await rows(repo)).filter((r) => r.action === 'comment').length, 0, 'nothing decided after it');
        // The next run finds the pull request, records it, and stops after sending the comment (the next crash).
        continue;
      }
      const run = await repo.ok<{ outcomes: { action: string; outcome: string }[] }>(['outbox', 'run'], { env: ENV });
      assert.deepEqual(
        run.outcomes.map((o) => [o.action, o.outcome]),
        [
          ['comment', 'found'],
          ['status', 'sent'],
        ],
      );
    }
    // The open_pr row was found by the run that then died after sending the comment.
    const opened = (await rows(repo)).find((r) => r.action === 'open_pr');
    assert.equal(opened?.state, 'sent');
    // Exactly one pull request and one comment, and no create was sent twice.
    assert.equal(server.pulls.length, 1);
    assert.equal(server.comments.length, 1);
    assert.equal(server.creates['pull'], 1);
    assert.equal(server.creates['comment'], 1);
    assert.deepEqual(server.duplicates, []);
    assert.deepEqual(server.mismatches, []);
    assert.equal(server.pulls[0]?.headSha, commit);
    assert.deepEqual((await rows(repo)).map((r) => [r.action, r.state]).sort(), [
      ['comment', 'sent'],
      ['open_pr', 'sent'],
      ['push', 'sent'],
      ['status', 'sent'],
    ]);
    assert.equal(
      readFileSync(join(repo.phaseDir('T-1', 'PR'), 'pr_url.txt'), 'utf8'),
      'https://github.test/acme/widgets/pull/1\n',
    );
    // And again: nothing more happens, and the chain on the server verifies.
    assert.deepEqual((await repo.ok<{ outcomes: unknown[] }>(['outbox', 'run'], { env: ENV })).outcomes, []);
    assert.equal(server.creates['pull'], 1);
    assert.equal(server.creates['comment'], 1);
    await repo.ok(['ledger', 'verify']);
  });
});
