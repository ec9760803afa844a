import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFence,
  decideAcquire,
  decideRelease,
  decideRenew,
  isLive,
  type Lease,
  type LeaseDecision,
} from '../../src/core/lease.ts';
import { ErrorCode, type Result } from '../../src/core/errors.ts';
import { ManualClock } from '../helpers/clock.ts';
import { lease, T0 } from '../helpers/ledger.ts';

const TTL = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function granted(r: Result<LeaseDecision>): LeaseDecision {
  assert.ok(r.ok, `expected a grant, got ${JSON.stringify(r)}`);
  return r.value;
}

function refused(r: Result<unknown>, code: string): Record<string, unknown> {
  assert.equal(r.ok, false, `expected ${code}, got ${JSON.stringify(r)}`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.code, code, r.error.message);
  return r.error.details;
}

describe('isLive', () => {
  it('is live strictly before expiry, with a holder', () => {
    const l = lease({ expiresAt: iso(T0 + 1000) });
    assert.equal(isLive(l, new Date(T0 + 999)), true);
    assert.equal(isLive(l, new Date(T0 + 1000)), false);
    assert.equal(isLive(l, new Date(T0 + 1001)), false);
    assert.equal(isLive({ ...l, holder: null }, new Date(T0)), false);
    assert.equal(isLive(undefined, new Date(T0)), false);
  });
});

