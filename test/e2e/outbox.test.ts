/**
 * @module Git-only mode and the outbox end to end: entering PR decides a push of the task branch, `autopilot outbox
 * run` performs it against a real bare repository over file:// and through a real `git daemon` on 127.0.0.1 (git://),
 * and a dispatcher killed with SIGKILL before the push, during it and after it (before recording) is followed by one
 * that converges to exactly one effect. The dispatchers of `serve` and the hook daemon send a decision as soon as it
 * is recorded, and two of them racing, or one killed holding a row, still send it once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binary, git, makeRepo, tempDir, type Repo } from './helpers.ts';
import { reached, recordedSends, spawnDispatcher, stoppedDispatcher, type Dispatcher } from './outbox-fixture.ts';
import { evidenceFor } from '../helpers/evidence.ts';
import { GIT_ONLY_EVIDENCE } from '../../src/core/config.ts';
import { daemonRunning, stopDaemon } from '../../src/surfaces/hooks/daemon.ts';

/**
 * Git-only mode, as a person switches it on: `pr.mode: git`, and PR's contract asks for Autopilot's
 * pushed_commit.json where it asked for a PR URL (a config that still asks for pr_url.txt is refused).
 */
function gitOnly(c: Record<string, unknown>): void {
  c['pr'] = { mode: 'git' };
  const evidence = c['evidence'] as Record<string, { name: string }[]>;
  const rule = GIT_ONLY_EVIDENCE['PR']?.find((r) => r.name === 'pushed_commit.json');
  assert.ok(rule);
  evidence['PR'] = [...(evidence['PR'] ?? []).filter((r) => r.name !== 'pr_url.txt'), rule];
}

interface Remote {
  readonly dir: string;
  /** Connections that could push (each `git push` starts one receive-pack): the sends. */
  sends(): number;
  /** Ref updates the remote accepted (its post-receive hook's lines): the effects. */
  effects(): string[];
  ref(branch: string): string | null;
}

/**
 * A bare repository holding `main`, with a receive-pack wrapper that counts every push connection and a
 * post-receive hook that logs every ref update (and stops, when the test asks, after the update: "during the send").
 */
function bareRemote(): Remote {
  const dir = tempDir('remote');
  git(dir, ['init', '-q', '--bare', '-b', 'main']);
  const sendsLog = join(dir, 'sends.log');
  const effectsLog = join(dir, 'effects.log');
  writeFileSync(
    join(dir, 'hooks', 'post-receive'),
    `#!/bin/sh
while read old new ref; do echo "$ref $new" >> '${effectsLog}'; done
if [ -n "$OUTBOX_TEST_HOOK_PAUSE" ]; then echo $$ > "$OUTBOX_TEST_HOOK_PAUSE"; while true; do sleep 1; done; fi
`,
  );
  chmodSync(join(dir, 'hooks', 'post-receive'), 0o755);
  const wrapper = join(dir, 'counting-receive-pack');
  writeFileSync(wrapper, `#!/bin/sh\necho send >> '${sendsLog}'\nexec git-receive-pack "$@"\n`);
  chmodSync(wrapper, 0o755);
  const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
  return {
    dir,
    sends: () => lines(sendsLog).length,
    effects: () => lines(effectsLog),
    ref: (branch) => {
      try {
        return git(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).trim();
      } catch {
        return null;
      }
    },
  };
}

interface Setup {
  readonly repo: Repo;
  readonly remote: Remote;
  /** The commit the move into PR decided to push. */
  readonly commit: string;
  readonly key: string;
}

/**
 * A repository in git-only mode whose origin is a fresh bare remote holding main, with T-1 on `branch`, its work
 * committed, moved into PR by the CLI. The counting wrapper is wired after main was pushed, so sends start at 0.
 */
async function inPr(branch = 'task/T-1'): Promise<Setup> {
  const ready = await readyForPr(branch);
  const moved = await ready.repo.ok<{ to: string; outbox: string; seq: number }>(['advance', 'T-1']);
  assert.equal(moved.to, 'PR');
  assert.equal(moved.outbox, `T-1@${moved.seq}:push`);
  return { ...ready, key: moved.outbox };
}

