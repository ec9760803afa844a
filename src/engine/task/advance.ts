/**
 * @module Use case: advance a task to its next phase. Loads the task, decides
 * the move, produces Autopilot's evidence for the phase being left, checks the
 * whole contract, and appends the transition, or the refusal, to the ledger.
 */
import { phasePromptFor, promptEvent, recordedPrompt } from '../drift/persona.ts';
import { guardChangesRequested, guardEscalation } from '../approvals/hold.ts';
import { holdEntries } from '../ledger/watchdog.ts';
import { join } from 'node:path';
import { ErrorCode, ok, refuse, remedyOf, type Refusal, type Result } from '../../core/errors.ts';
import { loadTask } from '../ledger/load-task.ts';
import { decideAdvance, refusePhaseUnknown, type TaskState } from '../../core/task.ts';
import { normalizePhase, phaseDir } from '../../core/phases.ts';
import { refuseMovedMeanwhile, type MoveClaim } from '../../core/move.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { StoreTx } from '../../ports/store.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import { proposeMonitorBacktrack, withProposal } from './monitor-proposal.ts';
import { checkPassedArtifacts, checkPhase, gateRefusal, type PhaseGateReport } from '../evidence/phase-gate.ts';
import { gatherEvidenceContext } from '../evidence/context.ts';
import { pendingSecretFindings } from '../evidence/secrets.ts';
import { guardLease, holderOf, moveLease } from './leases.ts';
import { checkClaimHeld, claimMove, releaseClaim } from './move-claim.ts';
import { hasProducer, installProduced, produce, type Produced } from '../evidence/producers/index.ts';
import { taskDiff } from '../evidence/producers/diff.ts';
import {
  backtrackAdvice,
  failureAdvice,
  failureRemedy,
  type CommandFailure,
} from '../evidence/producers/run-commands.ts';
import { readNoFollow } from '../repo/files.ts';
import { checkGitHooks } from '../repo/git-hooks.ts';
import { evidenceRel } from '../repo/layout.ts';
import { configDigest } from '../repo/config-digest.ts';
import { contractChange } from '../repo/contract.ts';
import { refuseConfigChanged } from './contract.ts';
import { tidyArchive } from '../evidence/archive.ts';
import { checkDrift, guardDrift } from '../drift/baseline.ts';
import {
  assessTaskRisk,
  guardApproval,
  guardFindings,
  latestVerifyFindings,
  mayNeedApproval,
  withWaivers,
  type RecordedFinding,
} from '../approvals/guard.ts';
import {
  checkPhase as phaseOfCheck,
  phaseWaivers,
  waiverRequired,
  type CheckName,
  type Waiver,
} from '../../core/waivers.ts';
import { phaseContext } from './phase-context.ts';
import { writeBundle, type BundleWritten } from '../ledger/bundle.ts';
import { planPush, pushMode } from '../outbox/push.ts';
import { newOutboxRow, OutboxAction, type PushPayload } from '../../core/outbox.ts';
import type { Actor, Engine } from '../context.ts';
import { guardRole } from '../evidence/role.ts';
import { checkReview, readReviewInputs } from '../evidence/review.ts';
import { clause } from '../../core/phrasing.ts';
import { policySetOf } from '../repo/policies.ts';
import {
  guardChangePolicies,
  judgeTaskChange,
  leavesImplement,
  type ChangeJudgement,
  type ChangeOutcome,
} from '../approvals/policy-change.ts';

export interface AdvanceRequest {
  readonly taskId: string;
  /** The phase to enter; the next one when absent. */
  readonly to?: string;
  /** What this phase produced, in a sentence or two, for the reviewer. */
  readonly summary?: string;
  /** The lease token the caller holds, for fencing. */
  readonly token?: number;
}

export interface AdvanceOutcome {
  readonly task: TaskState;
  readonly entry: LedgerEntry;
  readonly from: string;
  /** The phase entered; null when the task finished. */
  readonly to: string | null;
  readonly gate: PhaseGateReport;
  /** The key of the outbox row this move decided (git-only mode's push on entering PR), for the dispatcher. */
  readonly outbox?: string;
  /** The attestation bundle written on entering PR and on finishing; a refusal when it could not be written. */
  readonly attestation?: Result<BundleWritten>;
}

