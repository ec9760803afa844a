/**
 * End to end: parallel `autopilot advance` processes on one task, by the same
 * holder, as an agent that fires the same call several times would. One move
 * runs; the others are refused (LEASE_HELD while it runs; the next phase's
 * gate, or the watchdog's hold, after it) and change nothing; the task passes
 * one phase, and the ledger verifies afterwards.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { makeRepo, P, type ErrorBody } from './helpers.ts';

const PARALLEL = 5;

describe('parallel advances of one task through the CLI', { concurrency: true }, () => {
  for (const from of ['THINK', 'VERIFY'] as const) {
    it(`out of ${from}: one passes the phase, the others are refused, the ledger verifies`, async () => {
      const repo = await makeRepo();
      await repo.driveTo('T-1', from);
      if (from === 'THINK')
        for (const [name, content] of P.AGENT_EVIDENCE['THINK'] ?? []) await repo.put('T-1', 'THINK', name, content);
      const before = repo.task('T-1')!;
      const runs = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          repo.json<{ ok: boolean } | ErrorBody>(['advance', 'T-1', '--holder', 'agent-a']),
        ),
      );
      const won = runs.filter((r) => r.body.ok);
      assert.equal(won.length, 1, `exactly one advance passes: ${runs.map((r) => r.stdout).join('')}`);
      assert.equal(won[0]!.code, 0);
      const next = from === 'THINK' ? 'IMPLEMENT' : 'REVIEW';
      for (const r of runs.filter((x) => !x.body.ok)) {
        const { error } = r.body as ErrorBody;
        // Refused while the winner ran; or, started after it, refused by the gate of the phase it entered (not ready
        // yet); or, after three such refusals in a row, held by the watchdog (watchdog.refusals), as an agent that
        // repeats a refused call is.
        const lost =
          (error.code === 'LEASE_HELD' && ['move-running', 'moved'].includes(String(error.details['reason']))) ||
          (['EVIDENCE_MISSING', 'EVIDENCE_INVALID'].includes(error.code) && error.details['phase'] === next) ||
          (error.code === 'ESCALATED' && error.details['by'] === 'watchdog');
        assert.ok(lost, `a loser is refused clearly, not: ${r.stdout}`);
        assert.equal(r.code, 2, 'a refusal by the process exits 2');
        if (error.code === 'LEASE_HELD') assert.match(error.message, /another move of task T-1/);
      }
      assert.equal(repo.task('T-1')?.phase, next, `the task passed ${from} and no further`);
      const transitions = repo.ledger('T-1').filter((e) => e.kind === 'transition' && e.seq > before.lastSeq);
      assert.deepEqual(
        transitions.map((e) => `${e.fromPhase}→${e.toPhase}`),
        [`${from}→${next}`],
      );
      const verified = await repo.json<{ ok: boolean }>(['ledger', 'verify']);
      assert.equal(verified.body.ok, true, 'the ledger verifies after the race');
      assert.equal(verified.code, 0);
    });
  }

  it('a claim of a live process refuses moves and backtracks; one whose process died is taken over', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY');
    const claim = (pid: number) =>
      repo.sql(
        `INSERT OR REPLACE INTO move_claims (task_id, token, holder, action, phase, host, pid, taken_at, expires_at)
         VALUES ('T-1', 'other-move', 'agent-b', 'verify', 'VERIFY', '${hostname()}', ${pid},
                 '${new Date().toISOString()}', '${new Date(Date.now() + 3_600_000).toISOString()}')`,
      );
    // This test's own process stands for a mover that is still running.
    claim(process.pid);
    const held = await repo.refused(['advance', 'T-1'], 'LEASE_HELD', 2);
    assert.equal(held.details['reason'], 'move-running');
    assert.equal(held.details['holder'], 'agent-b');
    const back = await repo.refused(['backtrack', 'T-1', '--to', 'IMPLEMENT', '--reason', 'retry'], 'LEASE_HELD', 2);
    assert.equal(back.details['action'], 'verify');
    assert.equal(repo.task('T-1')?.phase, 'VERIFY', 'nothing moved');
    // A mover that was killed: its process is gone, so its claim no longer holds the task.
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('close', resolve));
    claim(child.pid!);
    await repo.ok(['advance', 'T-1']);
    assert.equal(repo.task('T-1')?.phase, 'REVIEW');
    const rows = new Database(repo.dbFile, { readonly: true });
    try {
      const n = (rows.prepare('SELECT count(*) AS n FROM move_claims').get() as { n: number }).n;
      assert.equal(n, 0, 'the move dropped its claim with its commit');
    } finally {
      rows.close();
    }
  });
});
