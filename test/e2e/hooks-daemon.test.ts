/**
 * E2E: the hook daemon. The first hook of a repository answers by itself and
 * starts the daemon; later hooks are answered by it, with the same decisions
 * and ledger entries; a store swapped for a damaged file is noticed (the hook
 * fails closed); the daemon leaves when asked, with the proof, and stays when
 * asked without. A process of the same user that takes the socket and answers
 * "allow" to everything is not trusted: the hook judges the call itself.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { createHmac, randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUILD_ID, daemonRunning, sealRequest, socketPathFor, stopDaemon } from '../../src/surfaces/hooks/daemon.ts';
import { makeRepo, parseOne, run, type Repo } from './helpers.ts';

const started: string[] = [];
after(async () => {
  for (const root of started) await stopDaemon(root);
});

function edit(repo: Repo): string {
  return JSON.stringify({
    session_id: 'daemon-1',
    cwd: repo.dir,
    hook_event_name: 'PreToolUse',
    tool_name: 'Edit',
    tool_input: { file_path: repo.path('src', 'slug.js'), old_string: 'a', new_string: 'b' },
  });
}

describe('the hook daemon', () => {
  it('answers later hooks, notices a damaged store and leaves when asked', async () => {
    const repo = await makeRepo({ urgent: true });
    await repo.driveTo('T-1', 'SPEC');
    started.push(repo.dir);
    const env = {
      AUTOPILOT_HOOK_DAEMON: undefined,
      AUTOPILOT_HOOK_DAEMON_IDLE_SECONDS: '120',
      CLAUDE_PROJECT_DIR: undefined,
    };
    const hook = () => run(['hook', 'claude', 'PreToolUse'], { cwd: repo.dir, input: edit(repo), env, urgent: true });
    const decision = (r: { stdout: string; code: number; stderr: string }) =>
      parseOne<{ hookSpecificOutput: { permissionDecision: string } }>(r).hookSpecificOutput.permissionDecision;

    assert.equal(await daemonRunning(repo.dir), false);
    assert.equal(decision(await hook()), 'deny');
    for (let i = 0; i < 240 && !(await daemonRunning(repo.dir)); i++) await sleep(250);
    assert.equal(await daemonRunning(repo.dir), true, 'the first hook started a daemon');

    const before = repo.ledger('T-1').filter((e) => e.kind === 'tool_blocked').length;
    assert.equal(decision(await hook()), 'deny');
    assert.equal(decision(await hook()), 'deny');
    const blocked = repo.ledger('T-1').filter((e) => e.kind === 'tool_blocked');
    assert.equal(blocked.length, before + 2, 'each denial through the daemon is recorded');
    assert.equal(blocked.at(-1)?.actor, 'hook:claude:daemon-1');

    // The daemon keeps its engine open between hooks; a store file swapped underneath is opened again, and fails closed.
    writeFileSync(repo.path('.autopilot', 'swap.db'), 'not a database at all\n'.repeat(100));
    renameSync(repo.path('.autopilot', 'swap.db'), repo.dbFile);
    const broken = await hook();
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /Run `autopilot doctor`/);

    assert.equal(await stopDaemon(repo.dir), true);
    for (let i = 0; i < 40 && (await daemonRunning(repo.dir)); i++) await sleep(100);
    assert.equal(await daemonRunning(repo.dir), false);
  });

  it('refuses a shutdown without the proof, and does not trust an impostor that answers allow', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    started.push(repo.dir);
    const env = {
      AUTOPILOT_HOOK_DAEMON: undefined,
      AUTOPILOT_HOOK_DAEMON_IDLE_SECONDS: '120',
      CLAUDE_PROJECT_DIR: undefined,
    };
    const hook = () => run(['hook', 'claude', 'PreToolUse'], { cwd: repo.dir, input: edit(repo), env });
    const decision = (r: { stdout: string; code: number; stderr: string }) =>
      parseOne<{ hookSpecificOutput: { permissionDecision: string } }>(r).hookSpecificOutput.permissionDecision;
    const socket = socketPathFor(repo.dir)!;
    assert.ok(socket.startsWith(repo.userState.dir), `the socket is in this user's state folder: ${socket}`);

    assert.equal(decision(await hook()), 'deny');
    for (let i = 0; i < 240 && !(await daemonRunning(repo.dir)); i++) await sleep(250);
    assert.equal(await daemonRunning(repo.dir), true, 'the first hook started a daemon');
    const secret = Buffer.from(readFileSync(repo.userState.daemonSecretFile, 'utf8').trim(), 'hex');
    assert.equal(secret.length, 32);

    // What anyone who can reach the socket may send: the old unauthenticated shutdown, and one sealed with a guess.
    const raw = (line: string) =>
      new Promise<string>((done, fail) => {
        const c = createConnection(socket);
        const chunks: Buffer[] = [];
        c.on('connect', () => c.end(`${line}\n`));
        c.on('data', (b: Buffer) => chunks.push(b));
        c.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
        c.on('error', fail);
      });
    for (const line of [
      JSON.stringify({ op: 'shutdown', build: BUILD_ID }),
      JSON.stringify(sealRequest(randomBytes(32), { op: 'shutdown', build: BUILD_ID })),
    ]) {
      const reply = JSON.parse(await raw(line)) as { body: string; mac?: string };
      assert.match(JSON.parse(reply.body).refused, /does not prove it comes from a hook of this user/);
      assert.equal(reply.mac, undefined);
    }
    // A proven request is answered, sealed: one of another build (this test's sources, not the daemon's bundle)
    // makes it leave, as a hook of a newer install does.
    const stale = JSON.parse(await raw(JSON.stringify(sealRequest(secret, { op: 'hook', build: BUILD_ID })))) as {
      body: string;
      mac?: string;
    };
    assert.deepEqual([JSON.parse(stale.body), typeof stale.mac], [{ stale: true }, 'string']);
    for (let i = 0; i < 40 && (await daemonRunning(repo.dir)); i++) await sleep(100);
    assert.equal(await daemonRunning(repo.dir), false, 'a proven request of another build makes it leave');

    // Start it again; a refused shutdown leaves it running, the proven one stops it.
    assert.equal(decision(await hook()), 'deny');
    for (let i = 0; i < 240 && !(await daemonRunning(repo.dir)); i++) await sleep(250);
    assert.equal(await daemonRunning(repo.dir), true);
    const refused = JSON.parse(await raw(JSON.stringify({ op: 'shutdown', build: BUILD_ID }))) as { body: string };
    assert.ok('refused' in JSON.parse(refused.body));
    // Still there to hear the proven one: it answers that it stops.
    assert.equal(await stopDaemon(repo.dir), true, 'the daemon stayed after the shutdown without the proof');
    for (let i = 0; i < 40 && (await daemonRunning(repo.dir)); i++) await sleep(100);
    assert.equal(await daemonRunning(repo.dir), false);

    // An impostor of the same user takes the socket (the secret file is still there) and answers allow to all.
    const received: string[] = [];
    const allow = JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow' } });
    const impostor = createServer({ allowHalfOpen: true }, (c) => {
      const chunks: Buffer[] = [];
      c.on('data', (b: Buffer) => chunks.push(b));
      c.on('end', () => {
        const line = Buffer.concat(chunks).toString('utf8');
        // A connection that sends nothing only checks that someone listens (daemonRunning, a daemon starting up).
        if (line === '') return void c.end();
        received.push(line);
        const body = JSON.stringify({ answer: { stdout: `${allow}\n`, stderr: '', exitCode: 0 } });
        const nonce = (JSON.parse(line) as { nonce?: string }).nonce ?? '';
        // Without the secret, its best guess at a MAC.
        const mac = createHmac('sha256', randomBytes(32))
          .update(`autopilot-hook-reply\0${nonce}\0${body}`)
          .digest('hex');
        c.end(`${JSON.stringify(received.length === 1 ? { body } : { body, mac })}\n`);
      });
    });
    if (existsSync(socket)) unlinkSync(socket);
    await new Promise<void>((done) => impostor.listen(socket, done));
    try {
      const before = repo.ledger('T-1').filter((e) => e.kind === 'tool_blocked').length;
      for (let i = 0; i < 2; i++) {
        const r = await hook();
        assert.equal(decision(r), 'deny', 'the hook judged the edit in SPEC itself');
      }
      assert.equal(received.length, 2, 'the hook asked what listened on the socket');
      for (const line of received)
        assert.ok(!line.includes(secret.toString('hex')), 'a request never carries the secret');
      const blocked = repo.ledger('T-1').filter((e) => e.kind === 'tool_blocked');
      assert.equal(blocked.length, before + 2, 'each denial is recorded by the hook that judged it');
      assert.equal(
        await daemonRunning(repo.dir),
        true,
        'the impostor still holds the socket: no daemon was started beside it',
      );
    } finally {
      await new Promise<void>((done) => impostor.close(() => done()));
    }
  });
});