export async function advance(engine: Engine, actor: Actor, req: AdvanceRequest): Promise<Result<AdvanceOutcome>> {
  const startMs = Date.now();
  const loaded = await loadTask(engine.store, req.taskId);
  if (!loaded.ok) return loaded;
  const state = loaded.value;
  const planned = await decideMove(engine, actor, state, req, startMs);
  if (!planned.ok) return planned;
  const move: Move = {
    engine,
    actor,
    req,
    state,
    ...planned.value,
    attempt: { action: 'advance', to: planned.value.to },
  };
  const taken = await engine.store.transact((tx) => claimAdvance(move, tx, startMs));
  if (!taken.ok) return taken;
  const claim = taken.value;
  let released = false;
  try {
    const prepared = await prepareMove(move);
    const result = await engine.store.transact((tx) => commitAdvance(move, tx, claim, prepared, startMs));
    released = true;
    emitAdvance(move, result, startMs);
    if (result.ok && (result.value.to === null || result.value.to === engine.config.roles.seal)) {
      // After the commit, outside the transaction: the bundle holds the chain up to the entry just appended.
      return ok({ ...result.value, attestation: await writeBundle(engine, req.taskId) });
    }
    return result;
  } finally {
    // A producer or the store failed before the claim was dropped with a commit: drop it now.
    if (!released) await releaseClaim(engine, claim).catch(() => {});
  }
}

/** One forward move as it is decided before anything runs: who asks, the task as read, where to, and the waivers. */
interface Move {
  readonly engine: Engine;
  readonly actor: Actor;
  readonly req: AdvanceRequest;
  /** The task as read before the move: every later read is compared with it (see {@link moved}). */
  readonly state: TaskState;
  /** The phase entered; null when the task finishes. */
  readonly to: string | null;
  readonly waivers: { waived: Waiver[]; missing: CheckName[] };
  /** Git-only mode's push of the task branch, which the move into the sealing phase decides. */
  readonly push?: PushPayload;
  readonly attempt: { action: string; to: string | null };
}

/**
 * The checks that need nothing run and nothing locked, each refusal recorded: the task's contract, the phase asked
 * for, the move's legality, git's hooks, and the checks of this phase that are neither configured nor waived.
 */
async function decideMove(
  engine: Engine,
  actor: Actor,
  state: TaskState,
  req: AdvanceRequest,
  startMs: number,
): Promise<Result<Pick<Move, 'to' | 'waivers' | 'push'>>> {
  const role = guardRole(engine, actor, 'advance');
  if (!role.ok) return record(engine, state, actor, req.to ?? null, role.error, startMs);
  // The task moves under the contract it adopted, before anything of the config loaded now is used to decide.
  const change = state.status === 'active' ? contractChange(engine.layout.stateDir, engine.config, state) : undefined;
  if (change)
    return record(engine, state, actor, req.to ?? null, refuseConfigChanged(state.taskId, change).error, startMs);
  let to: string | undefined;
  if (req.to !== undefined) {
    to = normalizePhase(engine.config.phases, req.to);
    if (!to) return record(engine, state, actor, req.to, refusePhaseUnknown(req.to, engine.config).error, startMs);
  }
  const decision = decideAdvance(state, to, engine.config);
  if (!decision.ok) return record(engine, state, actor, to ?? null, decision.error, startMs);
  // git's hooks are the layer that checks commits and pushes: switched off or replaced since init, the setup no longer
  // holds, which a person fixes (CONFIG_INVALID, like a broken config) rather than the agent's evidence.
  const hooks = await checkGitHooks(engine.layout.root);
  if (hooks.problems.length > 0)
    return record(
      engine,
      state,
      actor,
      decision.value.to,
      {
        code: ErrorCode.CONFIG_INVALID,
        message: `git's hooks are not the ones Autopilot installed (${hooks.problems.join('; ')}), so commits and pushes go unchecked; a person runs \`autopilot init\` again to restore them, after finding out who changed them`,
        details: { reason: 'git-hooks', problems: hooks.problems },
      },
      startMs,
    );
  // A check of this phase that is not configured blocks it, unless the config waives it: refused before anything runs.
  const waivers = phaseWaivers(engine.config, state.phase);
  const unwaived = waivers.missing[0];
  if (unwaived) {
    const w = waiverRequired(state.taskId, state.phase, unwaived);
    const r = refuse(ErrorCode.WAIVER_REQUIRED, w.message, w.details);
    return record(engine, state, actor, decision.value.to, r.error, startMs);
  }
  // Git-only mode: the move into the sealing phase decides the push of the task branch; what cannot be pushed is
  // refused now.
  const into = decision.value.to;
  const mode = into !== null && into === engine.config.roles.seal ? await pushMode(engine) : null;
  if (into !== null && mode) {
    const plan = await planPush(engine, into, mode === 'git' ? undefined : mode);
    if (!plan.ok) return record(engine, state, actor, into, plan.error, startMs);
    return ok({ to: into, waivers, push: plan.value });
  }
  return ok({ to: into, waivers });
}

