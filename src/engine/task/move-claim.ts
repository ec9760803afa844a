/**
 * @module The move claim of a task, in the store: taken in a short transaction
 * before a move (advance, verify) reads the evidence or runs a producer, checked
 * and dropped by the transaction that records the move. Parallel moves of one
 * task, from any process (and, on PostgreSQL, any host), are so serialised end
 * to end, and the loser is refused with LEASE_HELD instead of racing on the
 * phase's files. A claim whose process is gone (on this host) or whose time ran
 * out no longer counts, so a killed mover never blocks the task for good.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { claimInForce, decideClaim, refuseMoveRunning, type MoveClaim } from '../../core/move.ts';
import type { TaskState } from '../../core/task.ts';
import type { StoreTx } from '../../ports/store.ts';
import { recordRefusal } from '../ledger/record.ts';
import { holderOf, leaseNow } from './leases.ts';
import type { Actor, Engine } from '../context.ts';

/** Time a move may take besides its commands: reading the evidence, git, the drift check, the commit. */
const MOVE_BASE_MS = 120_000;

/**
 * How long a claim lasts: long enough for every configured command to run to its
 * timeout, after which the claim is taken as abandoned (a mover on another host
 * that died without a word).
 */
export function moveTtlMs(engine: Engine): number {
  const c = engine.config.commands;
  const specs = [c.build, c.test, c.lint, ...c.ci, ...c.smoke];
  return MOVE_BASE_MS + specs.reduce((sum, s) => sum + (s ? s.timeoutSeconds * 1000 : 0), 0);
}

const HOST = hostname();

/** True when the claim's process is known to be gone: it ran on this host and no process has its id any more. */
export function moverGone(claim: MoveClaim): boolean {
  if (claim.host !== HOST || claim.pid === process.pid) return false;
  try {
    process.kill(claim.pid, 0);
    return false;
  } catch (err) {
    // EPERM: the process exists under another user.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes the task's move claim inside `tx`. Refused (and recorded) with LEASE_HELD
 * while another move of the task is in force.
 */
export async function claimMove(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  attempt: { action: string; to?: string | null },
  startMs: number,
): Promise<Result<MoveClaim>> {
  const now = await leaseNow(engine, tx);
  const current = await tx.getMoveClaim(state.taskId);
  const wanted: MoveClaim = {
    taskId: state.taskId,
    token: randomUUID(),
    holder: holderOf(actor),
    action: attempt.action,
    phase: state.phase,
    host: HOST,
    pid: process.pid,
    takenAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + moveTtlMs(engine)).toISOString(),
  };
  const d = decideClaim(current, wanted, now, !!current && moverGone(current));
  if (!d.ok) return { ok: false, error: await recordRefusal(engine, tx, state, actor, attempt, d.error, startMs) };
  await tx.putMoveClaim(d.value.claim);
  return ok(d.value.claim);
}

/**
 * Inside the transaction that records a move: the move still holds its claim. When it
 * does not (its time ran out and another move took the task), nothing of it may be
 * recorded; the refusal says which.
 */
export async function checkClaimHeld(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  claim: MoveClaim,
  attempt: { action: string; to?: string | null },
  startMs: number,
): Promise<Result<null>> {
  const current = await tx.getMoveClaim(claim.taskId);
  if (current?.token === claim.token) return ok(null);
  const now = await leaseNow(engine, tx);
  const r =
    current && claimInForce(current, now, moverGone(current))
      ? refuseMoveRunning(current)
      : refuse(
          ErrorCode.LEASE_FENCED,
          `this ${claim.action} of task ${claim.taskId} outlasted its claim (taken at ${claim.takenAt}, until ${claim.expiresAt}) and another move took the task; nothing of it was recorded: read the task's status and try again`,
          { token: null, current: null, reason: 'claim-expired' },
        );
  return { ok: false, error: await recordRefusal(engine, tx, state, actor, attempt, r.error, startMs) };
}

/**
 * For a move done in one transaction (a backtrack): refused (and recorded) with
 * LEASE_HELD while another move of the task is in force, so that it cannot pull
 * the evidence from under a running producer.
 */
export async function guardNoMove(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  attempt: { action: string; to?: string | null },
  startMs: number,
): Promise<Result<null>> {
  const current = await tx.getMoveClaim(state.taskId);
  if (!current) return ok(null);
  const now = await leaseNow(engine, tx);
  if (!claimInForce(current, now, moverGone(current))) return ok(null);
  const r = refuseMoveRunning(current);
  return { ok: false, error: await recordRefusal(engine, tx, state, actor, attempt, r.error, startMs) };
}

/** Drops a move's claim in a transaction of its own: after a refusal, or when the move failed. */
export async function releaseClaim(engine: Engine, claim: MoveClaim): Promise<void> {
  await engine.store.transact((tx) => tx.dropMoveClaim(claim.taskId, claim.token));
}
