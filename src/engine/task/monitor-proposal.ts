/**
 * @module An unhealthy MONITOR sends the task back through a person: the refused move out of the monitor phase records
 * a `backtrack_proposed` entry (the phase to go back to and the failing checks) and, with it, an approval request that
 * a person answers with a signed decision. Requesting changes to the proposed phase carries it out (task/decision.ts);
 * approving declines it, and the task stays where it is. One proposal waits at a time.
 */
import type { LedgerEntry } from '../../core/ledger.ts';
import type { Refusal } from '../../core/errors.ts';
import type { TaskState } from '../../core/task.ts';
import { DEPLOYMENT_STATUS } from '../../core/config.ts';
import type { StoreTx } from '../../ports/store.ts';
import { append } from '../ledger/record.ts';
import { approvalState } from '../approvals/guard.ts';
import type { Produced } from '../evidence/producers/index.ts';
import type { Engine } from '../context.ts';

/** The proposal a refused move made (or found waiting), for the refusal's details and the surfaces. */
export interface BacktrackProposal {
  readonly seq: number;
  readonly request: number;
  readonly to: string;
  readonly reason: string;
}

/** The phase an unhealthy MONITOR proposes to go back to: `monitor.backtrackTo`, else the implement role's phase. */
export function proposalTarget(engine: Engine): string | null {
  return engine.config.monitor?.backtrackTo ?? engine.config.roles.implement ?? null;
}

/**
 * Inside the transaction of a refused move out of the monitor phase: when the deployment status just produced says
 * unhealthy, records the proposal (unless one of this phase visit still waits for a person, which is returned).
 */
export async function proposeMonitorBacktrack(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  produced: Produced,
): Promise<BacktrackProposal | undefined> {
  if (state.phase !== engine.config.roles.monitor || produced.phase !== state.phase) return undefined;
  const file = produced.files?.find((f) => f.name === DEPLOYMENT_STATUS);
  let status: { healthy?: unknown; unhealthy?: unknown };
  try {
    status = file ? (JSON.parse(file.content) as typeof status) : {};
  } catch {
    return undefined;
  }
  if (status.healthy !== false) return undefined;
  const to = proposalTarget(engine);
  if (!to || engine.config.phases.indexOf(to) >= engine.config.phases.indexOf(state.phase)) return undefined;
  const visit = await engine.store.entries({ taskId: state.taskId, kind: 'approval', fromSeq: state.phaseEpoch });
  const standing = approvalState(visit, state);
  const waiting = standing.state === 'requested' ? standing.request : undefined;
  if (waiting && typeof waiting.data['proposal'] === 'number')
    return {
      seq: waiting.data['proposal'],
      request: waiting.seq,
      to: String(waiting.data['backtrackTo']),
      reason: String(waiting.data['reason']),
    };
  // Another question waits for a person already, or a person requested changes: that answer comes first.
  if (standing.state === 'requested' || standing.state === 'escalated' || standing.state === 'changes_requested')
    return undefined;
  const failing = typeof status.unhealthy === 'string' && status.unhealthy ? status.unhealthy : 'unhealthy';
  const reason = `the deployment is unhealthy: ${failing}`.slice(0, 2000);
  const proposal = await append(engine, tx, {
    taskId: state.taskId,
    kind: 'backtrack_proposed',
    fromPhase: state.phase,
    toPhase: to,
    actor: 'autopilot',
    artifacts: [],
    data: { to, reason, unhealthy: failing },
  });
  const request: LedgerEntry = await append(engine, tx, {
    taskId: state.taskId,
    kind: 'approval',
    fromPhase: state.phase,
    toPhase: null,
    actor: 'autopilot',
    artifacts: [],
    data: {
      action: 'requested',
      by: 'autopilot',
      reason: `${reason}; send ${state.taskId} back to ${to}?`,
      requestedBy: 'autopilot',
      proposal: proposal.seq,
      backtrackTo: to,
    },
  });
  return { seq: proposal.seq, request: request.seq, to, reason };
}

/** The refusal with the proposal named: in its details, and in its message as the way on. */
export function withProposal(error: Refusal, p: BacktrackProposal): Refusal {
  return {
    ...error,
    message: `${error.message}. A backtrack to ${p.to} is proposed (ledger entry ${p.seq}) and waits for a person's decision; meanwhile fix the deployment and advance again, or backtrack`,
    details: { ...error.details, proposal: { seq: p.seq, request: p.request, to: p.to, reason: p.reason } },
  };
}

/** A proposal of the task's current phase visit as the surfaces show it: waiting for a person, or declined. */
export interface ProposalStatus extends BacktrackProposal {
  readonly state: 'waiting' | 'declined';
  /** The person who declined it. */
  readonly by?: string;
}

/**
 * The newest backtrack proposal of the task's current phase visit, and whether it still waits (a proposal a person
 * accepted sent the task back, so it belongs to an earlier visit). Undefined when there is none.
 */
export async function proposalStatus(engine: Engine, state: TaskState): Promise<ProposalStatus | undefined> {
  if (state.status !== 'active') return undefined;
  const proposals = await engine.store.entries({
    taskId: state.taskId,
    kind: 'backtrack_proposed',
    fromSeq: state.phaseEpoch,
  });
  const p = proposals.at(-1);
  if (!p) return undefined;
  const visit = await engine.store.entries({ taskId: state.taskId, kind: 'approval', fromSeq: p.seq });
  const request = visit.find((x) => x.data['action'] === 'requested' && x.data['proposal'] === p.seq);
  if (!request) return undefined;
  const answer = visit.find((x) => x.seq > request.seq && x.data['answers'] === request.seq);
  const base = { seq: p.seq, request: request.seq, to: String(p.data['to']), reason: String(p.data['reason']) };
  if (answer?.data['action'] === 'approved')
    return { ...base, state: 'declined', by: String(answer.data['by'] ?? answer.actor).replace(/^person:/, '') };
  return answer ? undefined : { ...base, state: 'waiting' };
}

/** One line on a proposal for the terminal. */
export function proposalLine(taskId: string, p: ProposalStatus): string {
  return p.state === 'waiting'
    ? `a backtrack of ${taskId} to ${p.to} is proposed (ledger entry ${p.seq}: ${p.reason}); it waits for a person's decision in the dashboard's approval panel`
    : `the backtrack to ${p.to} proposed at ledger entry ${p.seq} was declined by ${p.by}; ${taskId} stays in its phase`;
}