/**
 * Takes the task's move claim, inside a transaction. One move of a task at a time, end to end: the claim is taken
 * before anything is produced or read, and dropped by the transaction that records the move. A move that read the
 * task before another one moved it is refused, never decided again from the new phase (that would pass a phase
 * nobody asked to pass).
 */
async function claimAdvance(move: Move, tx: StoreTx, startMs: number): Promise<Result<MoveClaim>> {
  const { engine, actor, req, state, attempt } = move;
  const reread = await loadTask(tx, req.taskId);
  if (!reread.ok) return reread;
  const now = reread.value;
  if (moved(now, state)) return refuseMoved(engine, tx, state, now, actor, attempt, startMs);
  // A person's decision holds before anything runs: an escalation, or changes requested in this phase visit.
  const held = await guardDecisions(engine, tx, now, actor, attempt, startMs);
  if (!held.ok) return held;
  const claim = await claimMove(engine, tx, now, actor, attempt, startMs);
  if (!claim.ok || !hasProducer(engine.config, state.phase)) return claim;
  // Producers run commands: check the lease before spending that time. Other phases check it once, below.
  const pre = await guardLease(engine, tx, now, actor, 'advance', req.token, startMs);
  if (pre.ok) return claim;
  await tx.dropMoveClaim(claim.value.taskId, claim.value.token);
  return pre;
}

/** What a move reads and runs outside the transaction that records it, while it holds the claim. */
interface Prepared {
  readonly produced: Produced;
  readonly attestation: Awaited<ReturnType<typeof checkDrift>>;
  readonly assessed: Awaited<ReturnType<typeof assessTaskRisk>> | null;
  readonly needs: ReturnType<typeof withWaivers>;
  readonly context: Awaited<ReturnType<typeof gatherEvidenceContext>>;
  /** Leaving the review phase: who wrote its rubric and who worked the implement phase, from the ledger. */
  readonly reviewing: Awaited<ReturnType<typeof readReviewInputs>>;
  /** Leaving the implement phase: the repository's policies on the task's diff. */
  readonly change: ChangeJudgement | null;
}

/** Runs the phase's producers, checks the instructions for drift, assesses the risk, reads the evidence's context. */
async function prepareMove(move: Move): Promise<Prepared> {
  const { engine, state, to, waivers } = move;
  const produced = await produceIfNeeded(engine, state);
  const attestation = await checkDrift(engine, to ?? state.phase);
  const assessed = mayNeedApproval(engine, to) ? await assessTaskRisk(engine, state) : null;
  // A move that relies on a waiver needs a person too (approvals.waivers), through the same approval.
  const needs = withWaivers(engine, assessed, waivers.waived);
  // Read before the transaction: the store's task list, the README, the spec. The evidence itself is read inside.
  // The produced files are scanned for secrets with the folder's, before the transaction installs them.
  const pending = produced.phase === state.phase ? (produced.files ?? []) : [];
  const context = await gatherEvidenceContext(engine, state, state.phase, pending);
  const reviewing = await readReviewInputs(engine, state);
  // The change decision: the diff the implement phase leaves is the one its policies judge, as Gate 1 judges it.
  const change = leavesImplement(engine, state, to) ? await judgeTaskChange(engine, state, move.actor) : null;
  return { produced, attestation, assessed, needs, context, reviewing, change };
}

