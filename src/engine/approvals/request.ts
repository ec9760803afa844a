/** @module Use case: ask a person for an approval. It records the request only; deciding it is a person's act, outside the agent's reach. */
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { normalizePhase } from '../../core/phases.ts';
import { refusePhaseUnknown, type TaskState, refuseInactive } from '../../core/task.ts';
import { append } from '../ledger/record.ts';
import { approvalState } from './guard.ts';
import type { Actor, Engine } from '../context.ts';
import { clause } from '../../core/phrasing.ts';
import { loadTask } from '../ledger/load-task.ts';
import { guardRoleRecorded } from '../evidence/role.ts';

export interface ApprovalRequest {
  readonly taskId: string;
  /** Why the agent asks, for the person who decides. */
  readonly reason: string;
  /** The phase the task wants to enter, when the approval is for a move. */
  readonly to?: string;
  /** The tool call the approval is for, when the guard answered "ask". */
  readonly tool?: string;
  readonly input?: unknown;
}

export interface ApprovalRequestOutcome {
  readonly task: TaskState;
  /** The request, or the decision already made in this phase visit. */
  readonly entry: LedgerEntry;
  readonly status: 'requested' | 'approved' | 'escalated';
  /** False when a request or a decision of this phase visit stands already: nothing was appended. */
  readonly created: boolean;
}

/**
 * Records an approval request as an `approval` entry with `action: 'requested'`;
 * never decides one. One request waits at a time: while one is waiting (or
 * escalated) it is returned as it is, and so is an approval of the same
 * question (same move, tool and input); a different question after an approval
 * is a new request, since a person's decision answers only what it was asked.
 * After "changes requested" the request is refused until the agent backtracks.
 */
export async function requestApproval(
  engine: Engine,
  actor: Actor,
  req: ApprovalRequest,
): Promise<Result<ApprovalRequestOutcome>> {
  const role = await guardRoleRecorded(engine, actor, 'approval_request', req.taskId);
  if (!role.ok) return role;
  const reason = req.reason.trim();
  if (!reason)
    return refuse(ErrorCode.USAGE, 'say why the approval is needed: reason must not be empty', { argument: 'reason' });
  return engine.store.transact(async (tx): Promise<Result<ApprovalRequestOutcome>> => {
    const loaded = await loadTask(tx, req.taskId);
    if (!loaded.ok) return loaded;
    const state = loaded.value;
    if (state.status !== 'active') {
      return refuseInactive(state, 'there is nothing left to approve');
    }
    let to: string | null = null;
    if (req.to !== undefined) {
      const phase = normalizePhase(engine.config.phases, req.to);
      if (!phase) return refusePhaseUnknown(req.to, engine.config);
      to = phase;
    }
    const input = req.input === undefined ? undefined : JSON.stringify(req.input);
    const stored = input !== undefined && input.length > 1000 ? `${input.slice(0, 1000)}…` : input;
    const tool = req.tool?.slice(0, 200);
    const standing = approvalState(
      await engine.store.entries({ taskId: state.taskId, kind: 'approval', fromSeq: state.phaseEpoch }),
      state,
    );
    if (standing.state === 'changes_requested') {
      return refuse(
        ErrorCode.APPROVAL_REQUIRED,
        `a person requested changes: ${clause(String(standing.entry?.data['reason'] ?? ''))}. Backtrack to ${String(standing.entry?.data['backtrackTo'] ?? 'the phase named')} and pass the phases again before asking again`,
        { phase: standing.entry?.toPhase ?? state.phase, approval: standing.state, reasons: [] },
      );
    }
    // One request waits at a time. An approval answers only what it was asked: a request about something else is new.
    const sameSubject = (r: typeof standing.request) =>
      !!r && (r.toPhase ?? null) === to && r.data['tool'] === tool && r.data['input'] === stored;
    if (
      standing.entry &&
      (standing.state === 'requested' ||
        standing.state === 'escalated' ||
        (standing.state === 'approved' && sameSubject(standing.request)))
    ) {
      return ok({ task: state, entry: standing.entry, status: standing.state, created: false });
    }
    const entry = await append(engine, tx, {
      taskId: state.taskId,
      kind: 'approval',
      fromPhase: state.phase,
      toPhase: to,
      actor: actor.id,
      artifacts: [],
      data: {
        action: 'requested',
        by: 'agent',
        reason: reason.slice(0, 2000),
        requestedBy: actor.id,
        ...(tool !== undefined ? { tool } : {}),
        ...(stored !== undefined ? { input: stored } : {}),
      },
    });
    const task = (await tx.getTask(state.taskId)) ?? state;
    return ok({ task, entry, status: 'requested' as const, created: true });
  });
}
