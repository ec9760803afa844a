/** @module Use case: run VERIFY's commands now and record the result, pass or fail. */
import { guardEscalation } from '../approvals/hold.ts';
import { refuseInactive } from '../../core/task.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import { guardLease } from './leases.ts';
import { recordRefusal } from '../ledger/record.ts';
import { installProduced, produce } from '../evidence/producers/index.ts';
import { tidyArchive } from '../evidence/archive.ts';
import { checkClaimHeld, claimMove, releaseClaim } from './move-claim.ts';
import type { MoveClaim } from '../../core/move.ts';
import { recordVerify } from './advance.ts';
import type { VerifyOutput } from '../evidence/producers/verify.ts';
import { backtrackAdvice, failureAdvice, failureRemedy } from '../evidence/producers/run-commands.ts';
import type { Actor, Engine } from '../context.ts';
import { contractChange } from '../repo/contract.ts';
import { refuseConfigChanged } from './contract.ts';
import { phaseWaivers, waiverRequired } from '../../core/waivers.ts';
import { loadTask } from '../ledger/load-task.ts';
import { guardRoleRecorded } from '../evidence/role.ts';

export interface VerifyOutcome {
  readonly task: TaskState;
  readonly entry: LedgerEntry;
  readonly verify: VerifyOutput;
}

export async function runVerify(
  engine: Engine,
  actor: Actor,
  req: { taskId: string; token?: number },
): Promise<Result<VerifyOutcome>> {
  const startMs = Date.now();
  const role = await guardRoleRecorded(engine, actor, 'verify', req.taskId);
  if (!role.ok) return role;
  const loaded = await loadTask(engine.store, req.taskId);
  if (!loaded.ok) return loaded;
  const state = loaded.value;
  if (state.status !== 'active') {
    return refuseInactive(state, 'there is nothing to verify');
  }
  // The phase in the verify role: the only one whose commands this use case runs.
  const verifyPhase = engine.config.roles.verify;
  const change = contractChange(engine.layout.stateDir, engine.config, state);
  if (change) {
    const r = refuseConfigChanged(state.taskId, change);
    return {
      ok: false,
      error: await engine.store.transact((tx) =>
        recordRefusal(engine, tx, state, actor, { action: 'verify', to: verifyPhase }, r.error, startMs),
      ),
    };
  }
  if (state.phase !== verifyPhase) {
    const r = refuse(
      ErrorCode.PHASE_SKIP,
      verifyPhase
        ? `verify runs in ${verifyPhase}; ${req.taskId} is in ${state.phase}: finish ${state.phase} and advance first`
        : `verify runs in the phase the config gives the verify role, and this process has none (roles.verify in .autopilot/config.yaml)`,
      { from: state.phase, to: verifyPhase, next: null },
    );
    return {
      ok: false,
      error: await engine.store.transact((tx) =>
        recordRefusal(engine, tx, state, actor, { action: 'verify', to: verifyPhase }, r.error, startMs),
      ),
    };
  }
  // Build and coverage not configured and not waived: nothing would stand behind the run, so it is refused first.
  const unwaived = phaseWaivers(engine.config, state.phase).missing[0];
  if (unwaived) {
    const w = waiverRequired(state.taskId, state.phase, unwaived);
    return {
      ok: false,
      error: await engine.store.transact((tx) =>
        recordRefusal(
          engine,
          tx,
          state,
          actor,
          { action: 'verify', to: verifyPhase },
          { code: ErrorCode.WAIVER_REQUIRED, ...w },
          startMs,
        ),
      ),
    };
  }
  const attempt = { action: 'verify' };
  // A verify run is a move of the task like an advance: one at a time, its files written only when it is recorded.
  const taken = await engine.store.transact(async (tx): Promise<Result<MoveClaim>> => {
    const now = (await tx.getTask(req.taskId)) ?? state;
    if (now.phaseEpoch !== state.phaseEpoch) return movedWhileRunning(req);
    const escalation = await guardEscalation(engine, tx, now, actor, attempt, startMs);
    if (!escalation.ok) return escalation;
    const claim = await claimMove(engine, tx, now, actor, attempt, startMs);
    if (!claim.ok) return claim;
    const pre = await guardLease(engine, tx, now, actor, 'verify', req.token, startMs);
    if (pre.ok) return claim;
    await tx.dropMoveClaim(claim.value.taskId, claim.value.token);
    return pre;
  });
  if (!taken.ok) return taken;
  const claim = taken.value;
  let released = false;
  try {
    const produced = await produce(engine, state, state.phase);
    const verify = produced.verify;
    if (!verify) throw new Error('the VERIFY producer returned no run');
    const result = await engine.store.transact(async (tx): Promise<Result<VerifyOutcome>> => {
      try {
        const now = (await tx.getTask(req.taskId)) ?? state;
        const held = await checkClaimHeld(engine, tx, now, actor, claim, attempt, startMs);
        if (!held.ok) return held;
        if (now.phaseEpoch !== state.phaseEpoch) return movedWhileRunning(req);
        const lease = await guardLease(engine, tx, now, actor, 'verify', req.token, startMs);
        if (!lease.ok) return lease;
        // The files go in with the entry that records their digests, the archive of an interrupted backtrack settled first.
        tidyArchive(engine.layout, now);
        installProduced(engine, now.taskId, produced);
        const entry = await recordVerify(engine, tx, now, actor, produced);
        const task = (await tx.getTask(req.taskId)) ?? now;
        if (!verify.passed) {
          const error = await recordRefusal(
            engine,
            tx,
            task,
            actor,
            attempt,
            {
              code: ErrorCode.VERIFY_FAILED,
              message: `verify failed: ${failureAdvice(verify.failures, {
                retry: `verify ${req.taskId} again`,
                backtrack: backtrackAdvice(engine.config.roles.implement),
              })}`,
              details: {
                taskId: req.taskId,
                remedy: failureRemedy(verify.failures, 'verify', engine.config.roles.implement),
                commands: verify.commands,
                findings: verify.problems,
                failures: verify.failures,
                seq: entry.seq,
              },
            },
            startMs,
          );
          return { ok: false, error };
        }
        return ok({ task, entry, verify });
      } finally {
        await tx.dropMoveClaim(claim.taskId, claim.token);
      }
    });
    released = true;
    return result;
  } finally {
    if (!released) await releaseClaim(engine, claim).catch(() => {});
  }
}

function movedWhileRunning(req: { taskId: string; token?: number }) {
  return refuse(ErrorCode.LEASE_FENCED, `task ${req.taskId} moved while verify ran; its result was not recorded`, {
    token: req.token ?? null,
    current: null,
  });
}