/**
 * The move's transaction: check again what may have changed while the producers ran, gate the evidence, ask for
 * what a person must decide, and append the transition. The claim is dropped with whatever it commits.
 */
async function commitAdvance(
  move: Move,
  tx: StoreTx,
  claim: MoveClaim,
  prepared: Prepared,
  startMs: number,
): Promise<Result<AdvanceOutcome>> {
  const { engine, actor, req, state, to, attempt } = move;
  const { produced } = prepared;
  let undoExtras: () => void = () => undefined;
  let committed = false;
  try {
    const reread = await loadTask(tx, req.taskId);
    if (!reread.ok) return reread;
    const now = reread.value;
    const held = await checkClaimHeld(engine, tx, now, actor, claim, attempt, startMs);
    if (!held.ok) return held;
    if (moved(now, state)) return refuseMoved(engine, tx, state, now, actor, attempt, startMs);
    const lease = await guardLease(engine, tx, now, actor, 'advance', req.token, startMs);
    if (!lease.ok) return lease;
    // What an earlier backtrack left half done goes before the produced files replace the folder's and the gate
    // reads it: an uncommitted archive holds links to the live files (see evidence/archive.ts).
    tidyArchive(engine.layout, now);
    // A secret in what a producer made (the implement phase's diff) is refused before the folder holds a copy.
    const leaked = produced.phase
      ? pendingSecretFindings(prepared.context.secrets, now.taskId, produced.phase, produced.files ?? [])
      : [];
    if (leaked.length > 0) {
      const report = { phase: now.phase, passed: false, findings: leaked, artifacts: [] };
      const refusal = gateRefusal(now.taskId, report, engine.config.roles);
      return { ok: false, error: await recordRefusal(engine, tx, now, actor, attempt, refusal, startMs) };
    }
    undoExtras = installProduced(engine, now.taskId, produced);
    let current = now;
    let verified: VerifiedRun | undefined;
    if (produced.verify) {
      const entry = await recordVerify(engine, tx, current, actor, produced);
      verified = { seq: entry.seq, findings: produced.verify.findings, total: produced.verify.findings.length };
      current = (await tx.getTask(req.taskId)) ?? current;
    }
    const tampered = await refuseTamperedPassed(move, tx, current, startMs);
    if (tampered) return tampered;
    const drift = await guardDrift(engine, tx, current, actor, 'advance', to, prepared.attestation, startMs);
    if (!drift.ok) return drift;
    const gate = withProducedFindings(
      checkPhase(engine, current, current.phase, prepared.context, produced.digests),
      produced,
    );
    if (!gate.passed) {
      const refusal = withFailureAdvice(engine, current, gateRefusal(current.taskId, gate, engine.config.roles));
      const error = await recordRefusal(engine, tx, current, actor, attempt, refusal, startMs);
      // An unhealthy deployment also proposes the way back, for a person to decide.
      const proposal = await proposeMonitorBacktrack(engine, tx, current, produced);
      return { ok: false, error: proposal ? withProposal(error, proposal) : error };
    }
    const review = prepared.reviewing ? checkReview(prepared.reviewing, current, gate) : null;
    if (review) {
      const r = refuse(
        ErrorCode.EVIDENCE_INVALID,
        `${current.taskId}'s ${current.phase} needs a review by another hand: ${clause(review.problem)}. To pass, ${review.fix}`,
        { phase: current.phase, findings: [review] },
      );
      return { ok: false, error: await recordRefusal(engine, tx, current, actor, attempt, r.error, startMs) };
    }
    // A person may have decided while the producers ran.
    const decided = await guardDecisions(engine, tx, current, actor, attempt, startMs);
    if (!decided.ok) return decided;
    let policy: ChangeOutcome | undefined;
    if (prepared.change && to) {
      const judged = await guardChangePolicies(engine, tx, current, actor, to, prepared.change, startMs);
      if (!judged.ok) return judged;
      policy = judged.value;
    }
    const approved = await guardPersonDecisions(move, tx, current, verified, prepared.needs, startMs);
    if (!approved.ok) return approved;
    const entry = await append(engine, tx, {
      taskId: current.taskId,
      kind: 'transition',
      fromPhase: current.phase,
      toPhase: to,
      actor: actor.id,
      artifacts: gate.artifacts,
      data: transitionData(move, current, gate, prepared, {
        leaseToken: lease.value?.token,
        promptDrift: drift.value.length,
        approvedBy: approved.value ?? policy?.approvals.at(-1),
        policy,
      }),
    });
    if (to) await moveLease(tx, lease.value, to);
    const outbox = move.push ? await decideOutbox(move, tx, current.taskId, entry.seq, move.push) : undefined;
    const task = (await tx.getTask(current.taskId)) ?? current;
    committed = true;
    return ok({ task, entry, from: current.phase, to, gate, ...(outbox ? { outbox } : {}) });
  } finally {
    // A refused move leaves the records of its checks as they were, unless a verify entry recorded them.
    if (!committed && !produced.verify) undoExtras();
    // Dropped with whatever this transaction commits, the move or its refusal.
    await tx.dropMoveClaim(claim.taskId, claim.token);
  }
}

