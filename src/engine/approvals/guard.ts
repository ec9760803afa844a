/**
 * @module Human in the loop: which moves need a person (config `approvals`:
 * risky diffs, and moves relying on a waived check), the risk of a task's diff,
 * and the approval check a move goes through. A person's decisions are in
 * passkeys.ts.
 */
import { addedLinesOf } from '../../core/policy/change.ts';
import { ErrorCode, ok, refuse, type Remedy, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import { assessRisk, atLeast, type RiskAssessment, type RiskReason } from '../../core/risk.ts';
import { waiversNeedPerson, type Waiver } from '../../core/waivers.ts';
import type { StoreTx } from '../../ports/store.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import { taskDiff } from '../evidence/producers/diff.ts';
import { scanPatch } from '../repo/secret-scan.ts';
import type { Actor, Engine } from '../context.ts';
import { clause } from '../../core/phrasing.ts';

export async function assessTaskRisk(engine: Engine, state: TaskState): Promise<RiskAssessment> {
  const diff = await taskDiff(engine, state);
  return assessRisk({
    files: diff.files.map((f) => ({ path: f.path, additions: f.additions, deletions: f.deletions, status: f.status })),
    addedLines: addedLinesOf(diff.patch),
    secrets: await scanPatch(diff.patch),
    riskyPaths: engine.config.approvals.riskyPaths,
    maxLines: engine.config.approvals.maxLines,
  });
}

/**
 * What a move relying on waivers needs from a person: with `approvals.waivers: person` (the default) each waiver is
 * a reason for an approval, whatever the diff's risk; the diff's own reasons join them when they reach `minRisk`.
 */
export function withWaivers(
  engine: Engine,
  risk: RiskAssessment | null,
  waivers: readonly Waiver[],
): RiskAssessment | null {
  if (waivers.length === 0 || !waiversNeedPerson(engine.config)) return risk;
  const reasons: RiskReason[] = waivers.map((w) => ({
    class: 'waiver',
    level: 'high',
    detail: `${w.check} waived: ${w.reason}`,
  }));
  if (risk && atLeast(risk.level, engine.config.approvals.minRisk)) reasons.push(...risk.reasons);
  return { level: 'high', reasons, changedLines: risk?.changedLines ?? 0, files: risk?.files ?? 0 };
}

/** True when moving into `to` can need a person under the config. */
export function mayNeedApproval(engine: Engine, to: string | null): to is string {
  return to !== null && engine.config.approvals.enter.includes(to);
}

export type ApprovalState = 'none' | 'requested' | 'approved' | 'changes_requested' | 'escalated';

/**
 * The state of approvals in the current phase visit: the newest decision or
 * request wins. `request` is the request that state is about: the newest
 * `requested` entry up to it (absent when a person decided with nothing asked).
 */
export function approvalState(
  entries: readonly LedgerEntry[],
  state: TaskState,
): { state: ApprovalState; entry?: LedgerEntry; request?: LedgerEntry } {
  const visit = entries.filter((x) => x.kind === 'approval' && x.taskId === state.taskId && x.seq >= state.phaseEpoch);
  const last = visit.at(-1);
  if (!last) return { state: 'none' };
  const action = last.data['action'];
  const s: ApprovalState =
    action === 'approved'
      ? 'approved'
      : action === 'changes_requested'
        ? 'changes_requested'
        : action === 'escalated'
          ? 'escalated'
          : 'requested';
  const request = visit.findLast((x) => x.data['action'] === 'requested');
  return { state: s, entry: last, ...(request ? { request } : {}) };
}

/**
 * Whether an approval stands for entering `to` in this visit: a person approved
 * a request to enter `to` (the policy's, or an agent's that named it), or
 * approved with nothing asked, and asked for no changes since. An approval of
 * a tool call is not an approval of the move.
 */
export function approvalCovers(
  entries: readonly LedgerEntry[],
  state: TaskState,
  to: string | null,
): LedgerEntry | undefined {
  let request: LedgerEntry | undefined;
  let covered: LedgerEntry | undefined;
  for (const x of entries) {
    if (x.kind !== 'approval' || x.taskId !== state.taskId || x.seq < state.phaseEpoch) continue;
    const action = x.data['action'];
    if (action === 'requested') request = x;
    else if (action === 'approved' && (request === undefined || request.toPhase === to)) covered = x;
    else if (action === 'changes_requested') covered = undefined;
  }
  return covered;
}

/**
 * The approval check of a move into `to`, inside the move's transaction: a
 * risky move needs a person's approval given during this phase visit. The
 * first refusal records the request so that it shows in the panel. Yields the
 * approval entry the move relies on, if it needed one.
 */
export async function guardApproval(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  to: string | null,
  risk: RiskAssessment,
  startMs: number,
): Promise<Result<LedgerEntry | undefined>> {
  if (!atLeast(risk.level, engine.config.approvals.minRisk)) return ok(undefined);
  const entries = await engine.store.entries({ taskId: state.taskId, kind: 'approval', fromSeq: state.phaseEpoch });
  const covering = approvalCovers(entries, state, to);
  if (covering) return ok(covering);
  const standing = approvalState(entries, state);
  // An approval of something else (a tool call the agent asked about) leaves this move to be asked for.
  const current: ReturnType<typeof approvalState> = standing.state === 'approved' ? { state: 'none' } : standing;
  const why = risk.reasons.map((r) => `${r.class}: ${r.detail}`).slice(0, 8);
  if (current.state === 'none') {
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
        risk: risk.level,
        reasons: risk.reasons,
        changedLines: risk.changedLines,
        files: risk.files,
      },
    });
  }
  const note = current.entry?.data['reason'];
  const message =
    current.state === 'changes_requested'
      ? `a person requested changes: ${clause(String(note ?? ''))}. Backtrack to ${String(current.entry?.data['backtrackTo'] ?? 'the phase named')} and pass the phases again`
      : `${to ? `entering ${to}` : `finishing ${state.taskId}`} ${risk.reasons.every((r) => r.class === 'waiver') ? 'relies on a waived check and' : `with a ${risk.level}-risk change`} needs a person's approval${why.length ? ` (${why.join('; ')})` : ''}; it is ${current.state === 'escalated' ? 'escalated and ' : ''}waiting for a person to decide with their passkey in the dashboard's approval panel`;
  const r = refuse(ErrorCode.APPROVAL_REQUIRED, message, {
    taskId: state.taskId,
    phase: to,
    reasons: why,
    risk: risk.level,
    approval: current.state,
    ...(note ? { note } : {}),
    remedy: approvalRemedy(current.state, current.entry?.data['backtrackTo']),
  });
  return {
    ok: false,
    error: await recordRefusal(engine, tx, state, actor, { action: 'advance', to }, r.error, startMs),
  };
}