/** As {@link inPr}, one step before: T-1 in REVIEW with its evidence and its work committed, nothing decided yet. */
async function readyForPr(branch = 'task/T-1'): Promise<Omit<Setup, 'key'>> {
  const repo = await makeRepo({ config: gitOnly });
  const remote = bareRemote();
  git(repo.dir, ['add', '-A']);
  git(repo.dir, ['commit', '-q', '-m', 'git-only mode']);
  git(repo.dir, ['remote', 'add', 'origin', `file://${remote.dir}`]);
  git(repo.dir, ['push', '-q', 'origin', 'main']);
  git(repo.dir, ['config', 'remote.origin.receivepack', join(remote.dir, 'counting-receive-pack')]);
  rmSync(join(remote.dir, 'effects.log'), { force: true });
  if (branch !== 'main') git(repo.dir, ['switch', '-q', '-c', branch]);
  await inReview(repo);
  git(repo.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
  git(repo.dir, ['commit', '-q', '-m', 'count words']);
  const commit = git(repo.dir, ['rev-parse', 'HEAD']).trim();
  return { repo, remote, commit };
}

/** T-1 driven into REVIEW with its REVIEW evidence put: ready to move into PR. */
async function inReview(repo: Repo): Promise<void> {
  await repo.driveTo('T-1', 'REVIEW');
  for (const [name, content] of evidenceFor(0)['REVIEW'] ?? []) await repo.put('T-1', 'REVIEW', name, content);
}

interface Row {
  key: string;
  state: string;
  attempts: number;
  payload: Record<string, unknown>;
  lastError: string | null;
  resultSeq: number | null;
  nextAt: string;
}

async function rows(repo: Repo): Promise<Row[]> {
  return (await repo.ok<{ rows: Row[] }>(['outbox', 'list'])).rows;
}

describe('git-only mode: the push of the task branch through the outbox', () => {
  it('decides one push on entering PR, sends it to the bare remote, and records the pushed commit as PR evidence', async () => {
    const { repo, remote, commit, key } = await inPr();
    // Decided with the move, not sent: the remote has no task branch yet.
    const [row] = await rows(repo);
    assert.equal(row?.key, key);
    assert.equal(row?.state, 'pending');
    assert.deepEqual(row?.payload, { remote: 'origin', branch: 'task/T-1', commit, phase: 'PR' });
    assert.equal(remote.ref('task/T-1'), null);

    // PR's gate in git-only mode needs Autopilot's pushed_commit.json, and no made-up PR URL.
    const template = evidenceFor(0)['PR']?.find(([name]) => name === 'pr_template_filled.md');
    assert.ok(template);
    const file = join(tempDir('pr'), 'pr_template_filled.md');
    writeFileSync(file, template[1]);
    await repo.ok(['evidence', 'add', 'T-1', 'PR', file]);
    const missing = await repo.refused(['advance', 'T-1'], 'EVIDENCE_MISSING', 2);
    const files = (missing.details['findings'] as { file: string }[]).map((f) => f.file);
    assert.ok(
      files.some((f) => f.endsWith('pushed_commit.json')),
      JSON.stringify(files),
    );
    assert.ok(!files.some((f) => f.endsWith('pr_url.txt')), JSON.stringify(files));

    const run = await repo.ok<{ outcomes: { key: string; outcome: string; seq: number }[] }>(['outbox', 'run']);
    assert.deepEqual(
      run.outcomes.map((o) => [o.key, o.outcome]),
      [[key, 'sent']],
    );
    assert.equal(remote.ref('task/T-1'), commit);
    assert.equal(remote.sends(), 1);
    assert.deepEqual(remote.effects(), [`refs/heads/task/T-1 ${commit}`]);
    assert.equal(remote.ref('main'), git(repo.dir, ['rev-parse', 'main']).trim(), 'main is untouched');
    const evidence = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'PR'), 'pushed_commit.json'), 'utf8'));
    assert.equal(evidence.pushed, true);
    assert.equal(evidence.commit, commit);
    assert.equal(evidence.branch, 'task/T-1');
    const [entry] = recordedSends(repo);
    assert.equal(entry?.seq, run.outcomes[0]?.seq);
    assert.equal(entry?.artifacts[0]?.path, 'evidence/T-1/pr/pushed_commit.json');
    assert.equal(entry?.artifacts[0]?.producer, 'autopilot');

    // Nothing is due any more: a second run sends nothing.
    const again = await repo.json(['outbox', 'run']);
    assert.equal(again.code, 0);
    assert.deepEqual(again.body['outcomes'], []);
    assert.equal(remote.sends(), 1);
    assert.equal((await rows(repo))[0]?.state, 'sent');

    // The agent cannot hand the file in itself, and the move out of PR passes on Autopilot's.
    const fake = join(tempDir('fake'), 'pushed_commit.json');
    writeFileSync(fake, '{"pushed": true}\n');
    await repo.refused(['evidence', 'add', 'T-1', 'PR', fake], 'EVIDENCE_PROTECTED', 2);
    const done = await repo.ok<{ from: string; to: string }>(['advance', 'T-1']);
    assert.deepEqual([done.from, done.to], ['PR', 'MONITOR']);
    await repo.ok(['ledger', 'verify']);
  });

  it('refuses to decide a push from the default branch, and changes nothing', async () => {
    const repo = await makeRepo({ config: gitOnly });
    const remote = bareRemote();
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-q', '-m', 'git-only mode']);
    git(repo.dir, ['remote', 'add', 'origin', `file://${remote.dir}`]);
    git(repo.dir, ['push', '-q', 'origin', 'main']);
    await inReview(repo);
    git(repo.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
    git(repo.dir, ['commit', '-q', '-m', 'count words']);
    const head = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    const error = await repo.refusedUnchanged(['advance', 'T-1'], 'CONFIG_INVALID', 1, {
      taskId: 'T-1',
      violation: true,
    });
    assert.equal(error.details['reason'], 'default branch');
    assert.match(error.message, /never pushes to it.*git switch -c/);
    assert.equal(repo.task('T-1')?.phase, 'REVIEW');
    assert.deepEqual(await rows(repo), []);
    assert.notEqual(remote.ref('main'), head, 'the work did not reach main');
  });

  it('refuses to decide a push while the work is not committed', async () => {
    const repo = await makeRepo({ config: gitOnly });
    const remote = bareRemote();
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-q', '-m', 'git-only mode']);
    git(repo.dir, ['remote', 'add', 'origin', `file://${remote.dir}`]);
    git(repo.dir, ['switch', '-q', '-c', 'task/T-1']);
    await inReview(repo);
    const error = await repo.refused(['advance', 'T-1'], 'EVIDENCE_MISSING', 2);
    assert.match(error.message, /not committed \(.*src\/count\.js/);
    assert.deepEqual(await rows(repo), []);
  });

  it('retries a failed push with backoff, and lets a person retry a stopped row or drop one', async () => {
    const { repo, remote, commit, key } = await inPr();
    // The remote is gone: the attempt fails, is recorded, and waits for its backoff.
    git(repo.dir, ['remote', 'set-url', 'origin', `file://${remote.dir}-moved`]);
    const before = Date.now();
    const failed = await repo.json<{ ok: true; outcomes: { outcome: string; nextAt: string; error: string }[] }>([
      'outbox',
      'run',
    ]);
    assert.equal(failed.code, 2, 'a row that did not go out makes the run exit 2');
    assert.equal(failed.body.outcomes[0]?.outcome, 'failed');
    assert.match(failed.body.outcomes[0]?.error ?? '', /cannot read origin/);
    const [row] = await rows(repo);
    assert.equal(row?.state, 'failed');
    assert.equal(row?.attempts, 1);
    // Not due before its backoff (5 s after the first attempt): the row says when it is tried next. Whether a run
    // leaves a row that is not due alone is core-outbox.test.ts's (claimable), with a clock of its own: a second run
    // here would race the backoff on a loaded machine.
    assert.ok(Date.parse(row?.nextAt ?? '') >= before + 5_000, `next try after the backoff: ${row?.nextAt}`);

    // Operators' refusals: clear, coded, and nothing changes.
    await repo.refused(['outbox', 'retry', 'T-9@1:push', '--reason', 'the remote is back'], 'USAGE', 1);
    await repo.refused(['outbox', 'retry', key], 'USAGE', 1);
    await repo.refused(['outbox', 'list', '--state', 'lost'], 'USAGE', 1);
    assert.equal((await rows(repo))[0]?.attempts, 1);

    git(repo.dir, ['remote', 'set-url', 'origin', `file://${remote.dir}`]);
    await repo.ok(['outbox', 'retry', key, '--reason', 'the remote is back']);
    assert.equal((await rows(repo))[0]?.state, 'pending');
    const sent = await repo.ok<{ outcomes: { outcome: string }[] }>(['outbox', 'run']);
    assert.equal(sent.outcomes[0]?.outcome, 'sent');
    assert.equal(remote.ref('task/T-1'), commit);
    await repo.refused(['outbox', 'drop', key, '--reason', 'changed my mind'], 'USAGE', 1);
    const kinds = repo
      .ledger('T-1')
      .filter((x) => x.kind === 'outbox')
      .map((x) => x.data['result']);
    assert.deepEqual(kinds, ['failed', 'retried', 'sent']);
  });

  it('drops a push the task has moved past instead of sending it', async () => {
    const { repo, remote } = await inPr();
    await repo.ok(['backtrack', 'T-1', '--to', 'IMPLEMENT', '--reason', 'the reviewer found a missed case']);
    const run = await repo.ok<{ outcomes: { outcome: string; error: string }[] }>(['outbox', 'run']);
    assert.equal(run.outcomes[0]?.outcome, 'superseded');
    assert.match(run.outcomes[0]?.error ?? '', /now in IMPLEMENT/);
    assert.equal(remote.ref('task/T-1'), null);
    assert.equal(remote.sends(), 0);
    assert.equal((await rows(repo))[0]?.state, 'dropped');
  });
});

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

