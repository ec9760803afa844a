/**
 * @module The outbox, as pure data and decisions: an external side effect (a push of the task branch) is a row
 * written in the same transaction as the ledger entry that decides it, keyed by task, phase epoch and action, and
 * carried through pending → sending → sent by a dispatcher that claims it, checks whether the effect is already
 * there, performs it, and records the result. Times come in as arguments.
 */
import { ErrorCode, refuse } from './errors.ts';
import type { ForgeKind } from '../ports/forge.ts';

/**
 * Where a row is:
 * - `pending`: decided, not yet tried (or put back by a person with `outbox retry`);
 * - `sending`: claimed by a dispatcher (its host and pid on the row), which may have performed the effect and not
 *   recorded it yet: whoever takes the row over checks the effect before performing it again;
 * - `failed`: the last attempt failed; tried again at `nextAt`;
 * - `stopped`: failed `maxAttempts` times, or failed in a way no retry can fix; waits for a person (`outbox retry`);
 * - `sent`: done, and recorded in the ledger (`resultSeq`);
 * - `dropped`: a person dropped it, or the task moved on before it was sent (`lastError` says which).
 */
export const OutboxState = {
  pending: 'pending',
  sending: 'sending',
  failed: 'failed',
  stopped: 'stopped',
  sent: 'sent',
  dropped: 'dropped',
} as const;
export type OutboxState = (typeof OutboxState)[keyof typeof OutboxState];

export const OUTBOX_STATES: readonly OutboxState[] = Object.values(OutboxState);

/**
 * The actions a row may name. `push`: push the task branch to a git remote (git-only mode, and the first step with a
 * forge). With a forge, each step decides the next in the transaction that records it: `open_pr` (open the pull
 * request, or update the open one of the branch), then `comment` (the evidence summary, one comment found again by
 * its marker), `status` (a commit status on the pushed commit) and, when `pr.reviewers` or `pr.teamReviewers` name
 * someone, `request_reviewers` (those not asked yet are asked).
 */
export const OutboxAction = {
  push: 'push',
  open_pr: 'open_pr',
  comment: 'comment',
  status: 'status',
  request_reviewers: 'request_reviewers',
} as const;
export type OutboxAction = (typeof OutboxAction)[keyof typeof OutboxAction];

/** What a `push` row carries: the remote (its name in the repository), the branch and the commit to put there. */
export interface PushPayload {
  readonly remote: string;
  readonly branch: string;
  readonly commit: string;
  /** The phase entered by the move that decided the push; its evidence gets the pushed commit. */
  readonly phase: string;
  /** The forge the pushed branch goes to review on (the push then decides `open_pr`); absent in git-only mode. */
  readonly forge?: ForgeKind;
}

