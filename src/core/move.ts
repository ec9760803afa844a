/**
 * @module The move claim, as pure decisions: one move of a task (an advance, a
 * verify run) at a time, from the first read to the commit, across processes
 * and hosts. A claim names its mover (host and process) and expires, so that a
 * mover that died never blocks the task for longer than its claim.
 */
import { ErrorCode, ok, refuse, type Result } from './errors.ts';

export interface MoveClaim {
  readonly taskId: string;
  /** Unique to one move: only the move that took the claim can record under it or drop it. */
  readonly token: string;
  /** The lease holder of the mover (the actor's id when it names none). */
  readonly holder: string;
  /** What the move does: `advance`, `verify`. */
  readonly action: string;
  /** The phase the move starts from. */
  readonly phase: string;
  /** The host and process the mover runs in. */
  readonly host: string;
  readonly pid: number;
  readonly takenAt: string;
  readonly expiresAt: string;
}

/** True when a claim is in force at `now`: not expired, and its mover not known to be gone. */
export function claimInForce(claim: MoveClaim | undefined, now: Date, moverGone: boolean): claim is MoveClaim {
  return !!claim && !moverGone && Date.parse(claim.expiresAt) > now.getTime();
}

/**
 * Taking a task's move claim: granted when no claim is in force (none, expired, or its
 * mover gone), refused with LEASE_HELD while another move of the task runs.
 */
export function decideClaim(
  current: MoveClaim | undefined,
  wanted: MoveClaim,
  now: Date,
  moverGone: boolean,
): Result<{ readonly claim: MoveClaim; readonly replaced: MoveClaim | null }> {
  if (claimInForce(current, now, moverGone)) return refuseMoveRunning(current);
  return ok({ claim: wanted, replaced: current ?? null });
}

/** The refusal of a move while another move of the same task runs. */
export function refuseMoveRunning(current: MoveClaim) {
  return refuse(
    ErrorCode.LEASE_HELD,
    `another move of task ${current.taskId} is running (${current.action} out of ${current.phase} by ${current.holder}, since ${current.takenAt}): wait for it to finish, read the task's status, then move it again if it still needs it`,
    {
      holder: current.holder,
      expiresAt: current.expiresAt,
      phase: current.phase,
      reason: 'move-running',
      action: current.action,
    },
  );
}

/** The refusal of a move whose task another move changed after this one read it. */
export function refuseMovedMeanwhile(taskId: string, read: string, now: string) {
  return refuse(
    ErrorCode.LEASE_HELD,
    `another move of task ${taskId} ran while this one was checked (the task was in ${read}, it is now in ${now}); nothing was done: read its status, then move it again if it still needs it`,
    { holder: null, expiresAt: null, phase: now, reason: 'moved', from: read },
  );
}
