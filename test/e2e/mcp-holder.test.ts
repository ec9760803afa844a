/**
 * E2E: who an `autopilot mcp` process holds leases as. A client that starts one
 * server process per call names its holder (`--holder`, AUTOPILOT_HOLDER), and
 * its later processes write to the task its first one leased; a process with
 * another holder, or none, is refused with LEASE_HELD. The ledger actor stays
 * the MCP session's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeRepo, P, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio, type StdioOptions } from './mcp-helpers.ts';

/** One server process for one call, as a client that spawns a server per call does. */
async function once<T>(
  repo: Repo,
  name: string,
  opts: StdioOptions,
  call: (s: Awaited<ReturnType<typeof connectStdio>>) => Promise<T>,
): Promise<T & { pid: number }> {
  const s = await connectStdio(repo.dir, name, opts);
  try {
    return { ...(await call(s)), pid: s.pid };
  } finally {
    await s.close();
  }
}

const put = (taskId: string, name: string) => ({ taskId, phase: 'STRATEGIZE', name, content: P.STRATEGY });

describe('the lease holder of autopilot mcp', () => {
  it('lets processes of one named holder write one after another, and refuses the others with LEASE_HELD', async () => {
    const repo = await makeRepo();
    const taskId = 'H-1';
    const first = await once(repo, 'per-call', { args: ['--holder', 'agent-a'] }, async (s) => {
      await callOk(s.client, 'task_start', { taskId, title: 'holder' });
      return callOk<{ seq: number }>(s.client, 'evidence_put', put(taskId, 'strategy.md'));
    });
    const lease = () =>
      repo.ledger().filter((e) => e.taskId === taskId && e.kind === 'lease' && e.data['change'] !== 'released');
    assert.deepEqual(
      lease().map((e) => e.data['holder']),
      ['agent-a'],
      'the first write took the lease as agent-a',
    );

    // A second process with the same --holder: its write goes through, and the lease does not change hands.
    const second = await once(repo, 'per-call', { args: ['--holder', 'agent-a'] }, async (s) => {
      const status = await callOk<{ holder: string; lease: { holder: string } }>(s.client, 'task_status', { taskId });
      assert.equal(status.holder, 'agent-a');
      assert.equal(status.lease.holder, 'agent-a');
      return callOk<{ seq: number }>(s.client, 'evidence_put', put(taskId, 'notes.md'));
    });
    assert.notEqual(second.pid, first.pid);
    const entry = repo.ledger().find((e) => e.seq === second.seq);
    assert.equal(entry?.actor, `mcp:per-call:${second.pid}`, 'the ledger actor is still the MCP session');

    // AUTOPILOT_HOLDER names the same holder.
    await once(repo, 'per-call', { env: { AUTOPILOT_HOLDER: 'agent-a' } }, (s) =>
      callOk(s.client, 'evidence_put', put(taskId, 'notes-2.md')),
    );
    assert.equal(lease().length, 1, 'one holder all along: no change of hands recorded');

    // Another holder, and a process with none (its own session), are refused.
    const other = await once(repo, 'per-call', { args: ['--holder', 'agent-b'] }, (s) =>
      callRefused(s.client, 'evidence_put', put(taskId, 'notes-3.md'), 'LEASE_HELD'),
    );
    assert.equal(other.details['holder'], 'agent-a');
    const anonymous = await once(repo, 'per-call', {}, (s) =>
      callRefused(s.client, 'evidence_put', put(taskId, 'notes-3.md'), 'LEASE_HELD'),
    );
    assert.equal(anonymous.details['holder'], 'agent-a');
    // --holder wins over AUTOPILOT_HOLDER.
    await once(repo, 'per-call', { args: ['--holder', 'agent-b'], env: { AUTOPILOT_HOLDER: 'agent-a' } }, (s) =>
      callRefused(s.client, 'evidence_put', put(taskId, 'notes-3.md'), 'LEASE_HELD'),
    );
  });

  it('refuses a malformed holder with USAGE before it serves or writes anything', async () => {
    const repo = await makeRepo();
    const before = repo.ledger().length;
    for (const [args, env] of [
      [['mcp', '--holder', 'x'.repeat(201), '--json'], {}],
      [['mcp', '--json'], { AUTOPILOT_HOLDER: 'agent\u001b[2J' }],
    ] as const) {
      const r = await repo.run(args, { env });
      assert.equal(r.code, 1, r.stderr);
      const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
      assert.equal(out.ok, false);
      assert.equal(out.error.code, 'USAGE');
      assert.match(out.error.message, /1 to 200 printable characters/);
    }
    assert.equal(repo.ledger().length, before);
  });
});
