/**
 * @module Use case: a person's signed decision, carried out. The decision is recorded (approvals/passkeys.ts); a
 * request for changes then sends the task back to the phase the person chose, as a backtrack that carries the
 * person's note, whoever holds the lease. Should that backtrack be refused (the config changed, say), the decision
 * still holds: no forward move leaves the phase until the task has gone back (approvals/hold.ts).
 */
import type { Refusal, Result } from '../../core/errors.ts';
import { ok } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import { decide, type SignedDecision } from '../approvals/passkeys.ts';
import { backtrack, type BacktrackOutcome } from './backtrack.ts';
import type { Engine } from '../context.ts';

export interface DecisionOutcome {
  readonly task: TaskState;
  readonly entry: LedgerEntry;
  readonly person: string;
  /** For a request for changes: the backtrack it made, or why it could not be made yet. */
  readonly backtrack?:
    { readonly ok: true; readonly value: BacktrackOutcome } | { readonly ok: false; readonly error: Refusal };
}

export async function applyDecision(engine: Engine, signed: SignedDecision): Promise<Result<DecisionOutcome>> {
  const r = await decide(engine, signed);
  if (!r.ok) return r;
  const { entry, person } = r.value;
  const to = entry.data['backtrackTo'];
  if (entry.kind !== 'approval' || entry.data['action'] !== 'changes_requested' || typeof to !== 'string')
    return ok(r.value);
  const back = await backtrack(
    engine,
    { id: person },
    {
      taskId: r.value.task.taskId,
      to,
      reason: `${person.replace(/^person:/, '')} requested changes: ${String(entry.data['reason'] ?? '')}`,
      decidedBy: entry.seq,
    },
  );
  return ok({ ...r.value, task: back.ok ? back.value.task : r.value.task, backtrack: back });
}
