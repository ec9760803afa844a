/**
 * E2E: a person's decision holds, through the CLI and an MCP client over stdio. A request for changes sends the task
 * back to the phase the person chose (a backtrack carrying the note), so the next forward move needs new evidence;
 * recorded without its backtrack (a crash in between), it still stops every forward move until the task goes back.
 * An escalation holds the task (ESCALATED for every move, lease, evidence write and verify) until a person approves;
 * an abort closes it (ABORTED).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordSoft, registerSoft } from '../helpers/passkey.ts';
import { makeRepo, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio } from './mcp-helpers.ts';

/** A repository with T-1 driven to `phase`; leases off, so the CLI and the MCP session may both act on it. */
async function taskAt(phase: 'REVIEW' | 'VERIFY', leases: 'off' | 'implicit' = 'off'): Promise<Repo> {
  const repo = await makeRepo({ config: (c) => void (c['leases'] = { mode: leases, ttlSeconds: 300 }) });
  await repo.driveTo('T-1', phase);
  return repo;
}

describe("a person's decision holds", { concurrency: true }, () => {
  it('request changes: the task goes back to THINK with the note, and leaves it only with new evidence', async () => {
    const repo = await taskAt('REVIEW');
    const r = await repo.decide({
      taskId: 'T-1',
      decision: 'request_changes',
      backtrackTo: 'THINK',
      note: 'the edge cases miss empty input',
    });
    assert.ok(r.ok, JSON.stringify(r));
    if (!r.ok) return;
    assert.equal(r.value.task.phase, 'THINK');
    assert.ok(r.value.backtrack?.ok, JSON.stringify(r.value.backtrack));
    const back = repo.ledger('T-1').findLast((x) => x.kind === 'backtrack')!;
    assert.equal(back.actor, 'person:tester', "the backtrack is the person's");
    assert.equal(back.toPhase, 'THINK');
    assert.equal(back.data['decision'], r.value.entry.seq, 'it names the decision it carries out');
    assert.match(String(back.data['reason']), /tester requested changes: the edge cases miss empty input/);
    assert.equal(repo.task('T-1')?.phase, 'THINK');

    // The agent's next move out of THINK needs its new evidence, through either surface.
    const cli = await repo.refused(['advance', 'T-1'], 'EVIDENCE_MISSING', 2);
    assert.match(cli.message, /edge_cases\.md/);
    const mcp = await connectStdio(repo.dir);
    try {
      const refused = await callRefused(mcp.client, 'phase_advance', { taskId: 'T-1' }, 'EVIDENCE_MISSING');
      assert.match(refused.message, /edge_cases\.md/);
      const status = await callOk<{ task: { phase: string } }>(mcp.client, 'task_status', { taskId: 'T-1' });
      assert.equal(status.task.phase, 'THINK');
    } finally {
      await mcp.close();
    }
  });

  it('a request for changes recorded without its backtrack still stops every forward move until the task goes back', async () => {
    const repo = await taskAt('REVIEW');
    const r = await repo.withEngine(async (engine) =>
      recordSoft(engine, await registerSoft(engine, 'Dana'), {
        taskId: 'T-1',
        decision: 'request_changes',
        backtrackTo: 'IMPLEMENT',
        note: 'split the function first',
      }),
    );
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(repo.task('T-1')?.phase, 'REVIEW', 'only the decision was recorded');

    const cli = await repo.refusedUnchanged(['advance', 'T-1'], 'APPROVAL_REQUIRED', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.equal(cli.details['approval'], 'changes_requested');
    assert.equal(cli.details['backtrackTo'], 'IMPLEMENT');
    assert.match(cli.message, /Dana requested changes .*split the function first.*go back to IMPLEMENT/);
    const mcp = await connectStdio(repo.dir);
    try {
      const refused = await callRefused(mcp.client, 'phase_advance', { taskId: 'T-1' }, 'APPROVAL_REQUIRED');
      assert.equal(refused.details['backtrackTo'], 'IMPLEMENT');
      // Going back is the way on.
      await callOk(mcp.client, 'phase_backtrack', { taskId: 'T-1', to: 'IMPLEMENT', reason: 'as Dana asked' });
    } finally {
      await mcp.close();
    }
    assert.equal(repo.task('T-1')?.phase, 'IMPLEMENT');
  });

  it('escalate holds every move, lease, evidence write and verify until a person approves', async () => {
    const repo = await taskAt('VERIFY', 'implicit');
    const esc = await repo.decide({ taskId: 'T-1', decision: 'escalate', note: 'this touches billing: ask Sam' });
    assert.ok(esc.ok, JSON.stringify(esc));
    if (!esc.ok) return;
    const seq = esc.value.entry.seq;

    for (const args of [
      ['advance', 'T-1'],
      ['backtrack', 'T-1', '--to', 'IMPLEMENT', '--reason', 'start over'],
      ['verify', 'T-1'],
      ['lease', 'acquire', 'T-1'],
    ]) {
      const err = await repo.refusedUnchanged(args, 'ESCALATED', 2, { taskId: 'T-1', violation: true });
      assert.equal(err.details['escalation'], seq, args.join(' '));
      assert.match(err.message, /tester escalated T-1 .*this touches billing: ask Sam.*approving it/);
    }
    const mcp = await connectStdio(repo.dir);
    try {
      for (const [tool, args] of [
        ['phase_advance', { taskId: 'T-1' }],
        ['evidence_put', { taskId: 'T-1', phase: 'VERIFY', name: 'notes.md', content: '# Notes\n\nwaiting\n' }],
        ['verify_run', { taskId: 'T-1' }],
        ['lease_acquire', { taskId: 'T-1' }],
      ] as const) {
        const err = await callRefused(mcp.client, tool, { ...args }, 'ESCALATED');
        assert.equal(err.details['escalation'], seq, tool);
      }
      // A person approves: the hold is released.
      const approved = await repo.decide({ taskId: 'T-1', decision: 'approve', note: 'Sam agreed' });
      assert.ok(approved.ok, JSON.stringify(approved));
      await callOk(mcp.client, 'lease_acquire', { taskId: 'T-1' });
    } finally {
      await mcp.close();
    }
  });

  it('abort closes the task: every change is ABORTED, through the CLI and MCP', async () => {
    const repo = await taskAt('REVIEW');
    const r = await repo.decide({ taskId: 'T-1', decision: 'abort', note: 'we will not ship this' });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(repo.task('T-1')?.status, 'aborted');
    for (const args of [
      ['advance', 'T-1'],
      ['lease', 'acquire', 'T-1'],
      ['task', 'rename', 'T-1', '--title', 'Other'],
    ]) {
      const err = await repo.refused(args, 'ABORTED', 2);
      assert.match(err.message, /was aborted by a person/, args.join(' '));
    }
    const mcp = await connectStdio(repo.dir);
    try {
      const err = await callRefused(mcp.client, 'phase_advance', { taskId: 'T-1' }, 'ABORTED');
      assert.equal(err.details['status'], 'aborted');
      await callRefused(
        mcp.client,
        'evidence_put',
        { taskId: 'T-1', phase: 'REVIEW', name: 'notes.md', content: '# Notes\n\nmore\n' },
        'ABORTED',
      );
    } finally {
      await mcp.close();
    }
  });
});
