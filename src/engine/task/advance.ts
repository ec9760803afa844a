/**
 * @module Use case: advance a task to its next phase. Loads the task, decides
 * the move, produces Autopilot's evidence for the phase being left, checks the
 * whole contract, and appends the transition, or the refusal, to the ledger.
 */
import { guardChangesRequested, guardEscalation } from '../approvals/hold.ts';
import { join } from 'node:path';
import { ErrorCode, ok, refuse, type Refusal, type Result } from '../../core/errors.ts';
import { decideAdvance, refusePhaseUnknown, type TaskState } from '../../core/task.ts';
import { normalizePhase, phaseDir } from '../../core/phases.ts';
import { refuseMovedMeanwhile, type MoveClaim } from '../../core/move.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { StoreTx } from '../../ports/store.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import { checkPassedArtifacts, checkPhase, gateRefusal, type PhaseGateReport } from '../evidence/phase-gate.ts';
import { gatherEvidenceContext } from '../evidence/context.ts';
import { guardLease, moveLease } from './leases.ts';
import { checkClaimHeld, claimMove, releaseClaim } from './move-claim.ts';
import { hasProducer, installProduced, produce, type Produced } from '../evidence/producers/index.ts';
import { taskDiff } from '../evidence/producers/diff.ts';
import { backtrackAdvice, failureAdvice, type CommandFailure } from '../evidence/producers/run-commands.ts';
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
import { phaseWaivers, waiverRequired } from '../../core/waivers.ts';
import { phaseContext } from './phase-context.ts';
import { bundlePhase, writeBundle, type BundleWritten } from '../ledger/bundle.ts';
import { gitOnlyMode, planPush } from '../outbox/push.ts';
import { newOutboxRow, OutboxAction, pushPhase, type PushPayload } from '../../core/outbox.ts';
import type { Actor, Engine } from '../context.ts';

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

