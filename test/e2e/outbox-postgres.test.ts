/**
 * @module The outbox on a real PostgreSQL store whose server dies in the middle of a dispatch: GitHub mode through
 * the command line, the dispatcher stopped right after it sent `open_pr` (or `comment`) to the validating GitHub test
 * server and before it recorded the result; the server is stopped with `pg_ctl stop -m immediate` (its postmaster and
 * every session gone at once, as a crash would), the dispatcher goes on and cannot record, the server comes back, and
 * the next run converges to exactly one pull request and one comment, with no duplicate create sent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binary, git, makeRepo, tempDir, type Repo } from './helpers.ts';
import { evidenceFor } from '../helpers/evidence.ts';
import { GITHUB_EVIDENCE } from '../../src/core/config.ts';
import { startGitHubServer, type GitHubTestServer } from '../helpers/github-server.ts';
import { findPgBin, startPostgres, type PgServer } from '../helpers/postgres.ts';

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
  const bare = join(tempDir('remote'), 'widgets.git');
  git(tempDir('x'), ['init', '-q', '--bare', '-b', 'main', bare]);
  const server = await startGitHubServer({ owner: 'acme', repo: 'widgets', bare });
  servers.push(server);
  const store = await pg.createDatabase();
  const repo = await makeRepo({
    config: (c) => {
      c['store'] = store;
      c['pr'] = { mode: 'github', repository: 'acme/widgets', apiUrl: server.url, ciTimeoutSeconds: 0 };
      (c['evidence'] as Record<string, unknown>)['PR'] = GITHUB_EVIDENCE['PR'];
    },
  });
  git(repo.dir, ['add', '-A']);
  git(repo.dir, ['commit', '-q', '-m', 'github mode on postgres']);
  git(repo.dir, ['remote', 'add', 'origin', `file://${bare}`]);
  git(repo.dir, ['push', '-q', 'origin', 'main']);
  git(repo.dir, ['switch', '-q', '-c', 'task/T-1']);
  await repo.driveTo('T-1', 'REVIEW');
  for (const [name, content] of evidenceFor(0)['REVIEW'] ?? []) await repo.put('T-1', 'REVIEW', name, content);
  git(repo.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
  git(repo.dir, ['commit', '-q', '-m', 'count words']);
  const commit = git(repo.dir, ['rev-parse', 'HEAD']).trim();
  assert.equal((await repo.ok<{ to: string }>(['advance', 'T-1'])).to, 'PR');
  const template = evidenceFor(0)['PR']?.find(([name]) => name === 'pr_template_filled.md')?.[1];
  assert.ok(template);
  const file = join(tempDir('pr'), 'pr_template_filled.md');
  writeFileSync(file, template);
  await repo.ok(['evidence', 'add', 'T-1', 'PR', file]);
  return { repo, server, commit };
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
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('NODE_TEST') && !k.startsWith('AUTOPILOT_')) env[k] = v;
  Object.assign(env, ENV, {
    AUTOPILOT_TEST_OUTBOX_PAUSE: 'after-send',
    AUTOPILOT_TEST_OUTBOX_PAUSE_ACTION: action,
    AUTOPILOT_TEST_OUTBOX_PAUSE_FILE: marker,
    AUTOPILOT_TEST_OUTBOX_RESUME_FILE: resume,
  });
  const child = spawn(process.execPath, [await binary(), '-C', repo.dir, 'outbox', 'run', '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  for (let i = 0; !existsSync(marker) || readFileSync(marker, 'utf8') === ''; i++) {
    assert.ok(i < 1200, `the dispatcher never reached after-send of ${action}: ${out}`);
    assert.equal(child.exitCode, null, `the dispatcher exited before after-send of ${action}: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await meanwhile();
  writeFileSync(resume, '');
  return { code: await exited, out };
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
