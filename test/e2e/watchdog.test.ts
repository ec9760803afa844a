/**
 * E2E: the watchdog. A task refused three times in a row for the same reason is held for a person (ESCALATED through
 * the CLI and MCP), with a loop diary in its journal, in the dashboard's approvals, and counted by `metrics` and
 * `slo`; a person's approval releases it. A task that has not moved forward for `watchdog.idleMinutes` is held at its
 * next step.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { closeEngine, openEngine } from '../../src/engine/context.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { advance } from '../../src/engine/task/advance.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';
import { openStoreFor } from '../../src/surfaces/compose.ts';
import { waitingApprovals } from '../../src/surfaces/http/read/approvals.ts';
import { HOLLOW_STRATEGY } from '../../src/surfaces/demo/project.ts';
import { ManualClock } from '../helpers/clock.ts';
import { makeRepo } from './helpers.ts';
import { callRefused, connectStdio } from './mcp-helpers.ts';

describe('the watchdog', { concurrency: true }, () => {
  it('holds a task refused three times for the same reason, until a person approves it', async () => {
    const repo = await makeRepo();
    await repo.ok(['task', 'start', 'T-1', '--title', 'Count words']);
    await repo.put('T-1', 'STRATEGIZE', 'strategy.md', HOLLOW_STRATEGY);
    await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    const third = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    assert.match(third.message, /The watchdog now holds T-1 for a person: refused 3 times in a row/);
    const held = repo.ledger('T-1').find((x) => x.kind === 'task_held')!;
    assert.equal(third.details['heldBy'], held.seq);
    assert.equal(held.actor, 'autopilot:watchdog');
    const diary = held.data['diary'] as { refusals: { code: string }[]; evidence: { path: string }[] };
    assert.deepEqual(
      diary.refusals.map((r) => r.code),
      ['EVIDENCE_INVALID', 'EVIDENCE_INVALID', 'EVIDENCE_INVALID'],
    );
    assert.ok(diary.evidence.some((a) => a.path.endsWith('strategize/strategy.md')));
    const journal = readFileSync(join(repo.stateDir, 'journal', 'T-1.md'), 'utf8');
    assert.match(journal, /\*\*held by the watchdog\*\* in STRATEGIZE .*Loop diary: .*EVIDENCE\\?_INVALID on advance/);

    // Held: every step waits for a person, whatever the surface.
    const cli = await repo.refused(['advance', 'T-1'], 'ESCALATED', 2);
    assert.match(cli.message, /the watchdog held T-1 .*loop diary is in its journal/);
    assert.equal(cli.details['by'], 'watchdog');
    const mcp = await connectStdio(repo.dir);
    try {
      const err = await callRefused(mcp.client, 'phase_advance', { taskId: 'T-1' }, 'ESCALATED');
      assert.equal(err.details['escalation'], held.seq);
    } finally {
      await mcp.close();
    }
    // The dashboard's approvals list it; metrics and slo count it.
    const waiting = await repo.withEngine((engine) => waitingApprovals(engine));
    assert.deepEqual(
      waiting.map((w) => [w.task.taskId, w.state, w.request.seq]),
      [['T-1', 'escalated', held.seq]],
    );
    const metrics = await repo.ok<{ counters: Record<string, number> }>(['metrics']);
    assert.equal(metrics.counters['tasks_held_by_watchdog'], 1);
    const slo = await repo.ok<{ loopRate: { heldByWatchdog: string[]; loopingTasks: string[] } }>(['slo']);
    assert.deepEqual(slo.loopRate.heldByWatchdog, ['T-1']);
    assert.ok(slo.loopRate.loopingTasks.includes('T-1'));

    // A person approves: released, and the count starts again.
    const approved = await repo.decide({ taskId: 'T-1', decision: 'approve', note: 'I looked: fix the strategy' });
    assert.ok(approved.ok, JSON.stringify(approved));
    await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
  });

  it('holds a task that has not moved forward for watchdog.idleMinutes when it next tries to', async () => {
    const repo = await makeRepo({ config: (c) => void (c['watchdog'] = { refusals: 3, idleMinutes: 90 }) });
    await repo.ok(['task', 'start', 'T-1', '--title', 'Count words']);
    const clock = new ManualClock(Date.now() + 91 * 60_000);
    const e = await openEngine({ runner: new ProcessRunner(), cwd: repo.dir, openStore: openStoreFor, clock });
    try {
      const actor = { id: 'agent:late' };
      // Evidence written after a long pause is work starting again; the move forward is where the pause is judged.
      const put = await putEvidence(e, actor, {
        taskId: 'T-1',
        phase: 'STRATEGIZE',
        name: 'strategy.md',
        content: Buffer.from('# Strategy\n'),
      });
      assert.ok(put.ok, JSON.stringify(put));
      const r = await advance(e, actor, { taskId: 'T-1' });
      assert.equal(r.ok ? 'ok' : r.error.code, 'ESCALATED');
      if (r.ok) return;
      assert.match(r.error.message, /no forward move for 9\d minutes in STRATEGIZE \(watchdog\.idleMinutes: 90\)/);
    } finally {
      await closeEngine(e);
    }
    assert.equal(repo.ledger('T-1').filter((x) => x.kind === 'task_held').length, 1);
  });
});