export async function advance(e: Engine, actor: Actor, req: AdvanceRequest): Promise<Result<AdvanceOutcome>> {
  const startMs = Date.now();
  const state = await e.store.getTask(req.taskId);
  if (!state) return unknownTask(req.taskId);
  // The task moves under the contract it adopted, before anything of the config loaded now is used to decide.
  const change = state.status === 'active' ? contractChange(e.layout.stateDir, e.config, state) : undefined;
  if (change) return record(e, state, actor, req.to ?? null, refuseConfigChanged(state.taskId, change).error, startMs);
  let to: string | undefined;
  if (req.to !== undefined) {
    to = normalizePhase(e.config.phases, req.to);
    if (!to) return record(e, state, actor, req.to, refusePhaseUnknown(req.to, e.config).error, startMs);
  }
  const decision = decideAdvance(state, to, e.config);
  if (!decision.ok) return record(e, state, actor, to ?? null, decision.error, startMs);
  // git's hooks are the layer that checks commits and pushes: switched off or replaced since init, the setup no longer
  // holds, which a person fixes (CONFIG_INVALID, like a broken config) rather than the agent's evidence.
  const hooks = await checkGitHooks(e.layout.root);
  if (hooks.problems.length > 0)
    return record(
      e,
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
  const waivers = phaseWaivers(e.config, state.phase);
  const unwaived = waivers.missing[0];
  if (unwaived) {
    const w = waiverRequired(state.taskId, state.phase, unwaived);
    const r = refuse(ErrorCode.WAIVER_REQUIRED, w.message, w.details);
    return record(e, state, actor, decision.value.to, r.error, startMs);
  }
  // Git-only mode: the move into PR decides the push of the task branch; what cannot be pushed is refused now.
  let push: PushPayload | undefined;
  const into = decision.value.to;
  if (into !== null && gitOnlyMode(e) && into === pushPhase(e.config.phases)) {
    const plan = await planPush(e, into);
    if (!plan.ok) return record(e, state, actor, into, plan.error, startMs);
    push = plan.value;
  }
  const attempt = { action: 'advance', to: decision.value.to };

  // One move of a task at a time, end to end: the claim is taken before anything is produced or read, and dropped by
  // the transaction that records the move. A move that read the task before another one moved it is refused, never
  // decided again from the new phase (that would pass a phase nobody asked to pass).
  const taken = await e.store.transact(async (tx): Promise<Result<MoveClaim>> => {
    const now = await tx.getTask(req.taskId);
    if (!now) return unknownTask(req.taskId);
    if (moved(now, state)) return refuseMoved(e, tx, state, now, actor, attempt, startMs);
    // A person's decision holds before anything runs: an escalation, or changes requested in this phase visit.
    const held = await guardDecisions(e, tx, now, actor, attempt, startMs);
    if (!held.ok) return held;
    const claim = await claimMove(e, tx, now, actor, attempt, startMs);
    if (!claim.ok || !hasProducer(state.phase)) return claim;
    // Producers run commands: check the lease before spending that time. Other phases check it once, below.
    const pre = await guardLease(e, tx, now, actor, 'advance', req.token, startMs);
    if (pre.ok) return claim;
    await tx.dropMoveClaim(claim.value.taskId, claim.value.token);
    return pre;
  });
  if (!taken.ok) return taken;
  const claim = taken.value;
  let released = false;
  try {
    const produced = await produceIfNeeded(e, state);
    const attestation = await checkDrift(e, decision.value.to ?? state.phase);
    const assessed = mayNeedApproval(e, decision.value.to) ? await assessTaskRisk(e, state) : null;
    // A move that relies on a waiver needs a person too (approvals.waivers), through the same approval.
    const needs = withWaivers(e, assessed, waivers.waived);
    // Read before the transaction: the store's task list, the README, the spec. The evidence itself is read inside.
    const context = await gatherEvidenceContext(e, state, state.phase);

    const result = await e.store.transact(async (tx): Promise<Result<AdvanceOutcome>> => {
      try {
        const now = await tx.getTask(req.taskId);
        if (!now) return unknownTask(req.taskId);
        const held = await checkClaimHeld(e, tx, now, actor, claim, attempt, startMs);
        if (!held.ok) return held;
        if (moved(now, state)) return refuseMoved(e, tx, state, now, actor, attempt, startMs);
        const lease = await guardLease(e, tx, now, actor, 'advance', req.token, startMs);
        if (!lease.ok) return lease;
        // What an earlier backtrack left half done goes before the produced files replace the folder's and the gate
        // reads it: an uncommitted archive holds links to the live files (see evidence/archive.ts).
        tidyArchive(e.layout, now);
        installProduced(e, now.taskId, produced);
        let current = now;
        let verified: { seq: number; findings: RecordedFinding[]; total: number } | undefined;
        if (produced.verify) {
          const entry = await recordVerify(e, tx, current, actor, produced);
          verified = { seq: entry.seq, findings: produced.verify.findings, total: produced.verify.findings.length };
          current = (await tx.getTask(req.taskId)) ?? current;
        }
        const tampered = checkPassedArtifacts(e, current);
        if (tampered.length > 0) {
          const first = tampered[0]!;
          const r = refuse(
            ErrorCode.LEDGER_TAMPERED,
            `evidence of a passed phase changed after the ledger recorded it: ${first.path} (${first.reason}); restore it, or backtrack to its phase to produce it again`,
            { path: first.path, reason: first.reason, problems: tampered },
          );
          return { ok: false, error: await recordRefusal(e, tx, current, actor, attempt, r.error, startMs) };
        }
        const drift = await guardDrift(e, tx, current, actor, 'advance', decision.value.to, attestation, startMs);
        if (!drift.ok) return drift;
        const gate = checkPhase(e, current, current.phase, context, produced.digests);
        if (!gate.passed) {
          const refusal = withFailureAdvice(e, current, gateRefusal(current.taskId, gate));
          return { ok: false, error: await recordRefusal(e, tx, current, actor, attempt, refusal, startMs) };
        }
        // A person may have decided while the producers ran.
        const decided = await guardDecisions(e, tx, current, actor, attempt, startMs);
        if (!decided.ok) return decided;
        let approvedBy: number | undefined;
        if (current.phase === 'VERIFY' && decision.value.to) {
          // What VERIFY found in the tests themselves is no failure of the code, but a person decides on it.
          const run = verified ?? (await latestVerifyFindings(e, current));
          if (run) {
            const found = await guardFindings(e, tx, current, actor, decision.value.to, run, startMs);
            if (!found.ok) return found;
            approvedBy = found.value?.seq;
          }
        }
        if (needs) {
          const approval = await guardApproval(e, tx, current, actor, decision.value.to, needs, startMs);
          if (!approval.ok) return approval;
          approvedBy = approval.value?.seq ?? approvedBy;
        }
        const done = decision.value.to === null;
        const entry = await append(e, tx, {
          taskId: current.taskId,
          kind: 'transition',
          fromPhase: current.phase,
          toPhase: decision.value.to,
          actor: actor.id,
          artifacts: gate.artifacts,
          data: {
            ...(done ? { status: 'done' } : {}),
            ...(req.summary ? { summary: req.summary.slice(0, 2000) } : {}),
            configDigest: configDigest(e.config),
            context: phaseContext(e.config.phases, current, gate.artifacts, req.summary),
            ...(produced.commands.length
              ? {
                  commands: produced.commands.map((c) => ({
                    name: c.name,
                    exitCode: c.exitCode,
                    durationMs: c.durationMs,
                  })),
                }
              : {}),
            ...(lease.value ? { leaseToken: lease.value.token } : {}),
            ...(drift.value.length ? { promptDrift: drift.value.length } : {}),
            ...(assessed ? { risk: assessed.level } : {}),
            ...(waivers.waived.length ? { waivers: waivers.waived } : {}),
            // The person's decision this move relies on: the CI gate checks its passkey assertion.
            ...(approvedBy !== undefined ? { approval: approvedBy } : {}),
          },
        });
        if (decision.value.to) await moveLease(tx, lease.value, decision.value.to);
        // The external side effect this move decides, committed with it (see engine/outbox/dispatch.ts).
        let outbox: string | undefined;
        if (push) {
          const at = (await tx.now?.()) ?? e.clock.now();
          const row = newOutboxRow(current.taskId, entry.seq, OutboxAction.push, { ...push }, entry.seq, at);
          await tx.addOutbox(row);
          outbox = row.key;
        }
        const task = (await tx.getTask(current.taskId)) ?? current;
        return ok({ task, entry, from: current.phase, to: decision.value.to, gate, ...(outbox ? { outbox } : {}) });
      } finally {
        // Dropped with whatever this transaction commits, the move or its refusal.
        await tx.dropMoveClaim(claim.taskId, claim.token);
      }
    });
    released = true;
    e.sink.emit({
      type: 'transition',
      kind: 'advance',
      taskId: req.taskId,
      from: state.phase,
      to: decision.value.to,
      result: result.ok ? 'ok' : 'refused',
      ...(result.ok ? { seq: result.value.entry.seq } : { code: result.error.code }),
      startMs,
      endMs: Date.now(),
      actor: actor.id,
      ...(actor.sessionId ? { sessionId: actor.sessionId } : {}),
    });
    if (result.ok && (result.value.to === null || result.value.to === bundlePhase(e.config.phases))) {
      // After the commit, outside the transaction: the bundle holds the chain up to the entry just appended.
      return ok({ ...result.value, attestation: await writeBundle(e, req.taskId) });
    }
    return result;
  } finally {
    // A producer or the store failed before the claim was dropped with a commit: drop it now.
    if (!released) await releaseClaim(e, claim).catch(() => {});
  }
}

/** True when another move changed the task since `read` was read. */
function moved(now: TaskState, read: TaskState): boolean {
  return now.phaseEpoch !== read.phaseEpoch || now.status !== read.status;
}

async function refuseMoved(
  e: Engine,
  tx: StoreTx,
  read: TaskState,
  now: TaskState,
  actor: Actor,
  attempt: { action: string; to: string | null },
  startMs: number,
): Promise<{ ok: false; error: Refusal }> {
  const r = refuseMovedMeanwhile(read.taskId, read.phase, now.status === 'active' ? now.phase : now.status);
  return { ok: false, error: await recordRefusal(e, tx, now, actor, attempt, r.error, startMs) };
}

function unknownTask(taskId: string) {
  return refuse(
    ErrorCode.TASK_UNKNOWN,
    `no task ${taskId}; start it with: autopilot task start ${taskId}, or list tasks with: autopilot task list`,
    { taskId },
  );
}

async function record(e: Engine, state: TaskState, actor: Actor, to: string | null, refusal: Refusal, startMs: number) {
  const error = await e.store.transact((tx) =>
    recordRefusal(e, tx, state, actor, { action: 'advance', to }, refusal, startMs),
  );
  e.sink.emit({
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
function withFailureAdvice(e: Engine, state: TaskState, refusal: Refusal): Refusal {
  const source =
    state.phase === 'VERIFY'
      ? { file: 'verify_run.json', retry: `run autopilot verify ${state.taskId}, then advance again` }
      : state.phase === 'REVIEW'
        ? { file: 'code_quality_score.json', retry: `advance ${state.taskId} again` }
        : undefined;
  if (!source) return refusal;
  const file = readNoFollow(
    join(e.layout.evidenceDir, state.taskId, phaseDir(state.phase), source.file),
    e.config.limits.maxEvidenceBytes,
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
  const advice = failureAdvice(failures, { retry: source.retry, backtrack: backtrackAdvice(state.taskId) });
  return { ...refusal, message: `${refusal.message}\n${advice}`, details: { ...refusal.details, failures } };
}

/** VERIFY reuses a run of this phase visit when the source has not changed since; everything else is produced fresh. */
async function produceIfNeeded(e: Engine, state: TaskState): Promise<Produced> {
  if (state.phase === 'VERIFY') {
    const rel = evidenceRel(state.taskId, 'VERIFY', 'verify_run.json');
    const recorded = state.artifacts[rel];
    if (recorded && recorded.producer === 'autopilot' && recorded.seq >= state.phaseEpoch) {
      const file = readNoFollow(join(e.layout.stateDir, rel), e.config.limits.maxEvidenceBytes);
      if (file.kind === 'file' && file.sha256 === recorded.sha256) {
        const run = JSON.parse(file.bytes.toString('utf8')) as { treeDigest?: string };
        const diff = await taskDiff(e, state);
        if (run.treeDigest === diff.sha256) return { digests: new Map(), commands: [] };
      }
    }
  }
  return produce(e, state, state.phase);
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
  e: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  produced: Produced,
): Promise<LedgerEntry> {
  const v = produced.verify;
  const waived = phaseWaivers(e.config, state.phase).waived;
  const entry = await append(e, tx, {
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
  e.sink.emit({
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
  e: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  attempt: { action: string; to: string | null },
  startMs: number,
): Promise<Result<void>> {
  const escalation = await guardEscalation(e, tx, state, actor, attempt, startMs);
  if (!escalation.ok) return escalation;
  return guardChangesRequested(e, tx, state, actor, attempt.to, startMs);
}
