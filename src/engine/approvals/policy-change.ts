/**
 * @module The change decision of the move out of the implement phase: the repository's policies decide the task's
 * diff (the same change Gate 1 decides, engine/evidence/change-request.ts). A deny refuses the move; an ask needs a
 * person's approval given for those policies and this diff, and records the request the dashboard shows; what
 * observe-mode policies would have done is recorded and the move goes on.
 */
import {
  changeStamp,
  coverPolicies,
  policyApprovals,
  type ChangeStamp,
  type PolicyCover,
} from '../../core/policy/approvals.ts';
import type { ChangeFinding, ChangeVerdict } from '../../core/policy/change.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { TaskState } from '../../core/task.ts';
import { Counter } from '../../ports/events.ts';
import type { StoreTx } from '../../ports/store.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import { taskDiff } from '../evidence/producers/diff.ts';
import { taskChangeRequest, workingBlobs } from '../evidence/change-request.ts';
import { decideChange, policySetOf, type ChangeDecision } from '../repo/policies.ts';
import type { Actor, Engine } from '../context.ts';

/** The task's change as the policies decided it, read before the move's transaction. */
export interface ChangeJudgement {
  readonly decision: ChangeDecision;
  readonly stamp: ChangeStamp;
}

/** What the move records of the decision: the policies, the verdict, the set's digest, the approvals relied on. */
export interface ChangeOutcome {
  readonly policyIds: readonly string[];
  readonly verdict: ChangeVerdict['verdict'];
  readonly digest: string;
  readonly approvals: readonly number[];
  /** What observe-mode policies would have decided, where stricter. */
  readonly observed?: { readonly verdict: ChangeVerdict['verdict']; readonly policyIds: readonly string[] };
}

/**
 * True when the move from the task's phase to `to` leaves the implement phase forward under a contract with policies
 * of the repository (without them every change is allowed, and the diff need not be read again).
 */
export function leavesImplement(engine: Engine, state: TaskState, to: string | null): boolean {
  return (
    to !== null &&
    state.phase === engine.config.roles.implement &&
    Object.keys(engine.config.policies?.sources ?? {}).length > 0
  );
}

/** Decides the task's diff as it is now by the policy set of the task's contract. */
export async function judgeTaskChange(engine: Engine, state: TaskState, actor: Actor): Promise<ChangeJudgement> {
  const diff = await taskDiff(engine, state);
  const request = await taskChangeRequest(engine, state, diff, { id: actor.id, kind: 'agent' });
  // Each file's content too: Gate 1 tells by it that the branch holds the change a person approved.
  const blobs = await workingBlobs(
    engine.layout.root,
    request.files.map((f) => f.path),
  );
  const files = request.files.map((f) => ({ ...f, ...(blobs.has(f.path) ? { blob: blobs.get(f.path) } : {}) }));
  return { decision: decideChange(engine.config, request), stamp: changeStamp(diff.sha256, files) };
}

const RANK = { allow: 0, ask: 1, deny: 2 } as const;

const onText = (f: ChangeFinding) => `${f.on.slice(0, 3).join(', ')}${f.on.length > 3 ? ', …' : ''}`;

/**
 * The policies' verdict on the move, inside its transaction. Deny: refused (VERIFY_FAILED, as Gate 1 fails a denied
 * change). Ask: each asking policy needs a person's approval that names it and was given for this diff; otherwise
 * the request is recorded (once for the same policies and diff) and the move refused with APPROVAL_REQUIRED.
 */
