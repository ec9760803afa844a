/**
 * E2E: the secrets live outside the repository, and the history outside the store. An installation with its key
 * pair and token in the repository is moved out by `init` (and refused until then); a store that was wiped,
 * replaced by an empty or a shadow store, truncated, or rewritten and re-signed with another key fails `ledger
 * verify` (exit 3) and `doctor` with LEDGER_TAMPERED, and is not written to; the commits' trailers and the committed
 * bundles name the history even when this user's anchor is gone; a bundle written from a shadow store does not
 * replace the real one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { foldTask } from '../../src/core/task.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import { closeEngine, openEngine } from '../../src/engine/context.ts';
import { writeBundle } from '../../src/engine/ledger/bundle.ts';
import { startTask } from '../../src/engine/task/start.ts';
import { openStoreAt } from '../../src/surfaces/compose.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';
import { makeSigner, reseal } from '../helpers/ledger.ts';
import { makeRepo, tempDir, type ErrorBody, type Repo } from './helpers.ts';

interface DoctorBody {
  healthy: boolean;
  checks: { id: string; status: string; message: string; fix?: string; code?: string }[];
}

const NO_DAEMON = { AUTOPILOT_HOOK_DAEMON: '0' };

/** `ledger verify` must fail with LEDGER_TAMPERED (exit 3); returns its message. */
async function verifyFails(repo: Repo, env: Record<string, string> = {}): Promise<string> {
  const error = await repo.refused(['ledger', 'verify'], 'LEDGER_TAMPERED', 3, { env });
  return error.message;
}

/** `doctor` must fail its history check with LEDGER_TAMPERED (exit 1); returns the check. */
async function doctorFails(repo: Repo, env: Record<string, string> = {}) {
  const r = await repo.json<DoctorBody>(['doctor'], { env: { ...NO_DAEMON, ...env } });
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.body.healthy, false);
  const history = r.body.checks.find((c) => c.id === 'history');
  assert.equal(history?.status, 'fail', JSON.stringify(r.body.checks));
  assert.equal(history?.code, 'LEDGER_TAMPERED');
  return history!;
}