describe('git-only mode over the git protocol', () => {
  it('pushes the task branch to a real git daemon on 127.0.0.1 and records the commit the remote holds, no PR URL', async (t) => {
    // The bare remote (with its post-receive log) served by `git daemon`, pushes allowed.
    const remote = bareRemote();
    const port = await freePort();
    const daemon = spawn(
      'git',
      [
        'daemon',
        '--reuseaddr',
        '--export-all',
        '--enable=receive-pack',
        '--listen=127.0.0.1',
        `--port=${port}`,
        `--base-path=${join(remote.dir, '..')}`,
        join(remote.dir, '..'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    daemon.stderr.on('data', (b: Buffer) => (log += b.toString('utf8')));
    const gone = new Promise<void>((r) => daemon.once('exit', () => r()));
    t.after(async () => {
      daemon.kill('SIGTERM');
      await gone;
    });
    const url = `git://127.0.0.1:${port}/${remote.dir.split('/').pop()}`;
    const repo = await makeRepo({ config: gitOnly });
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-q', '-m', 'git-only mode']);
    git(repo.dir, ['remote', 'add', 'origin', url]);
    await until(() => {
      try {
        git(repo.dir, ['ls-remote', 'origin']);
        return true;
      } catch {
        return daemon.exitCode !== null;
      }
    }, 'git daemon never answered');
    assert.equal(daemon.exitCode, null, `git daemon exited: ${log}`);
    git(repo.dir, ['push', '-q', 'origin', 'main']);
    rmSync(join(remote.dir, 'effects.log'), { force: true });
    git(repo.dir, ['switch', '-q', '-c', 'task/T-1']);
    await inReview(repo);
    git(repo.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
    git(repo.dir, ['commit', '-q', '-m', 'count words']);
    const commit = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    const moved = await repo.ok<{ to: string; outbox: string }>(['advance', 'T-1']);
    assert.equal(moved.to, 'PR');

    const run = await repo.ok<{ outcomes: { key: string; outcome: string }[] }>(['outbox', 'run']);
    assert.deepEqual(
      run.outcomes.map((o) => [o.key, o.outcome]),
      [[moved.outbox, 'sent']],
    );
    // The daemon's repository holds the recorded commit at the task branch; main is as it was.
    assert.equal(remote.ref('task/T-1'), commit);
    assert.deepEqual(remote.effects(), [`refs/heads/task/T-1 ${commit}`]);
    assert.equal(remote.ref('main'), git(repo.dir, ['rev-parse', 'main']).trim());
    const evidence = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'PR'), 'pushed_commit.json'), 'utf8'));
    assert.deepEqual(
      [evidence.pushed, evidence.remoteUrl, evidence.branch, evidence.commit, evidence.remoteCommit],
      [true, url, 'task/T-1', commit, commit],
    );
    const [entry] = recordedSends(repo);
    assert.equal(entry?.data['commit'], commit);
    // No PR URL is made up where no forge opened a pull request.
    assert.equal(existsSync(join(repo.phaseDir('T-1', 'PR'), 'pr_url.txt')), false);
    assert.ok(!JSON.stringify(repo.ledger('T-1')).includes('pr_url.txt'));
    // A second run finds nothing due and the daemon's repository is unchanged.
    assert.deepEqual((await repo.ok<{ outcomes: unknown[] }>(['outbox', 'run'])).outcomes, []);
    assert.equal(remote.effects().length, 1);
    await repo.ok(['ledger', 'verify']);
  });
});

