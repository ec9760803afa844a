/**
 * @module A person's decision holds. An escalation stops the task where it is: every move, lease, evidence write and
 * verify is refused with ESCALATED until a person decides again (approving releases it, requesting changes sends it
 * back, aborting closes it). A request for changes keeps the task from moving forward out of the phase it was made
 * in; the task is sent back to the phase the person chose (see task/decision.ts), and this guard holds until it is.
 */
import { ErrorCode, refuse, type Refusal, type Result, ok } from '../../core/errors.ts';
import { PERSON_ACTIONS } from '../../core/decision.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import type { StoreTx } from '../../ports/store.ts';
import { holdIfLooping, recordRefusal } from '../ledger/record.ts';
import { holdEntries, standingHold } from '../ledger/watchdog.ts';
import { clause } from '../../core/phrasing.ts';
import type { Actor, Engine } from '../context.ts';

/** The task's latest decision by a person (approved, changes requested, escalated), over every phase visit. */
export function lastPersonDecision(entries: readonly LedgerEntry[], taskId: string): LedgerEntry | undefined {
  return entries.findLast(
    (x) => x.taskId === taskId && x.kind === 'approval' && PERSON_ACTIONS.includes(String(x.data['action'])),
  );
}

/** The escalation or watchdog hold that holds the task, if its latest hold or person's decision is one. */
export async function escalationOf(engine: Engine, state: TaskState): Promise<LedgerEntry | undefined> {
  return standingHold(await holdEntries(engine, state.taskId), state.taskId);
}

/** The ESCALATED refusal for `entry`, a person's escalation or the watchdog's hold. */
export function refuseEscalated(state: TaskState, entry: LedgerEntry): Refusal {
  const reason = String(entry.data['reason'] ?? '');
  const release =
    "it waits for a person, who releases it by approving it in the dashboard's approval panel, or aborts it";
  if (entry.kind === 'task_held')
    return refuse(
      ErrorCode.ESCALATED,
      `the watchdog held ${state.taskId} (ledger entry ${entry.seq}: ${reason}); the loop diary is in its journal, and ${release}`,
      { taskId: state.taskId, escalation: entry.seq, by: 'watchdog', reason },
    ).error;
  const by = String(entry.data['by'] ?? entry.actor).replace(/^person:/, '');
  return refuse(
    ErrorCode.ESCALATED,
    `${by} escalated ${state.taskId} (ledger entry ${entry.seq}${reason ? `: ${clause(reason)}` : ''}): ${release}`,
    { taskId: state.taskId, escalation: entry.seq, by: entry.data['by'] ?? entry.actor, reason },
  ).error;
}

/**
 * Inside an operation's transaction: refused with ESCALATED (recorded as a violation, as other refusals of a move are)
 * while a person's escalation holds the task. `holds`: the task's {@link holdEntries}, when the caller read them in
 * this transaction already.
 */
export async function guardEscalation(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  attempt: { action: string; to?: string | null },
  startMs: number,
  holds?: readonly LedgerEntry[],
): Promise<Result<void>> {
  // One read of the task's holds and decisions serves the escalation and the watchdog's check below.
  const entries = holds ?? (await holdEntries(engine, state.taskId));
  // Not held yet: a task that has not moved forward for too long is held now, before it acts again.
  const moving = attempt.action === 'advance' || attempt.action === 'verify';
  // Only a move forward can find the task idle too long; other calls need not read the phase visit again.
  const held =
    standingHold(entries, state.taskId) ??
    (moving ? await holdIfLooping(engine, tx, state, actor, undefined, true, entries) : undefined);
  if (!held) return ok(undefined);
  return {
    ok: false,
    error: await recordRefusal(engine, tx, state, actor, attempt, refuseEscalated(state, held), startMs),
  };
}

/**
 * Inside a forward move's transaction: refused while a person's request for changes made in this phase visit stands
 * (whatever the approvals policy says about the move): the task must go back first. `holds`: the task's
 * {@link holdEntries}, when the caller read them in this transaction already (its approvals hold this visit's).
 */
export async function guardChangesRequested(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  to: string | null,
  startMs: number,
  holds?: readonly LedgerEntry[],
): Promise<Result<void>> {
  const visit = holds
    ? holds.filter((x) => x.kind === 'approval' && x.seq >= state.phaseEpoch)
    : await engine.store.entries({ taskId: state.taskId, kind: 'approval', fromSeq: state.phaseEpoch });
  const last = lastPersonDecision(visit, state.taskId);
  if (last?.data['action'] !== 'changes_requested') return ok(undefined);
  const by = String(last.data['by'] ?? last.actor).replace(/^person:/, '');
  const back = String(last.data['backtrackTo'] ?? 'the phase named');
  const r = refuse(
    ErrorCode.APPROVAL_REQUIRED,
    `${by} requested changes (ledger entry ${last.seq}: ${clause(String(last.data['reason'] ?? ''))}): go back to ${back} and pass the phases again`,
    {
      phase: to,
      approval: 'changes_requested',
      backtrackTo: back,
      note: last.data['reason'] ?? '',
      decision: last.seq,
    },
  );
  return {
    ok: false,
    error: await recordRefusal(engine, tx, state, actor, { action: 'advance', to }, r.error, startMs),
  };
}
