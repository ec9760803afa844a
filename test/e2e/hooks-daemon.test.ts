/**
 * E2E: the hook daemon. The first hook of a repository answers by itself and
 * starts the daemon; later hooks are answered by it, with the same decisions
 * and ledger entries; a store swapped for a damaged file is noticed (the hook
 * fails closed); the daemon leaves when asked.
 */
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonRunning, stopDaemon } from '../../src/surfaces/hooks/daemon.ts';
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
});