describe('lease expiry and fencing, on a manual clock', () => {
  it('runs the whole sequence: acquire, held, takeover, fenced, renew, release, re-acquire', () => {
    const clock = new ManualClock(T0);
    const acquire = (cur: Lease | undefined, holder: string, phase = 'SPEC') =>
      decideAcquire(cur, { taskId: 'T-1', phase, holder, ttlMs: TTL, now: clock.now() });

    // A acquires a free task.
    const a = granted(acquire(undefined, 'A'));
    assert.equal(a.change, 'acquired');
    assert.equal(a.previousHolder, undefined);
    assert.deepEqual(a.lease, {
      taskId: 'T-1',
      phase: 'SPEC',
      holder: 'A',
      token: 1,
      acquiredAt: iso(T0),
      expiresAt: iso(T0 + TTL),
    });
    let current: Lease = a.lease;

    // B is refused while A's lease is live, told who holds it and until when.
    clock.advance(TTL - 1);
    const held = refused(acquire(current, 'B'), ErrorCode.LEASE_HELD);
    assert.deepEqual(held, { holder: 'A', expiresAt: iso(T0 + TTL), phase: 'SPEC', token: 1 });

    // Past the TTL, B takes over with a larger token.
    clock.advance(1);
    const b = granted(acquire(current, 'B'));
    assert.equal(b.change, 'takeover');
    assert.equal(b.previousHolder, 'A');
    assert.equal(b.lease.holder, 'B');
    assert.ok(b.lease.token > a.lease.token);
    assert.equal(b.lease.token, 2);
    assert.equal(b.lease.acquiredAt, iso(T0 + TTL));
    current = b.lease;

    // A comes back with its old token: fenced, on renew and on release.
    const fenced = refused(
      decideRenew(current, { taskId: 'T-1', holder: 'A', ttlMs: TTL, now: clock.now(), token: 1 }),
      ErrorCode.LEASE_FENCED,
    );
    assert.deepEqual(fenced, { token: 1, current: 2, holder: 'B' });
    refused(decideRelease(current, { taskId: 'T-1', holder: 'A', now: clock.now(), token: 1 }), ErrorCode.LEASE_FENCED);
    // Without a token A is still not the holder.
    assert.equal(
      refused(decideRenew(current, { taskId: 'T-1', holder: 'A', ttlMs: TTL, now: clock.now() }), ErrorCode.LEASE_HELD)[
        'holder'
      ],
      'B',
    );

    // B reclaims its own unexpired lease: same token, same acquiredAt, later expiry.
    clock.advance(10_000);
    const again = granted(acquire(current, 'B'));
    assert.equal(again.change, 'renewed');
    assert.equal(again.lease.token, 2);
    assert.equal(again.lease.acquiredAt, b.lease.acquiredAt);
    assert.equal(again.lease.expiresAt, iso(clock.now().getTime() + TTL));
    current = again.lease;

    // B renews with its token.
    clock.advance(1000);
    const renewed = granted(
      decideRenew(current, { taskId: 'T-1', holder: 'B', ttlMs: TTL, now: clock.now(), token: 2 }),
    );
    assert.equal(renewed.change, 'renewed');
    assert.deepEqual(renewed.lease, { ...current, expiresAt: iso(clock.now().getTime() + TTL) });
    current = renewed.lease;

    // Release keeps the token.
    const rel = granted(decideRelease(current, { taskId: 'T-1', holder: 'B', now: clock.now(), token: 2 }));
    assert.equal(rel.change, 'released');
    assert.deepEqual(rel.lease, { ...current, holder: null, expiresAt: iso(clock.now().getTime()) });
    assert.equal(isLive(rel.lease, clock.now()), false);
    current = rel.lease;

    // Renewing a released lease needs a new acquire.
    refused(
      decideRenew(current, { taskId: 'T-1', holder: 'B', ttlMs: TTL, now: clock.now() }),
      ErrorCode.LEASE_REQUIRED,
    );

    // The next acquire, by anyone, gets token + 1 and is a plain acquire.
    const c = granted(acquire(current, 'C'));
    assert.equal(c.change, 'acquired');
    assert.equal(c.previousHolder, undefined);
    assert.equal(c.lease.token, 3);
  });

  it('lets a holder reclaim its own expired lease when nobody took it, keeping the token', () => {
    const clock = new ManualClock(T0);
    const first = granted(
      decideAcquire(undefined, { taskId: 'T-1', phase: 'SPEC', holder: 'A', ttlMs: TTL, now: clock.now() }),
    );
    clock.advance(TTL * 3);
    const back = granted(
      decideAcquire(first.lease, { taskId: 'T-1', phase: 'SPEC', holder: 'A', ttlMs: TTL, now: clock.now() }),
    );
    assert.equal(back.change, 'reclaimed');
    assert.equal(back.lease.token, 1);
    assert.equal(back.lease.acquiredAt, iso(clock.now().getTime()));
    assert.equal(back.lease.expiresAt, iso(clock.now().getTime() + TTL));
  });

  it('moves a renewed lease to the phase asked for', () => {
    const now = new Date(T0);
    const d = granted(
      decideAcquire(lease({ phase: 'SPEC', holder: 'A' }), {
        taskId: 'T-1',
        phase: 'PLAN',
        holder: 'A',
        ttlMs: TTL,
        now,
      }),
    );
    assert.equal(d.lease.phase, 'PLAN');
    assert.equal(d.lease.token, 1);
  });

  it('needs a live lease to renew or release', () => {
    const now = new Date(T0 + 120_000);
    const expired = lease({ expiresAt: iso(T0 + 60_000) });
    for (const cur of [undefined, expired]) {
      assert.equal(
        refused(decideRenew(cur, { taskId: 'T-1', holder: 'agent-a', ttlMs: TTL, now }), ErrorCode.LEASE_REQUIRED)[
          'holder'
        ],
        'agent-a',
      );
      refused(decideRelease(cur, { taskId: 'T-1', holder: 'agent-a', now }), ErrorCode.LEASE_REQUIRED);
    }
    // The fence checks the token before liveness: a stale token is named as such.
    refused(checkFence(expired, { taskId: 'T-1', holder: 'agent-a', now, token: 7 }), ErrorCode.LEASE_FENCED);
    assert.deepEqual(checkFence(lease(), { taskId: 'T-1', holder: 'agent-a', now: new Date(T0), token: 1 }), {
      ok: true,
      value: lease(),
    });
  });
});