/**
 * Spawns `outbox run` in a process group of its own, stopped at `pause`; resolves once it is there. During the send is
 * inside the remote's post-receive hook, after the ref was updated: the push is in flight, its answer not yet back.
 */
async function stoppedAt(repo: Repo, pause: 'before-send' | 'during-send' | 'after-send'): Promise<Dispatcher> {
  if (pause !== 'during-send') return stoppedDispatcher(repo, pause);
  const marker = join(tempDir('pause'), 'here');
  const d = await spawnDispatcher(repo, { OUTBOX_TEST_HOOK_PAUSE: marker });
  await reached(d, marker, pause);
  return d;
}

describe('the outbox dispatcher killed with SIGKILL', () => {
  for (const point of ['before-send', 'during-send', 'after-send'] as const) {
    it(`${point}: the next run converges to exactly one push, one recorded result`, async () => {
      const { repo, remote, commit, key } = await inPr();
      const dispatcher = await stoppedAt(repo, point);
      await dispatcher.kill9();
      const left = (await rows(repo))[0];
      assert.equal(left?.state, 'sending', 'the killed dispatcher held the row');
      assert.equal(recordedSends(repo).length, 0, 'nothing was recorded by the killed dispatcher');
      assert.equal(remote.sends(), point === 'before-send' ? 0 : 1);
      assert.equal(remote.ref('task/T-1'), point === 'before-send' ? null : commit);

      const run = await repo.ok<{ outcomes: { key: string; outcome: string }[] }>(['outbox', 'run']);
      assert.deepEqual(
        run.outcomes.map((o) => [o.key, o.outcome]),
        [[key, point === 'before-send' ? 'sent' : 'found']],
      );
      // Exactly one effect: one push connection, one ref update, one recorded result.
      assert.equal(remote.sends(), 1);
      assert.deepEqual(remote.effects(), [`refs/heads/task/T-1 ${commit}`]);
      assert.equal(remote.ref('task/T-1'), commit);
      assert.equal(recordedSends(repo).length, 1);
      const [row] = await rows(repo);
      assert.equal(row?.state, 'sent');
      assert.equal(row?.attempts, 2);
      assert.equal(row?.resultSeq, recordedSends(repo)[0]?.seq);
      // And again: nothing more happens.
      await repo.ok(['outbox', 'run']);
      assert.equal(remote.sends(), 1);
      assert.equal(recordedSends(repo).length, 1);
      await repo.ok(['ledger', 'verify']);
    });
  }
});