export async function guardChangePolicies(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  to: string,
  judged: ChangeJudgement,
  startMs: number,
): Promise<Result<ChangeOutcome>> {
  const { decision, stamp } = judged;
  const enforced = decision.enforced;
  const attempt = { action: 'advance', to };
  const facts = { policyIds: enforced.policyIds, policyVerdict: enforced.verdict, policyDigest: decision.digest };
  const reason = (id: string) =>
    policySetOf(engine.config).policies.find((p) => p.id === id)?.reason ?? 'see the policy';
  const acting = enforced.findings.filter((f) => enforced.policyIds.includes(f.policyId));
  const named = acting.map((f) => `${f.policyId} (${onText(f)}: ${reason(f.policyId)})`);
  if (enforced.verdict === 'deny') {
    const errors = enforced.errors.length ? [`a policy could not be evaluated: ${enforced.errors[0]}`] : [];
    const r = refuse(
      ErrorCode.VERIFY_FAILED,
      `${state.taskId}'s change is denied by ${[...named, ...errors].join('; ')}. No person can approve it: change the diff in ${state.phase} so that the ${acting.length === 1 ? 'policy allows' : 'policies allow'} it, then advance again`,
      { taskId: state.taskId, phase: to, ...facts, findings: enforced.findings, errors: enforced.errors },
    );
    return { ok: false, error: await recordRefusal(engine, tx, state, actor, attempt, r.error, startMs) };
  }
  let approvals: number[] = [];
  if (enforced.verdict === 'ask') {
    const entries = await engine.store.entries({ taskId: state.taskId, kind: 'approval', fromSeq: state.phaseEpoch });
    const covers = coverPolicies(
      enforced.policyIds,
      policyApprovals(entries),
      (a) => a.signedDiff === stamp.digest && a.change.digest === stamp.digest,
    );
    const missing = covers.filter((c) => c.status !== 'approved');
    if (missing.length > 0) {
      // One request for the same policies and the same diff: asking again only repeats what the panel shows.
      const last = entries.at(-1);
      const pending =
        last?.data['action'] === 'requested' &&
        last.data['by'] === 'policy' &&
        (last.data['change'] as ChangeStamp | undefined)?.digest === stamp.digest &&
        JSON.stringify(last.data['policyIds']) === JSON.stringify(enforced.policyIds);
      if (!pending)
        await append(engine, tx, {
          taskId: state.taskId,
          kind: 'approval',
          fromPhase: state.phase,
          toPhase: to,
          actor: actor.id,
          artifacts: [],
          data: {
            action: 'requested',
            by: 'policy',
            ...facts,
            change: stamp,
            risk: 'high',
            reasons: acting.map((f) => ({
              class: 'policy',
              level: 'high',
              detail: `${f.policyId} on ${onText(f)}: ${reason(f.policyId)}`,
            })),
            findings: acting,
          },
        });
      const r = refuse(ErrorCode.APPROVAL_REQUIRED, askMessage(state, to, named, covers), {
        taskId: state.taskId,
        phase: to,
        ...facts,
        findings: acting,
        approvals: covers.map(coverFacts),
        approval: 'requested',
        remedy: { person: 'dashboard' },
      });
      return { ok: false, error: await recordRefusal(engine, tx, state, actor, attempt, r.error, startMs) };
    }
    approvals = [...new Set(covers.flatMap((c) => (c.status === 'approved' ? [c.by.approval.seq] : [])))];
  }
  const observed = decision.observed;
  const stricter = observed && RANK[observed.verdict] > RANK[enforced.verdict] ? observed : undefined;
  if (stricter) {
    // Observe mode: the move goes on, and what the observed policies would have done is on the record.
    await append(engine, tx, {
      taskId: state.taskId,
      kind: 'policy_observed',
      fromPhase: state.phase,
      toPhase: to,
      actor: actor.id,
      artifacts: [],
      data: {
        decision: enforced.verdict,
        wouldHave: stricter.verdict,
        action: 'advance',
        policyIds: stricter.policyIds,
        policyVerdict: stricter.verdict,
        policyDigest: decision.digest,
        findings: stricter.findings,
        change: stamp,
        enforced: { policyIds: enforced.policyIds, policyVerdict: enforced.verdict },
      },
    });
    const now = Date.now();
    engine.sink.emit({
      type: 'counter',
      taskId: state.taskId,
      name: Counter.policy_would_block,
      value: 1,
      attributes: { phase: state.phase, action: 'advance', policy: stricter.policyIds.join(',').slice(0, 200) },
      startMs: now,
      endMs: now,
      actor: actor.id,
    });
  }
  return ok({
    policyIds: enforced.policyIds,
    verdict: enforced.verdict,
    digest: decision.digest,
    approvals,
    ...(stricter ? { observed: { verdict: stricter.verdict, policyIds: stricter.policyIds } } : {}),
  });
}

function coverFacts(c: PolicyCover) {
  return c.status === 'none'
    ? { policyId: c.policyId, status: c.status }
    : { policyId: c.policyId, status: c.status, seq: c.by.approval.seq, by: c.by.person, diff: c.by.signedDiff };
}

/** Why the move waits for a person, policy by policy: not approved yet, or approved for an earlier diff. */
function askMessage(state: TaskState, to: string, named: readonly string[], covers: readonly PolicyCover[]): string {
  const stale = covers.filter((c) => c.status === 'stale');
  const others = covers.filter((c) => c.status === 'none').map((c) => c.policyId);
  const why = [
    ...stale.map(
      (c) =>
        `${c.policyId} was approved by ${c.by.person.replace(/^person:/, '')} (entry ${c.by.approval.seq}) for an earlier diff, and the diff changed since: a new approval is requested`,
    ),
    ...(others.length ? [`no person's approval names ${others.join(', ')} yet`] : []),
  ];
  return `leaving ${state.phase} for ${to} needs a person's approval for ${named.join('; ')}. ${why.join('; ')}. It is waiting for a person to approve these policies with their passkey in the dashboard's approval panel; an approval is for the policies it names and this diff only`;
}