/** The way out of an approval refusal: the phase a person's change request names, else the person's decision. */
function approvalRemedy(state: string, backtrackTo: unknown): Remedy {
  if (state === 'changes_requested' && typeof backtrackTo === 'string') return { backtrackTo };
  return { person: 'dashboard' };
}

/** A finding of a VERIFY run as its ledger entry records it. */
export interface RecordedFinding {
  readonly kind: string;
  readonly file: string;
  readonly line?: number;
  readonly test?: string;
  readonly detail: string;
}

/** The newest VERIFY run of the current phase visit, from its signed ledger entry: its seq and findings. */
export async function latestVerifyFindings(
  engine: Engine,
  state: TaskState,
): Promise<{ seq: number; findings: RecordedFinding[]; total: number } | undefined> {
  const [entry] = await engine.store.entries({
    taskId: state.taskId,
    kind: 'verify',
    fromSeq: state.phaseEpoch,
    newestFirst: true,
    limit: 1,
  });
  if (!entry) return undefined;
  const list = entry.data['findings'];
  const findings = Array.isArray(list)
    ? list.filter(
        (f): f is RecordedFinding =>
          !!f &&
          typeof f === 'object' &&
          typeof (f as RecordedFinding).kind === 'string' &&
          typeof (f as RecordedFinding).detail === 'string',
      )
    : [];
  const total = entry.data['findingsTotal'];
  return { seq: entry.seq, findings, total: typeof total === 'number' ? total : findings.length };
}

/**
 * The move out of VERIFY when its run found ways the tests say less than they seem to (tests removed, skipped or
 * focused, coverage-ignore comments, surviving mutants): a person decides, through the same approval as a risky
 * move. An approval counts only when given after that run, so a later run with new findings asks again. Yields the
 * approval entry the move relies on, if the run found anything.
 */
export async function guardFindings(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  to: string,
  run: { seq: number; findings: readonly RecordedFinding[]; total: number },
  startMs: number,
): Promise<Result<LedgerEntry | undefined>> {
  if (run.findings.length === 0) return ok(undefined);
  const all = await engine.store.entries({ taskId: state.taskId, kind: 'approval', fromSeq: state.phaseEpoch });
  const entries = all.filter((x) => x.seq > run.seq);
  const covering = approvalCovers(entries, state, to);
  if (covering) return ok(covering);
  const standing = approvalState(entries, state);
  const current: ReturnType<typeof approvalState> = standing.state === 'approved' ? { state: 'none' } : standing;
  const reasons: RiskReason[] = run.findings.map((f) => ({
    class: 'tests',
    level: 'high',
    detail: `${f.kind}: ${f.detail}`,
  }));
  if (current.state === 'none') {
    await append(engine, tx, {
      taskId: state.taskId,
      kind: 'approval',
      fromPhase: state.phase,
      toPhase: to,
      actor: actor.id,
      artifacts: [],
      data: { action: 'requested', by: 'verify', verifySeq: run.seq, risk: 'high', reasons, findings: run.total },
    });
  }
  const note = current.entry?.data['reason'];
  const shown = run.findings.slice(0, 3).map((f) => `${f.kind}: ${f.detail}`);
  const more = run.total > shown.length ? `; and ${run.total - shown.length} more` : '';
  const message =
    current.state === 'changes_requested'
      ? `a person requested changes: ${clause(String(note ?? ''))}. Backtrack to ${String(current.entry?.data['backtrackTo'] ?? 'the phase named')} and pass the phases again`
      : `leaving ${state.phase} needs a person's decision on what VERIFY found in the tests (${shown.join('; ')}${more}); it is ${current.state === 'escalated' ? 'escalated and ' : ''}waiting for a person to decide with their passkey in the dashboard's approval panel. Or change the tests so that nothing is found, and verify again`;
  const r = refuse(ErrorCode.APPROVAL_REQUIRED, message, {
    taskId: state.taskId,
    phase: to,
    reasons: reasons.map((x) => x.detail).slice(0, 20),
    findings: run.findings,
    verifySeq: run.seq,
    approval: current.state,
    ...(note ? { note } : {}),
    remedy: approvalRemedy(current.state, current.entry?.data['backtrackTo']),
  });
  return {
    ok: false,
    error: await recordRefusal(engine, tx, state, actor, { action: 'advance', to }, r.error, startMs),
  };
}