/** A long-running process of the test (serve, the hook daemon): its stderr so far, and a SIGKILL to its group. */
interface Running {
  readonly pid: number;
  stderr(): string;
  kill9(): Promise<void>;
  /** SIGTERM, as a person's Ctrl-C would, and wait until it is gone. */
  stop(): Promise<void>;
}

function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: '1' };
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('AUTOPILOT_') && !k.startsWith('NODE_TEST')) env[k] = v;
  return { ...env, ...extra };
}

/** Starts `autopilot serve --port 0 --json` on the repository, in a process group of its own, once it listens. */
async function startServe(repo: Repo, extra: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [await binary(), '-C', repo.dir, 'serve', '--port', '0', '--json'], {
    env: cleanEnv(extra),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (out.includes('\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`autopilot serve exited ${code}: ${err}`)));
  });
  return running(child.pid!, () => err, exited);
}

/** Starts the repository's hook daemon as a hook would (`autopilot hook --daemon ROOT`), once it answers. */
async function startDaemon(repo: Repo): Promise<Running> {
  const child = spawn(process.execPath, [await binary(), 'hook', '--daemon', repo.dir], {
    cwd: repo.dir,
    env: cleanEnv(),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  await until(() => daemonRunning(repo.dir), 'the hook daemon never answered');
  return running(child.pid!, () => err, exited);
}

function running(pid: number, stderr: () => string, exited: Promise<void>): Running {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      // gone already
    }
  };
  return {
    pid,
    stderr,
    kill9: async () => {
      signal('SIGKILL');
      await exited;
    },
    stop: async () => {
      signal('SIGTERM');
      await exited;
    },
  };
}

/** Waits (checking every 100 ms, 60 s at most) until `cond` holds. */
async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; !(await cond()); i++) {
    assert.ok(i < 600, what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The row's state, read from the store file the way the CLI reads it. */
async function rowState(repo: Repo, key: string): Promise<string | undefined> {
  return (await rows(repo)).find((r) => r.key === key)?.state;
}

describe('the dispatcher in serve and in the hook daemon', () => {
  it('serve sends a push as soon as the move into PR decides it, and records it once', async (t) => {
    const { repo, remote, commit } = await readyForPr();
    const serve = await startServe(repo);
    t.after(() => serve.stop());
    assert.equal(remote.ref('task/T-1'), null);
    const moved = await repo.ok<{ outbox: string }>(['advance', 'T-1']);
    await until(() => recordedSends(repo).length === 1, `serve never sent ${moved.outbox}: ${serve.stderr()}`);
    assert.equal(remote.ref('task/T-1'), commit);
    assert.equal(remote.sends(), 1);
    assert.deepEqual(remote.effects(), [`refs/heads/task/T-1 ${commit}`]);
    assert.equal(await rowState(repo, moved.outbox), 'sent');
    assert.match(serve.stderr(), new RegExp(`outbox: ${moved.outbox.replace(/[@:]/g, '.')} sent \\(entry \\d+\\)`));
    // The entry is the dispatcher's, as the process that sent it says.
    assert.match(String(recordedSends(repo)[0]?.actor), /^cli:/);
    // `outbox run` has nothing left to do.
    assert.deepEqual((await repo.ok<{ outcomes: unknown[] }>(['outbox', 'run'])).outcomes, []);
    await repo.ok(['ledger', 'verify']);
  });

  it('two serve processes racing for one row send it once', async (t) => {
    const { repo, remote, commit, key } = await inPr();
    const [a, b] = await Promise.all([startServe(repo), startServe(repo)]);
    t.after(() => Promise.all([a!.stop(), b!.stop()]));
    await until(() => recordedSends(repo).length === 1, `neither serve sent ${key}: ${a!.stderr()} ${b!.stderr()}`);
    // The loser found the row claimed or sent; let it look again, then count.
    await until(async () => (await rowState(repo, key)) === 'sent', 'the row was never marked sent');
    await repo.ok(['outbox', 'run']);
    assert.equal(remote.sends(), 1);
    assert.deepEqual(remote.effects(), [`refs/heads/task/T-1 ${commit}`]);
    assert.equal(recordedSends(repo).length, 1);
    const said = [a!.stderr(), b!.stderr()].filter((e) => e.includes(`${key} sent`));
    assert.equal(said.length, 1, 'exactly one of the two says it sent the row');
    await repo.ok(['ledger', 'verify']);
  });

  it('a serve killed holding a row is taken over by the other one, which sends it once', async (t) => {
    const { repo, remote, commit, key } = await inPr();
    const marker = join(tempDir('pause'), 'here');
    const stuck = await startServe(repo, {
      AUTOPILOT_TEST_OUTBOX_PAUSE: 'before-send',
      AUTOPILOT_TEST_OUTBOX_PAUSE_FILE: marker,
    });
    t.after(() => stuck.kill9());
    await until(() => existsSync(marker) && readFileSync(marker, 'utf8') !== '', 'the first serve never claimed');
    const other = await startServe(repo);
    t.after(() => other.stop());
    // While the holder lives, the row stays its own: the other one leaves it alone.
    assert.equal(await rowState(repo, key), 'sending');
    assert.equal(remote.sends(), 0);
    await stuck.kill9();
    await until(() => recordedSends(repo).length === 1, `the other serve never took over: ${other.stderr()}`);
    assert.equal(remote.sends(), 1);
    assert.deepEqual(remote.effects(), [`refs/heads/task/T-1 ${commit}`]);
    const [row] = await rows(repo);
    assert.equal(row?.state, 'sent');
    assert.equal(row?.attempts, 2, 'one claim by the killed serve, one by the one that sent it');
    await repo.ok(['ledger', 'verify']);
  });

  it('the hook daemon sends a push decided while it runs', async (t) => {
    const { repo, remote, commit } = await readyForPr();
    const daemon = await startDaemon(repo);
    t.after(async () => {
      await stopDaemon(repo.dir);
      await daemon.stop();
    });
    const moved = await repo.ok<{ outbox: string }>(['advance', 'T-1']);
    await until(() => recordedSends(repo).length === 1, `the daemon never sent ${moved.outbox}: ${daemon.stderr()}`);
    assert.equal(remote.ref('task/T-1'), commit);
    assert.equal(remote.sends(), 1);
    assert.equal(await rowState(repo, moved.outbox), 'sent');
    assert.match(String(recordedSends(repo)[0]?.actor), /^hook-daemon:/);
    await repo.ok(['ledger', 'verify']);
  });
});
