/**
 * @module The watchdog. A task whose forward moves (advance, verify) are refused `watchdog.refusals` times in a row
 * for the same actor with the same message in one phase visit, because its evidence or VERIFY fails as before, or that
 * tries to move forward after `watchdog.idleMinutes` without, is going round in a loop: it is held for a
 * person with a `task_held` entry whose loop diary (the refusals, the evidence digests, the time spent) the task's
 * journal shows. The hold is released by a person's decision (approvals/hold.ts).
 */
import { PERSON_ACTIONS } from '../../core/decision.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import type { EntryDraft } from '../../core/ledger.ts';
import type { Actor, Engine } from '../context.ts';

/** The latest hold or person's decision of a task: a hold stands when it is a `task_held` or an escalation. */
export function standingHold(entries: readonly LedgerEntry[], taskId: string): LedgerEntry | undefined {
  const last = entries.findLast(
    (x) =>
      x.taskId === taskId &&
      (x.kind === 'task_held' || (x.kind === 'approval' && PERSON_ACTIONS.includes(String(x.data['action'])))),
  );
  return last && (last.kind === 'task_held' || last.data['action'] === 'escalated') ? last : undefined;
}

/** The entries a hold is read from: the task's holds and approvals, in order. */
export async function holdEntries(engine: Engine, taskId: string): Promise<LedgerEntry[]> {
  const [held, approvals] = await Promise.all([
    engine.store.entries({ taskId, kind: 'task_held' }),
    engine.store.entries({ taskId, kind: 'approval' }),
  ]);
  return [...held, ...approvals].sort((a, b) => a.seq - b.seq);
}

/**
 * The entries of the task's phase visit, with the violation just appended in the running transaction (the store's
 * reads see only what committed).
 */
async function visitEntries(engine: Engine, state: TaskState, violation?: LedgerEntry): Promise<LedgerEntry[]> {
  const committed = await engine.store.entries({ taskId: state.taskId, fromSeq: state.phaseEpoch });
  return violation && !committed.some((x) => x.seq === violation.seq) ? [...committed, violation] : committed;
}

/**
 * Refusals that say the work did not get better: the phase's evidence, or VERIFY, fails as it did. A wait for someone
 * else (a lease, a person, a hold) is never a loop of its own, and a refused skip is answered by its own code.
 */
const NO_PROGRESS = new Set(['EVIDENCE_MISSING', 'EVIDENCE_INVALID', 'VERIFY_FAILED']);

/** A refusal of a forward move (advance, verify) because its work fails as before. */
function loopable(x: LedgerEntry): boolean {
  const action = x.data['action'];
  return (action === 'advance' || action === 'verify') && NO_PROGRESS.has(String(x.data['code']));
}

/** Why the watchdog would hold the task now, or null. `violation` is the refusal just recorded, if any. */
async function loopReason(
  engine: Engine,
  state: TaskState,
  violation: LedgerEntry | undefined,
  moving: boolean,
): Promise<string | null> {
  const { refusals, idleMinutes } = engine.config.watchdog;
  const visit = await visitEntries(engine, state, violation);
  if (violation && loopable(violation)) {
    // The same move by the same actor, refused with the same message (no finding fixed in between), again and again.
    // Another holder's lease, a person's approval awaited and a hold are waits, not loops; evidence written in
    // between resets the row only when it changes the answer, which the message shows.
    const same = (x: LedgerEntry) =>
      x.kind === 'violation' &&
      x.actor === violation.actor &&
      x.data['action'] === violation.data['action'] &&
      x.data['code'] === violation.data['code'] &&
      x.data['message'] === violation.data['message'];
    let row = 0;
    for (const x of visit) {
      if (x.kind === 'violation' && x.actor === violation.actor && loopable(x)) row = same(x) ? row + 1 : 0;
      else if (x.kind === 'task_held' || x.kind === 'approval') row = 0;
    }
    if (row >= refusals)
      return `refused ${row} times in a row for the same reason (${String(violation.data['code'])} on ${String(violation.data['action'])})`;
  }
  // Time without forward progress is judged when the task tries to move forward (advance, verify): a lease or a
  // draft of evidence after a night away is work starting again, not a loop.
  if (moving && idleMinutes > 0) {
    const entered = visit[0];
    const minutes = entered ? (engine.clock.now().getTime() - Date.parse(entered.ts)) / 60_000 : 0;
    if (minutes >= idleMinutes)
      return `no forward move for ${Math.floor(minutes)} minutes in ${state.phase} (watchdog.idleMinutes: ${idleMinutes})`;
  }
  return null;
}

/**
 * The `task_held` entry to append when the task loops and is not held already (inside the transaction that recorded
 * a refusal, `violation`, or that is about to act on the task); undefined otherwise. `holds`: the task's
 * {@link holdEntries} when the caller read them in this transaction already.
 */
export async function loopHold(
  engine: Engine,
  state: TaskState,
  actor: Actor,
  violation: LedgerEntry | undefined,
  moving: boolean,
  holds?: readonly LedgerEntry[],
): Promise<EntryDraft | undefined> {
  if (state.status !== 'active') return undefined;
  if (standingHold(holds ?? (await holdEntries(engine, state.taskId)), state.taskId)) return undefined;
  const reason = await loopReason(engine, state, violation, moving);
  if (!reason) return undefined;
  const visit = await visitEntries(engine, state, violation);
  const refusals = visit
    .filter((x) => x.kind === 'violation')
    .slice(-10)
    .map((x) => ({
      seq: x.seq,
      code: x.data['code'],
      action: x.data['action'],
      message: String(x.data['message'] ?? '').slice(0, 300),
    }));
  const entered = visit[0];
  return {
    taskId: state.taskId,
    kind: 'task_held',
    fromPhase: state.phase,
    toPhase: null,
    actor: WATCHDOG,
    artifacts: [],
    data: {
      by: 'watchdog',
      reason,
      diary: {
        refusals,
        evidence: Object.entries(state.artifacts).map(([path, a]) => ({ path, sha256: a.sha256 })),
        minutesInPhase: entered ? Math.floor((engine.clock.now().getTime() - Date.parse(entered.ts)) / 60_000) : 0,
        actor: actor.id,
      },
    },
  };
}

/** The actor of the watchdog's entries. */
export const WATCHDOG = 'autopilot:watchdog';