/** The gate's report with what the producer's own check found (a grounding citation of no file) put first. */
function withProducedFindings(gate: PhaseGateReport, produced: Produced): PhaseGateReport {
  if (!produced.findings?.length || produced.phase !== gate.phase) return gate;
  return { ...gate, passed: false, findings: [...produced.findings, ...gate.findings] };
}

/** The external side effect this move decides, committed with it (see engine/outbox/dispatch.ts); its key. */
async function decideOutbox(move: Move, tx: StoreTx, taskId: string, seq: number, push: PushPayload): Promise<string> {
  const at = (await tx.now?.()) ?? move.engine.clock.now();
  const row = newOutboxRow(taskId, seq, OutboxAction.push, { ...push }, seq, at);
  await tx.addOutbox(row);
  return row.key;
}

/** The run this move recorded in the verify phase: its entry and what it found in the tests. */
type VerifiedRun = { seq: number; findings: RecordedFinding[]; total: number };

/** LEDGER_TAMPERED, recorded, when evidence of a passed phase changed after the ledger recorded it; else null. */
async function refuseTamperedPassed(
  move: Move,
  tx: StoreTx,
  current: TaskState,
  startMs: number,
): Promise<{ ok: false; error: Refusal } | null> {
  const tampered = checkPassedArtifacts(move.engine, current);
  if (tampered.length === 0) return null;
  const first = tampered[0]!;
  const r = refuse(
    ErrorCode.LEDGER_TAMPERED,
    `evidence of a passed phase changed after the ledger recorded it: ${first.path} (${first.reason}); restore it, or backtrack to its phase to produce it again`,
    { path: first.path, reason: first.reason, problems: tampered },
  );
  return {
    ok: false,
    error: await recordRefusal(move.engine, tx, current, move.actor, move.attempt, r.error, startMs),
  };
}

/**
 * What a person must have decided for this move: on what the verify phase found in the tests, and on the task's
 * risk or the waivers it relies on. The value is the entry of the decision the move relies on, if any.
 */
async function guardPersonDecisions(
  move: Move,
  tx: StoreTx,
  current: TaskState,
  verified: VerifiedRun | undefined,
  needs: Prepared['needs'],
  startMs: number,
): Promise<Result<number | undefined>> {
  const { engine, actor, to } = move;
  let approvedBy: number | undefined;
  if (current.phase === engine.config.roles.verify && to) {
    // What VERIFY found in the tests themselves is no failure of the code, but a person decides on it.
    const run = verified ?? (await latestVerifyFindings(engine, current));
    if (run) {
      const found = await guardFindings(engine, tx, current, actor, to, run, startMs);
      if (!found.ok) return found;
      approvedBy = found.value?.seq;
    }
  }
  if (needs) {
    const approval = await guardApproval(engine, tx, current, actor, to, needs, startMs);
    if (!approval.ok) return approval;
    approvedBy = approval.value?.seq ?? approvedBy;
  }
  return ok(approvedBy);
}

