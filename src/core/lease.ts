/**
 * @module Leases on (task, phase) with fencing tokens, as pure decisions. The
 * token grows whenever the lease changes hands, and never goes back: a released
 * lease keeps its row so the next holder's token is still larger.
 */
import { ErrorCode, ok, refuse, type Result } from './errors.ts';

export interface Lease {
  readonly taskId: string;
  readonly phase: string;
  /** Null when released. */
  readonly holder: string | null;
  readonly token: number;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

export type LeaseChange = 'acquired' | 'renewed' | 'reclaimed' | 'takeover' | 'released' | 'moved';

export interface LeaseDecision {
  readonly lease: Lease;
  readonly change: LeaseChange;
  /** The holder that lost the lease on a takeover. */
  readonly previousHolder?: string;
}

/** True when a lease is held (not released, not expired) at `now`. */
export function isLive(lease: Lease | undefined, now: Date): lease is Lease & { holder: string } {
  return !!lease && lease.holder !== null && Date.parse(lease.expiresAt) > now.getTime();
}

function refuseHeld(lease: Lease) {
  return refuse(
    ErrorCode.LEASE_HELD,
    `task ${lease.taskId} (${lease.phase}) is leased by ${lease.holder} until ${lease.expiresAt}; wait for it to expire or be released, or work on another task`,
    { holder: lease.holder, expiresAt: lease.expiresAt, phase: lease.phase, token: lease.token },
  );
}

/**
 * Acquire or renew: the same holder renews (or reclaims after a crash), anyone
 * else is refused while the lease is live and takes over once it has expired.
 */
export function decideAcquire(
  current: Lease | undefined,
  req: { taskId: string; phase: string; holder: string; ttlMs: number; now: Date },
): Result<LeaseDecision> {
  const expiresAt = new Date(req.now.getTime() + req.ttlMs).toISOString();
  const at = req.now.toISOString();
  if (current && current.holder === req.holder) {
    const live = isLive(current, req.now);
    return ok({
      lease: { ...current, phase: req.phase, expiresAt, acquiredAt: live ? current.acquiredAt : at },
      change: live ? 'renewed' : 'reclaimed',
    });
  }
  if (isLive(current, req.now)) return refuseHeld(current);
  const token = (current?.token ?? 0) + 1;
  const lease: Lease = { taskId: req.taskId, phase: req.phase, holder: req.holder, token, acquiredAt: at, expiresAt };
  if (current && current.holder !== null) return ok({ lease, change: 'takeover', previousHolder: current.holder });
  return ok({ lease, change: 'acquired' });
}

/** Renew only: the caller must hold the lease now. */
export function decideRenew(
  current: Lease | undefined,
  req: { taskId: string; holder: string; ttlMs: number; now: Date; token?: number },
): Result<LeaseDecision> {
  const fenced = checkFence(current, req);
  if (!fenced.ok) return fenced;
  const lease = fenced.value;
  return ok({
    lease: { ...lease, expiresAt: new Date(req.now.getTime() + req.ttlMs).toISOString() },
    change: 'renewed',
  });
}

export function decideRelease(
  current: Lease | undefined,
  req: { taskId: string; holder: string; now: Date; token?: number },
): Result<LeaseDecision> {
  const fenced = checkFence(current, req);
  if (!fenced.ok) return fenced;
  return ok({ lease: { ...fenced.value, holder: null, expiresAt: req.now.toISOString() }, change: 'released' });
}

/**
 * The fence: the caller must be the live holder, and when it presents a token,
 * the token must be the current one. Returns the live lease.
 */
export function checkFence(
  current: Lease | undefined,
  req: { taskId: string; holder: string; now: Date; token?: number },
): Result<Lease> {
  if (req.token !== undefined && current && req.token !== current.token) {
    return refuse(
      ErrorCode.LEASE_FENCED,
      `lease token ${req.token} is stale (current token ${current.token}): another holder took the task over; re-read the task status before doing anything else`,
      { token: req.token, current: current.token, holder: current.holder },
    );
  }
  if (!isLive(current, req.now)) {
    return refuse(ErrorCode.LEASE_REQUIRED, `no live lease on task ${req.taskId}`, {
      taskId: req.taskId,
      phase: current?.phase ?? null,
      holder: req.holder,
    });
  }
  if (current.holder !== req.holder) return refuseHeld(current);
  return ok(current);
}
