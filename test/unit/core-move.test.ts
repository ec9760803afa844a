/** Unit: the move claim's decisions (core/move.ts) and how the engine tells that a claim's process is gone. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { claimInForce, decideClaim, refuseMovedMeanwhile, type MoveClaim } from '../../src/core/move.ts';
import { ErrorCode } from '../../src/core/errors.ts';
import { moverGone } from '../../src/engine/task/move-claim.ts';
import { T0 } from '../helpers/ledger.ts';

const claim = (over: Partial<MoveClaim> = {}): MoveClaim => ({
  taskId: 'T-1',
  token: 'move-1',
  holder: 'agent-a',
  action: 'advance',
  phase: 'VERIFY',
  host: 'host-a',
  pid: 4242,
  takenAt: new Date(T0).toISOString(),
  expiresAt: new Date(T0 + 60_000).toISOString(),
  ...over,
});

describe('move claims', () => {
  it('grants a claim when there is none, and names none replaced', () => {
    const wanted = claim();
    const d = decideClaim(undefined, wanted, new Date(T0), false);
    assert.ok(d.ok);
    assert.deepEqual(d.value, { claim: wanted, replaced: null });
  });

  it('refuses another move while a claim is in force, with LEASE_HELD saying which move runs', () => {
    const current = claim();
    const d = decideClaim(current, claim({ token: 'move-2', holder: 'agent-b' }), new Date(T0 + 59_999), false);
    assert.equal(d.ok, false);
    if (d.ok) return;
    assert.equal(d.error.code, ErrorCode.LEASE_HELD);
    assert.deepEqual(d.error.details, {
      holder: 'agent-a',
      expiresAt: current.expiresAt,
      phase: 'VERIFY',
      reason: 'move-running',
      action: 'advance',
    });
    assert.match(d.error.message, /another move of task T-1 is running \(advance out of VERIFY by agent-a/);
    assert.match(d.error.message, /read the task's status/);
  });

  it('refuses the same holder too: one move at a time, whoever asks', () => {
    const d = decideClaim(claim(), claim({ token: 'move-2' }), new Date(T0 + 1), false);
    assert.equal(d.ok, false);
  });

  it('takes over a claim that expired, or whose process is gone, naming it', () => {
    const current = claim();
    const expired = decideClaim(current, claim({ token: 'move-2' }), new Date(T0 + 60_000), false);
    assert.ok(expired.ok && expired.value.replaced === current && expired.value.claim.token === 'move-2');
    const gone = decideClaim(current, claim({ token: 'move-3' }), new Date(T0 + 1), true);
    assert.ok(gone.ok && gone.value.replaced === current);
    assert.equal(claimInForce(current, new Date(T0 + 1), false), true);
    assert.equal(claimInForce(current, new Date(T0 + 1), true), false);
    assert.equal(claimInForce(undefined, new Date(T0), false), false);
  });

  it('refuses a move whose task another move changed, naming both phases', () => {
    const r = refuseMovedMeanwhile('T-1', 'THINK', 'IMPLEMENT');
    assert.equal(r.error.code, ErrorCode.LEASE_HELD);
    assert.deepEqual(r.error.details, {
      holder: null,
      expiresAt: null,
      phase: 'IMPLEMENT',
      reason: 'moved',
      from: 'THINK',
    });
    assert.match(r.error.message, /was in THINK, it is now in IMPLEMENT\); nothing was done/);
  });

  it("tells a claim's process gone only when it ran on this host and has exited", async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.on('close', resolve));
    assert.equal(moverGone(claim({ host: hostname(), pid })), true, 'an exited process on this host');
    assert.equal(moverGone(claim({ host: hostname(), pid: process.pid })), false, 'this very process');
    assert.equal(moverGone(claim({ host: hostname(), pid: process.ppid })), false, 'a live process');
    assert.equal(moverGone(claim({ host: `not-${hostname()}`, pid })), false, 'another host: only expiry counts');
  });
});