/** The data of the transition entry: the contract, the phase's context, the commands run, and what the move relied on. */
function transitionData(
  move: Move,
  current: TaskState,
  gate: PhaseGateReport,
  prepared: Prepared,
  relied: {
    leaseToken: number | undefined;
    promptDrift: number;
    approvedBy: number | undefined;
    policy: ChangeOutcome | undefined;
  },
): Record<string, unknown> {
  const { engine, req, to, waivers } = move;
  const { produced, assessed } = prepared;
  return {
    ...(to === null ? { status: 'done' } : {}),
    ...(req.summary ? { summary: req.summary.slice(0, 2000) } : {}),
    configDigest: configDigest(engine.config),
    // The policy set in force for the move (its tool guard, the repository's policies and their modes).
    policyDigest: policySetOf(engine.config).digest,
    // The hand that moved the task: the review check reads who worked the implement phase from it.
    holder: holderOf(move.actor),
    context: phaseContext(engine.config.phases, current, gate.artifacts, req.summary),
    ...(produced.commands.length
      ? {
          commands: produced.commands.map((c) => ({
            name: c.name,
            exitCode: c.exitCode,
            durationMs: c.durationMs,
          })),
        }
      : {}),
    ...(relied.leaseToken !== undefined ? { leaseToken: relied.leaseToken } : {}),
    ...(relied.promptDrift ? { promptDrift: relied.promptDrift } : {}),
    ...(assessed ? { risk: assessed.level } : {}),
    ...(waivers.waived.length ? { waivers: waivers.waived } : {}),
    // The grounding of a planning phase's citations: the groundedness SLO reads its score.
    ...(produced.grounding && produced.phase === current.phase ? { grounding: produced.grounding } : {}),
    // The person's decision this move relies on: the CI gate checks its passkey assertion.
    ...(relied.approvedBy !== undefined ? { approval: relied.approvedBy } : {}),
    // The change decision of the move out of the implement phase: the policies, their verdict, the diff they judged,
    // the approvals it relied on and what observe-mode policies would have done.
    ...(relied.policy && prepared.change
      ? {
          policyIds: relied.policy.policyIds,
          policyVerdict: relied.policy.verdict,
          change: prepared.change.stamp,
          ...(relied.policy.approvals.length ? { policyApprovals: relied.policy.approvals } : {}),
          ...(relied.policy.observed ? { policyObserved: relied.policy.observed } : {}),
        }
      : {}),
    // What the agent is told in the phase it enters: the compiled prompt's digest, the persona's, the overlays.
    ...(to !== null ? { prompt: recordedPrompt(engine, phasePromptFor(engine, to, current)) } : {}),
  };
}

/** Tells the sink how the move ended, recorded or refused. */
function emitAdvance(move: Move, result: Result<AdvanceOutcome>, startMs: number): void {
  const { engine, actor, req, state, to } = move;
  // The change decision, where the move made one: from its entry, or from the refusal it made.
  const d = result.ok ? result.value.entry.data : result.error.details;
  const verdict = d['policyVerdict'];
  const policy: { policyIds?: string[]; policyVerdict?: 'allow' | 'ask' | 'deny' } =
    (verdict === 'allow' || verdict === 'ask' || verdict === 'deny') && Array.isArray(d['policyIds'])
      ? { policyIds: (d['policyIds'] as unknown[]).map(String), policyVerdict: verdict }
      : {};
  engine.sink.emit({
    type: 'transition',
    kind: 'advance',
    taskId: req.taskId,
    from: state.phase,
    to,
    result: result.ok ? 'ok' : 'refused',
    ...policy,
    ...(result.ok
      ? {
          seq: result.value.entry.seq,
          policyDigest: policySetOf(engine.config).digest,
          ...promptEvent(result.value.entry.data),
        }
      : { code: result.error.code }),
    startMs,
    endMs: Date.now(),
    actor: actor.id,
    ...(actor.sessionId ? { sessionId: actor.sessionId } : {}),
  });
}