function removeStore(repo: Repo): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${repo.dbFile}${suffix}`, { force: true });
}

/** git as a person runs it, the hooks answering by themselves. */
function gitRun(cwd: string, args: string[]): { code: number; stderr: string } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'E2E',
    GIT_AUTHOR_EMAIL: 'e2e@example.com',
    GIT_COMMITTER_NAME: 'E2E',
    GIT_COMMITTER_EMAIL: 'e2e@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
    AUTOPILOT_HOOK_DAEMON: '0',
  };
  for (const k of Object.keys(env))
    if ((k.startsWith('AUTOPILOT_') && k !== 'AUTOPILOT_HOOK_DAEMON') || k.startsWith('NODE_TEST')) delete env[k];
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr };
}

describe('secrets outside the repository', { concurrency: true }, () => {
  it('init moves the key pair and the token of an older installation out of the repository', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    // As an older version left it: the key pair and the token in .autopilot/keys, nothing in this user's folder.
    const old = join(repo.stateDir, 'keys');
    mkdirSync(old);
    for (const name of readdirSync(repo.userState.keysDir))
      renameSync(join(repo.userState.keysDir, name), join(old, name));
    const pem = readFileSync(join(old, 'private.pem'), 'utf8');

    // Nothing signs with a key the agent could read: a clear refusal that names the fix.
    const refused = await repo.refused(['task', 'status', 'T-1'], 'CONFIG_INVALID', 1);
    assert.match(refused.message, /the signing key is still in the repository \(.*\.autopilot\/keys\/private\.pem\)/);
    assert.match(refused.message, /run `autopilot init` to move it/);
    const before = await repo.json<DoctorBody>(['doctor'], { env: NO_DAEMON });
    assert.equal(before.code, 1);
    const status = (id: string) => before.body.checks.find((c) => c.id === id);
    assert.equal(status('key')?.status, 'fail');
    assert.match(status('key')?.fix ?? '', /run `autopilot init`: it moves the key/);
    assert.equal(status('secrets')?.status, 'fail');
    assert.match(status('secrets')!.message, /a private key in \.autopilot\/keys\/private\.pem/);
    assert.match(status('secrets')!.message, /an approval token in \.autopilot\/keys\/approval-token/);

    const init = await repo.ok<{ moves: { from: string; to: string; action: string }[]; keyCreated: boolean }>([
      'init',
    ]);
    assert.equal(init.keyCreated, false);
    assert.deepEqual(init.moves.map((m) => m.action).sort(), ['move', 'move', 'move']);
    assert.equal(existsSync(old), false, "the repository's copy is gone");
    assert.equal(readFileSync(join(repo.userState.keysDir, 'private.pem'), 'utf8'), pem);
    assert.equal(statSync(join(repo.userState.keysDir, 'private.pem')).mode & 0o777, 0o600);
    await repo.ok(['ledger', 'verify']);
    const after = await repo.json<DoctorBody>(['doctor'], { env: NO_DAEMON });
    for (const id of ['key', 'secrets', 'history'])
      assert.equal(after.body.checks.find((c) => c.id === id)?.status, 'ok', id);
    // Run again, init moves nothing.
    const again = await repo.ok<{ moves: unknown[] }>(['init']);
    assert.deepEqual(again.moves, []);
  });

  it('a fresh clone without this user key pair is refused with the fix, and no key is made on the way', async () => {
    const repo = await makeRepo();
    rmSync(repo.userState.dir, { recursive: true });
    const refused = await repo.refused(['task', 'start', 'T-1'], 'CONFIG_INVALID', 1);
    assert.match(refused.message, /no signing key for this repository at .*private\.pem .*run `autopilot init`/);
    assert.equal(existsSync(join(repo.userState.keysDir, 'private.pem')), false);
  });
});

describe('a store held to its history', { concurrency: true }, () => {
  it('wiped: ledger verify and doctor say LEDGER_TAMPERED, and the same task cannot start again', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    await repo.ok(['ledger', 'verify']);
    const anchor = JSON.parse(readFileSync(repo.userState.anchorFile, 'utf8')) as { seq: number; hash: string };
    assert.deepEqual(anchor.hash, repo.head()!.hash);

    removeStore(repo);
    assert.match(await verifyFails(repo), /the store \(sqlite:.*autopilot\.db\) is empty, but this user's anchor/);
    assert.match((await doctorFails(repo)).message, /was wiped or replaced by an empty one/);
    const start = await repo.refused(['task', 'start', 'T-1'], 'LEDGER_TAMPERED', 3);
    assert.equal(start.details['reason'], 'wiped');
    assert.equal(repo.head(), null, 'nothing was written to the wiped store');
  });

  it('truncated and replaced by an empty or a shadow store: LEDGER_TAMPERED, the shadow store not written to', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'PLAN');
    const head = repo.head()!;

    // A shadow store named by AUTOPILOT_STORE: empty, it is found out; it takes no entry either.
    const shadow = join(tempDir('shadow'), 'shadow.db');
    const env = { AUTOPILOT_STORE: `sqlite:${shadow}` };
    const message = await verifyFails(repo, env);
    assert.match(message, /shadow\.db\) is empty/);
    assert.match(message, /the anchor was written through sqlite:.*\.autopilot\/autopilot\.db/);
    await doctorFails(repo, env);
    const shadowStart = await repo.refused(['task', 'start', 'T-9'], 'LEDGER_TAMPERED', 3, { env });
    assert.equal(shadowStart.details['reason'], 'wiped');
    await repo.ok(['ledger', 'verify'], { env: {} });

    // Truncated: the last entries cut off (as an attacker with the file would, past the trigger).
    repo.sql(`DROP TRIGGER ledger_no_delete; DELETE FROM ledger WHERE seq > ${head.seq - 2};`);
    assert.match(await verifyFails(repo), new RegExp(`ends at entry ${head.seq - 2}, but .* entries were removed`));
    assert.match((await doctorFails(repo)).message, /entries were removed \(cut off its end/);

    // Replaced by an empty store file.
    removeStore(repo);
    await new SqliteStore(repo.dbFile).close();
    assert.match(await verifyFails(repo), /is empty, but this user's anchor/);
  });

  it('rewritten with its refusals erased and re-signed with another key: the anchor tells', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    for (let i = 0; i < 3; i++) await repo.refused(['advance', 'T-1', '--to', 'IMPLEMENT'], 'PHASE_SKIP', 2);
    await repo.driveTo('T-1', 'PLAN');
    await repo.ok(['ledger', 'verify']);
    const entries = repo.ledger();
    const kept = entries.filter((e) => e.kind !== 'violation');
    assert.equal(entries.length - kept.length, 3);

    // The history without the refusals, chained and signed again from the first one on by a key of the forger's,
    // in a store file of its own that takes the real one's place.
    const forger = makeSigner();
    const firstErased = entries.findIndex((e) => e.kind === 'violation');
    const rewritten: LedgerEntry[] = [];
    for (const [i, row] of kept.entries()) {
      const e = row as unknown as LedgerEntry;
      const prev = rewritten.at(-1);
      const { hash: _h, signature: _s, keyId: _k, ...rest } = e;
      rewritten.push(i < firstErased ? e : reseal(forger, { ...rest, seq: i + 1, prevHash: prev!.hash }));
    }
    const real = new SqliteStore(repo.dbFile);
    const keys = await real.keys();
    await real.close();
    const file = join(tempDir('forged'), 'autopilot.db');
    const forged = new SqliteStore(file);
    for (const [keyId, pem] of [...keys, [forger.keyId, forger.publicKeyPem] as const]) await forged.putKey(keyId, pem);
    await forged.transact(async (tx) => {
      for (const e of rewritten) await tx.append(e);
      await tx.putTask(foldTask(rewritten)!);
    });
    await forged.close();
    removeStore(repo);
    renameSync(file, repo.dbFile);

    // Each entry checks out on its own (chain and signatures, the forger's key filed in the store), but the store no
    // longer holds the anchored head.
    assert.ok(rewritten.at(-1)!.keyId === forger.keyId && rewritten.length > firstErased, 'entries were re-signed');
    const message = await verifyFails(repo);
    assert.match(message, /ends at entry \d+, but this user's anchor .* entries were removed/);
    assert.match((await doctorFails(repo)).message, /entries were removed/);
  });

  it('the commit trailers and the committed bundle name the history when the anchor is gone too', async () => {
    const repo = await makeRepo({ urgent: true });
    await repo.ok(['init']); // wires git's hooks: commit-msg adds the trailers
    gitRun(repo.dir, ['add', '-A']);
    assert.equal(gitRun(repo.dir, ['commit', '-q', '-m', 'wire the agents']).code, 0);
    await repo.driveTo('T-1', 'PR');
    gitRun(repo.dir, ['add', '-A']);
    const committed = gitRun(repo.dir, ['commit', '-q', '-m', 'T-1: wordCount']);
    assert.equal(committed.code, 0, committed.stderr);
    const head = repo.head()!;
    const keyId = repo.ledger().at(-1)!.keyId;
    const message = spawnSync('git', ['log', '-1', '--format=%B'], { cwd: repo.dir, encoding: 'utf8' }).stdout;
    assert.match(message, new RegExp(`\\nAutopilot-Ledger: ${head.hash}\\nAutopilot-Entry: ${head.seq} ${keyId}\\n`));
    await repo.ok(['ledger', 'verify']);

    // The store and this user's anchor both gone: what is committed still names entries of this key.
    removeStore(repo);
    rmSync(repo.userState.anchorFile);
    const error = await repo.json<ErrorBody>(['ledger', 'verify']);
    assert.equal(error.code, 3);
    const problems = error.body.error.details['problems'] as { kind: string; reason: string; path?: string }[];
    const history = problems.filter((p) => p.kind === 'history').map((p) => p.reason);
    assert.ok(
      history.some((r) => new RegExp(`^commit [0-9a-f]{12} names ledger entry ${head.seq} .* holds no entry`).test(r)),
      history.join('\n'),
    );
    assert.ok(
      history.some((r) => /^the committed bundle \.autopilot\/attestations\/T-1\.jsonl names ledger entry/.test(r)),
      history.join('\n'),
    );
    await doctorFails(repo);
  });

  it("a teammate's trailer (another key, their own store) says nothing about this store", async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const other = makeSigner();
    repo.write('notes.txt', 'from a teammate\n');
    spawnSync('git', ['add', 'notes.txt'], { cwd: repo.dir });
    const r = spawnSync(
      'git',
      [
        '-c',
        'user.name=Mate',
        '-c',
        'user.email=mate@example.com',
        'commit',
        '-q',
        '--no-verify',
        '-m',
        `their change\n\nAutopilot-Ledger: ${'e'.repeat(64)}\nAutopilot-Entry: 999 ${other.keyId}`,
      ],
      { cwd: repo.dir, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    await repo.ok(['ledger', 'verify']);
  });

  it('a bundle written from a shadow store does not replace the real one', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'PR');
    const bundle = repo.path('.autopilot', 'attestations', 'T-1.jsonl');
    const real = readFileSync(bundle, 'utf8');
    spawnSync('git', ['add', '-A'], { cwd: repo.dir });
    spawnSync('git', ['-c', 'user.name=E2E', '-c', 'user.email=e@x', 'commit', '-q', '-m', 'T-1'], { cwd: repo.dir });

    // The task started again on a shadow store (this process has the key: what a CLI run with AUTOPILOT_STORE did
    // before the anchor refused it), then its bundle written: refused, the committed one left as it is.
    rmSync(repo.userState.anchorFile);
    const shadow = join(tempDir('shadow'), 'shadow.db');
    const e = await openEngine({
      cwd: repo.dir,
      runner: new ProcessRunner(),
      openStore: () => openStoreAt({ kind: 'sqlite', file: shadow }),
    });
    try {
      const started = await startTask(e, { id: 'agent', holder: 'agent' }, { taskId: 'T-1', title: 'again' });
      assert.equal(started.ok, true);
      const written = await writeBundle(e, 'T-1');
      assert.equal(written.ok, false);
      if (written.ok) return;
      assert.equal(written.error.code, 'LEDGER_TAMPERED');
      assert.match(
        written.error.message,
        /the committed bundle .*T-1\.jsonl holds entries this store's chain does not/,
      );
    } finally {
      await closeEngine(e);
    }
    assert.equal(readFileSync(bundle, 'utf8'), real);
  });
});