export interface OutboxRow {
  /** The idempotency key, `<task>@<phase epoch>:<action>`: one row a decision, whoever writes it twice. */
  readonly key: string;
  readonly taskId: string;
  readonly action: string;
  /** The phase epoch (seq of the entry that entered the phase) the row was decided in. */
  readonly epoch: number;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly state: OutboxState;
  /** Attempts begun (claims taken), including one that is running. */
  readonly attempts: number;
  /** When the row may be tried next (RFC 3339). */
  readonly nextAt: string;
  /** The claim of the dispatcher sending it: a token unique to the attempt, its host and process. */
  readonly claimToken: string | null;
  readonly claimHost: string | null;
  readonly claimPid: number | null;
  readonly claimedAt: string | null;
  /** The ledger entry that decided the effect, and the one that recorded its result. */
  readonly decidedSeq: number;
  readonly resultSeq: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The idempotency key of `action` decided for `taskId` in the phase visit that began at entry `epoch`. */
export function outboxKey(taskId: string, epoch: number, action: string): string {
  return `${taskId}@${epoch}:${action}`;
}

/** A new row, pending and due at once. */
export function newOutboxRow(
  taskId: string,
  epoch: number,
  action: string,
  payload: Readonly<Record<string, unknown>>,
  decidedSeq: number,
  now: Date,
): OutboxRow {
  const at = now.toISOString();
  return {
    key: outboxKey(taskId, epoch, action),
    taskId,
    action,
    epoch,
    payload,
    state: OutboxState.pending,
    attempts: 0,
    nextAt: at,
    claimToken: null,
    claimHost: null,
    claimPid: null,
    claimedAt: null,
    decidedSeq,
    resultSeq: null,
    lastError: null,
    createdAt: at,
    updatedAt: at,
  };
}

export interface Backoff {
  /** The wait after the first failure, milliseconds; it doubles each time. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** Failures after which a row stops and waits for a person. */
  readonly maxAttempts: number;
  /** A claim older than this is taken over even when its dispatcher cannot be seen to be gone (another host). */
  readonly claimTtlMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 5_000, maxMs: 10 * 60_000, maxAttempts: 6, claimTtlMs: 10 * 60_000 };

/** The wait before attempt `attempts + 1`, after `attempts` failures: baseMs, 2·baseMs, 4·baseMs, … up to maxMs. */
export function backoffMs(attempts: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Whether a dispatcher may claim `row` now: a pending row, a failed one whose time has come, or one being sent by a
 * dispatcher that is gone (`claimGone`: its process is dead on this host) or whose claim outlived `claimTtlMs`.
 */
export function claimable(row: OutboxRow, now: Date, claimGone: boolean, b: Backoff = DEFAULT_BACKOFF): boolean {
  switch (row.state) {
    case OutboxState.pending:
      // A row put off (see deferRow) waits for its time; every other pending row is due from its creation.
      return Date.parse(row.nextAt) <= now.getTime();
    case OutboxState.failed:
      return Date.parse(row.nextAt) <= now.getTime();
    case OutboxState.sending:
      return claimGone || Date.parse(row.claimedAt ?? row.updatedAt) + b.claimTtlMs <= now.getTime();
    default:
      return false;
  }
}

/** The row claimed for one attempt by the dispatcher at `host`/`pid`. */
export function claimRow(row: OutboxRow, token: string, host: string, pid: number, now: Date): OutboxRow {
  const at = now.toISOString();
  return {
    ...row,
    state: OutboxState.sending,
    attempts: row.attempts + 1,
    claimToken: token,
    claimHost: host,
    claimPid: pid,
    claimedAt: at,
    updatedAt: at,
  };
}

/** The row after a failed attempt: tried again after the backoff, or stopped for a person. */
export function failRow(row: OutboxRow, error: string, retryable: boolean, now: Date, b = DEFAULT_BACKOFF): OutboxRow {
  const stop = !retryable || row.attempts >= b.maxAttempts;
  return {
    ...released(row, now),
    state: stop ? OutboxState.stopped : OutboxState.failed,
    nextAt: new Date(now.getTime() + (stop ? 0 : backoffMs(row.attempts, b))).toISOString(),
    lastError: error.slice(0, 2000),
  };
}

/**
 * The row put off without a failure: what it needs is not there yet (the agent has not written the PR template), so
 * it goes back to pending, due again after `waitMs`, and the attempt does not count towards `maxAttempts`.
 */
export function deferRow(row: OutboxRow, why: string, waitMs: number, now: Date): OutboxRow {
  return {
    ...released(row, now),
    state: OutboxState.pending,
    attempts: Math.max(0, row.attempts - 1),
    nextAt: new Date(now.getTime() + waitMs).toISOString(),
    lastError: why.slice(0, 2000),
  };
}

/** The row once its effect is recorded by entry `seq`. */
export function sentRow(row: OutboxRow, seq: number, now: Date): OutboxRow {
  return { ...released(row, now), state: OutboxState.sent, resultSeq: seq, lastError: null };
}

/** The row dropped, by a person or because the decision no longer holds, with the reason. */
export function droppedRow(row: OutboxRow, reason: string, now: Date): OutboxRow {
  return { ...released(row, now), state: OutboxState.dropped, lastError: reason };
}

function released(row: OutboxRow, now: Date): OutboxRow {
  return { ...row, claimToken: null, claimHost: null, claimPid: null, claimedAt: null, updatedAt: now.toISOString() };
}

/** What a person may do to a row in each state. */
export function decideOperator(row: OutboxRow | undefined, key: string, op: 'retry' | 'drop', now: Date) {
  if (!row)
    return refuse(ErrorCode.USAGE, `no outbox row ${key}; list the rows with: autopilot outbox list`, {
      argument: 'KEY',
      key,
    });
  const allowed: readonly OutboxState[] =
    op === 'retry'
      ? [OutboxState.failed, OutboxState.stopped, OutboxState.dropped]
      : [OutboxState.pending, OutboxState.failed, OutboxState.stopped];
  if (!allowed.includes(row.state)) {
    const why =
      row.state === OutboxState.sent
        ? 'it was sent and recorded already'
        : row.state === OutboxState.sending
          ? 'a dispatcher is sending it now; wait for it to finish'
          : `it is ${row.state}`;
    return refuse(ErrorCode.USAGE, `cannot ${op} outbox row ${key}: ${why}`, {
      argument: 'KEY',
      key,
      state: row.state,
    });
  }
  const at = now.toISOString();
  return {
    ok: true as const,
    value:
      op === 'retry'
        ? { ...released(row, now), state: OutboxState.pending, attempts: 0, nextAt: at, lastError: null }
        : droppedRow(row, 'dropped by a person', now),
  };
}