/** True when another move changed the task since `read` was read. */
function moved(now: TaskState, read: TaskState): boolean {
  return now.phaseEpoch !== read.phaseEpoch || now.status !== read.status;
}

async function refuseMoved(
  engine: Engine,
  tx: StoreTx,
  read: TaskState,
  now: TaskState,
  actor: Actor,
  attempt: { action: string; to: string | null },
  startMs: number,
): Promise<{ ok: false; error: Refusal }> {
  const r = refuseMovedMeanwhile(read.taskId, read.phase, now.status === 'active' ? now.phase : now.status);
  return { ok: false, error: await recordRefusal(engine, tx, now, actor, attempt, r.error, startMs) };
}

async function record(
  engine: Engine,
  state: TaskState,
  actor: Actor,
  to: string | null,
  refusal: Refusal,
  startMs: number,
) {
  const error = await engine.store.transact((tx) =>
    recordRefusal(engine, tx, state, actor, { action: 'advance', to }, refusal, startMs),
  );
  engine.sink.emit({
    type: 'transition',
    kind: 'advance',
    taskId: state.taskId,
    from: state.phase,
    to,
    result: 'refused',
    code: refusal.code,
    startMs,
    endMs: Date.now(),
    actor: actor.id,
    ...(actor.sessionId ? { sessionId: actor.sessionId } : {}),
  });
  return { ok: false as const, error };
}

/**
 * A failed gate of a phase whose evidence comes from commands (VERIFY's run, REVIEW's lint) says which step
 * failed and whose fault it is: the config or the machine (fix it, then try again) or the code (backtrack),
 * with the tool's own last lines where it could not run.
 */
function withFailureAdvice(engine: Engine, state: TaskState, refusal: Refusal): Refusal {
  const source =
    state.phase === engine.config.roles.verify
      ? { file: 'verify_run.json', retry: `verify ${state.taskId}, then advance again`, step: 'verify' as const }
      : state.phase === phaseOfCheck(engine.config, 'lint')
        ? { file: 'code_quality_score.json', retry: `advance ${state.taskId} again`, step: 'advance' as const }
        : undefined;
  if (!source) return refusal;
  const file = readNoFollow(
    join(engine.layout.evidenceDir, state.taskId, phaseDir(state.phase), source.file),
    engine.config.limits.maxEvidenceBytes,
  );
  if (file.kind !== 'file') return refusal;
  let failures: CommandFailure[];
  try {
    const doc = JSON.parse(file.bytes.toString('utf8')) as { failures?: unknown; failure?: unknown };
    const list = Array.isArray(doc.failures) ? doc.failures : doc.failure ? [doc.failure] : [];
    failures = list.filter(
      (f): f is CommandFailure =>
        !!f &&
        typeof f === 'object' &&
        typeof (f as CommandFailure).message === 'string' &&
        typeof (f as CommandFailure).kind === 'string',
    );
  } catch {
    return refusal;
  }
  if (failures.length === 0) return refusal;
  const implement = engine.config.roles.implement;
  const advice = failureAdvice(failures, { retry: source.retry, backtrack: backtrackAdvice(implement) });
  const remedy = { ...remedyOf(refusal.details), ...failureRemedy(failures, source.step, implement) };
  return {
    ...refusal,
    message: `${refusal.message}\n${advice}`,
    details: { ...refusal.details, taskId: state.taskId, failures, remedy },
  };
}

/** VERIFY reuses a run of this phase visit when the source has not changed since; everything else is produced fresh. */
async function produceIfNeeded(engine: Engine, state: TaskState): Promise<Produced> {
  if (state.phase === engine.config.roles.verify) {
    const rel = evidenceRel(state.taskId, state.phase, 'verify_run.json');
    const recorded = state.artifacts[rel];
    if (recorded && recorded.producer === 'autopilot' && recorded.seq >= state.phaseEpoch) {
      const file = readNoFollow(join(engine.layout.stateDir, rel), engine.config.limits.maxEvidenceBytes);
      if (file.kind === 'file' && file.sha256 === recorded.sha256) {
        const run = JSON.parse(file.bytes.toString('utf8')) as { treeDigest?: string };
        const diff = await taskDiff(engine, state);
        if (run.treeDigest === diff.sha256) return { digests: new Map(), commands: [] };
      }
    }
  }
  return produce(engine, state, state.phase);
}

