/**
 * @module Use cases: lease acquire, renew, release, and the lease check every
 * mutating call goes through (implicit leases take and renew on the way).
 */
import { guardEscalation } from '../approvals/hold.ts';
import { ErrorCode, ok, refuse, type Refusal, type Result } from '../../core/errors.ts';
import { decideAcquire, decideRelease, decideRenew, isLive, type Lease, type LeaseDecision } from '../../core/lease.ts';
import { refusePhaseUnknown, type TaskState, refuseInactive } from '../../core/task.ts';
import { normalizePhase } from '../../core/phases.ts';
import type { StoreTx } from '../../ports/store.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import type { Actor, Engine } from '../context.ts';
import { loadTask } from '../ledger/load-task.ts';
import { guardRoleRecorded } from '../evidence/role.ts';

export function holderOf(actor: Actor): string {
  return actor.holder ?? actor.id;
}

/** The time lease decisions use: the store's clock when it has one (shared by every host), else the engine's. */
export async function leaseNow(engine: Engine, tx: StoreTx): Promise<Date> {
  return tx.now ? tx.now() : engine.clock.now();
}

async function recordChange(
  engine: Engine,
  tx: StoreTx,
  actor: Actor,
  d: LeaseDecision,
  state: TaskState,
): Promise<void> {
  await tx.putLease(d.lease);
  // Renewals only move the expiry; the ledger records changes of hands and releases.
  if (d.change === 'renewed') return;
  await append(engine, tx, {
    taskId: state.taskId,
    kind: 'lease',
    fromPhase: state.phase,
    toPhase: null,
    actor: actor.id,
    artifacts: [],
    data: {
      change: d.change,
      holder: d.lease.holder,
      token: d.lease.token,
      expiresAt: d.lease.expiresAt,
      ...(d.previousHolder ? { previousHolder: d.previousHolder } : {}),
    },
  });
}

/**
 * The lease check of a mutating call, inside its transaction. Returns the live
 * lease (or null with leases off), or the refusal, already recorded.
 */
export async function guardLease(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  action: string,
  token: number | undefined,
  startMs: number,
): Promise<Result<Lease | null>> {
  const mode = engine.config.leases.mode;
  if (mode === 'off') return ok(null);
  const now = await leaseNow(engine, tx);
  const current = await tx.getLease(state.taskId);
  const holder = holderOf(actor);
  const fail = async (r: { ok: false; error: Refusal }) => ({
    ok: false as const,
    error: await recordRefusal(engine, tx, state, actor, { action }, r.error, startMs),
  });
  if (token !== undefined && current && token !== current.token) {
    return fail(
      refuse(
        ErrorCode.LEASE_FENCED,
        `lease token ${token} is stale (current ${current.token}, held by ${current.holder ?? 'nobody'}): another holder has worked on ${state.taskId} since; re-read its status`,
        {
          token,
          current: current.token,
          holder: current.holder,
        },
      ),
    );
  }
  if (mode === 'explicit' && !(isLive(current, now) && current.holder === holder)) {
    if (isLive(current, now)) {
      const d = decideAcquire(current, { taskId: state.taskId, phase: state.phase, holder, ttlMs: 0, now });
      if (!d.ok) return fail(d);
    }
    return fail(
      refuse(ErrorCode.LEASE_REQUIRED, `leases are explicit: take the lease of ${state.taskId} first`, {
        taskId: state.taskId,
        phase: state.phase,
        holder,
      }),
    );
  }
  const d = decideAcquire(current, {
    taskId: state.taskId,
    phase: state.phase,
    holder,
    ttlMs: engine.config.leases.ttlSeconds * 1000,
    now,
  });
  if (!d.ok) return fail(d);
  await recordChange(engine, tx, actor, d.value, state);
  return ok(d.value.lease);
}

export interface LeaseRequest {
  readonly taskId: string;
  readonly ttlSeconds?: number;
  readonly token?: number;
}

type LeaseOp = 'acquire' | 'renew' | 'release';

export async function leaseOp(
  engine: Engine,
  actor: Actor,
  op: LeaseOp,
  req: LeaseRequest & { phase?: string },
): Promise<Result<LeaseDecision>> {
  const startMs = Date.now();
  // A reviewer writes its rubric without the task's lease (see evidence.ts), so it never takes one.
  const role = await guardRoleRecorded(engine, actor, `lease_${op}`, req.taskId);
  if (!role.ok) return role;
  return engine.store.transact(async (tx) => {
    const loaded = await loadTask(tx, req.taskId);
    if (!loaded.ok) return loaded;
    const state = loaded.value;
    if (state.status !== 'active') {
      return refuseInactive(state, 'there is nothing to lease');
    }
    // Stepping away stays possible; taking or keeping the task waits for the person an escalation called.
    if (op !== 'release') {
      const escalation = await guardEscalation(engine, tx, state, actor, { action: `lease_${op}` }, startMs);
      if (!escalation.ok) return escalation;
    }
    const phase = req.phase === undefined ? state.phase : normalizePhase(engine.config.phases, req.phase);
    if (phase !== state.phase) {
      // A lease on another phase is a way to work ahead: refused, counted and recorded like any skip.
      const r = phase
        ? refuse(ErrorCode.PHASE_SKIP, `a lease can only be taken on the task's current phase, ${state.phase}`, {
            from: state.phase,
            to: phase,
            next: state.phase,
          })
        : refusePhaseUnknown(req.phase ?? '', engine.config);
      return {
        ok: false,
        error: await recordRefusal(
          engine,
          tx,
          state,
          actor,
          { action: `lease_${op}`, to: phase ?? null },
          r.error,
          startMs,
        ),
      };
    }
    const now = await leaseNow(engine, tx);
    const holder = holderOf(actor);
    const ttlMs = (req.ttlSeconds ?? engine.config.leases.ttlSeconds) * 1000;
    const current = await tx.getLease(req.taskId);
    const d =
      op === 'acquire'
        ? decideAcquire(current, { taskId: req.taskId, phase: state.phase, holder, ttlMs, now })
        : op === 'renew'
          ? decideRenew(current, {
              taskId: req.taskId,
              holder,
              ttlMs,
              now,
              ...(req.token !== undefined ? { token: req.token } : {}),
            })
          : decideRelease(current, {
              taskId: req.taskId,
              holder,
              now,
              ...(req.token !== undefined ? { token: req.token } : {}),
            });
    if (!d.ok)
      return {
        ok: false,
        error: await recordRefusal(engine, tx, state, actor, { action: `lease_${op}` }, d.error, startMs),
      };
    if (op === 'release') {
      await tx.putLease(d.value.lease);
      await append(engine, tx, {
        taskId: state.taskId,
        kind: 'lease',
        fromPhase: state.phase,
        toPhase: null,
        actor: actor.id,
        artifacts: [],
        data: { change: 'released', holder, token: d.value.lease.token, heldSince: current?.acquiredAt ?? null },
      });
    } else {
      await recordChange(engine, tx, actor, d.value, state);
    }
    return d;
  });
}

/** Moves the mover's lease along with the task to the phase it entered. */
export async function moveLease(tx: StoreTx, lease: Lease | null, phase: string): Promise<void> {
  if (lease) await tx.putLease({ ...lease, phase });
}