/** Findings a VERIFY entry holds at most; the evidence files list them all. */
const MAX_RECORDED_FINDINGS = 50;
/** Test names a VERIFY entry holds at most; of a suite with more, later runs miss only those past the limit. */
const MAX_RECORDED_CASES = 2000;

function mutationSummary(v: NonNullable<Produced['verify']>) {
  const m = v.mutation;
  return {
    ran: m.mutants.length,
    killed: m.killed,
    survived: m.survived,
    score: m.score,
    ...(m.skipped ? { skipped: m.skipped } : {}),
  };
}

/** Records a VERIFY run as its own entry, so that a failing run is in the ledger too. */
export async function recordVerify(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  produced: Produced,
): Promise<LedgerEntry> {
  const v = produced.verify;
  const waived = phaseWaivers(engine.config, state.phase).waived;
  const entry = await append(engine, tx, {
    taskId: state.taskId,
    kind: 'verify',
    fromPhase: state.phase,
    toPhase: null,
    actor: actor.id,
    artifacts: [...produced.digests].map(([name, sha256]) => ({
      path: evidenceRel(state.taskId, state.phase, name),
      sha256,
      producer: 'autopilot' as const,
    })),
    data: {
      passed: v?.passed ?? false,
      problems: v?.problems ?? [],
      treeDigest: v?.treeDigest ?? null,
      ...(v?.tests ? { tests: v.tests } : {}),
      ...(v?.coverage ? { changedLinesCoverage: v.coverage.percent } : {}),
      // Signed with the run: the move out of VERIFY asks a person about these, and nobody can edit them away.
      ...(v ? { findings: v.findings.slice(0, MAX_RECORDED_FINDINGS), findingsTotal: v.findings.length } : {}),
      ...(v ? { mutation: mutationSummary(v) } : {}),
      // The tests this run ran, by name: a later task whose base is this tree tells which of them no longer run.
      ...(v?.testCases
        ? { testCases: v.testCases.slice(0, MAX_RECORDED_CASES), testCasesTotal: v.testCases.length }
        : {}),
      ...(v ? { tree: v.tree } : {}),
      ...(v?.totalCoverage ? { totalCoverage: v.totalCoverage } : {}),
      ...(waived.length ? { waivers: waived } : {}),
      commands: produced.commands.map((c) => ({
        name: c.name,
        argv: c.argv,
        exitCode: c.exitCode,
        durationMs: c.durationMs,
        isolation: c.isolation,
      })),
    },
  });
  engine.sink.emit({
    type: 'verify',
    taskId: state.taskId,
    phase: state.phase,
    passed: v?.passed ?? false,
    seq: entry.seq,
    commands: produced.commands.map((c) => ({
      name: c.name,
      exitCode: c.exitCode,
      startMs: c.startMs,
      endMs: c.startMs + c.durationMs,
    })),
    startMs: produced.commands[0]?.startMs ?? Date.now(),
    endMs: Date.now(),
    actor: actor.id,
    ...(actor.sessionId ? { sessionId: actor.sessionId } : {}),
  });
  return entry;
}

/** The person's decisions that hold a forward move: an escalation of the task, or changes requested in this visit. */
async function guardDecisions(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  attempt: { action: string; to: string | null },
  startMs: number,
): Promise<Result<void>> {
  // One read of the task's holds and approvals for both guards (an escalation refusal returns before the second).
  const holds = await holdEntries(engine, state.taskId);
  const escalation = await guardEscalation(engine, tx, state, actor, attempt, startMs, holds);
  if (!escalation.ok) return escalation;
  return guardChangesRequested(engine, tx, state, actor, attempt.to, startMs, holds);
}
