/**
 * @module The process a bundle records: the task's entries replayed in order, every
 * forward move to the next phase only, backtracks to an earlier phase, every phase
 * up to the seal phase (`roles.seal`, PR by default) passed. Yields the task's state and the moves the later checks read.
 */
import { ErrorCode } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { applyEntry, type TaskState } from '../../core/task.ts';
import { nextPhase, phaseIndex, type Phase, type PhaseRoles } from '../../core/phases.ts';
import type { CiProblem } from './report.ts';

/** The task as its bundle leaves it. */
export interface Replayed {
  /** Undefined when the bundle holds no task_started entry of the task. */
  readonly state: TaskState | undefined;
  /** The last transition out of the verify phase (`roles.verify`) that no later backtrack undid. */
  readonly verifyPass?: LedgerEntry;
  /** The task's last transition. */
  readonly lastTransition?: LedgerEntry;
  readonly problems: CiProblem[];
}

/** Replays the entries of `taskId` (other tasks' entries in the chain are skipped) against the process of `config`. */
export function replayProcess(
  taskId: string,
  path: string,
  entries: readonly LedgerEntry[],
  config: { readonly phases: readonly Phase[]; readonly roles: PhaseRoles },
): Replayed {
  const { phases, roles } = config;
  const problems: CiProblem[] = [];
  const target = roles.seal;
  let state: TaskState | undefined;
  let verifyPass: LedgerEntry | undefined;
  let lastTransition: LedgerEntry | undefined;
  const refused = (entry: LedgerEntry | undefined, reason: string, code: ErrorCode = ErrorCode.PHASE_SKIP) =>
    problems.push({ taskId, check: 'process', code, file: path, ...(entry ? { seq: entry.seq } : {}), reason });
  for (const entry of entries) {
    if (entry.taskId !== taskId) continue;
    if (entry.kind === 'task_started') {
      if (state) refused(entry, `${taskId} is started a second time`);
      else if (entry.toPhase !== phases[0]) refused(entry, `${taskId} starts in ${entry.toPhase}, not in ${phases[0]}`);
    } else if (state && entry.kind === 'transition') {
      const next = nextPhase(phases, state.phase) ?? null;
      const to = entry.toPhase;
      if (entry.fromPhase !== state.phase || to !== next) {
        const move = `the transition ${entry.fromPhase} → ${to ?? 'DONE'} does not follow`;
        const skipped =
          to && phaseIndex(phases, to) > phaseIndex(phases, state.phase) + 1
            ? phases.slice(phaseIndex(phases, state.phase) + 1, phaseIndex(phases, to))
            : [];
        refused(
          entry,
          entry.fromPhase !== state.phase
            ? `${move}: the task was in ${state.phase}, and no transition passed ${state.phase}`
            : `${move}: the next phase after ${state.phase} is ${next ?? 'the end'}${skipped.length ? `; ${skipped.join(', ')} skipped` : ''}`,
        );
      }
      lastTransition = entry;
      if (roles.verify !== null && entry.fromPhase === roles.verify) verifyPass = entry;
    } else if (state && entry.kind === 'backtrack') {
      const to = entry.toPhase ?? '';
      if (
        entry.fromPhase !== state.phase ||
        phaseIndex(phases, to) < 0 ||
        phaseIndex(phases, to) >= phaseIndex(phases, state.phase)
      ) {
        refused(entry, `the backtrack ${entry.fromPhase} → ${to} does not follow: the task was in ${state.phase}`);
      }
      if (roles.verify !== null && phaseIndex(phases, to) <= phaseIndex(phases, roles.verify)) verifyPass = undefined;
    } else if (state && entry.kind === 'task_aborted') {
      refused(entry, `${taskId} was aborted`, ErrorCode.ABORTED);
    }
    state = applyEntry(state, entry);
  }
  if (!state) {
    refused(undefined, `the bundle holds no task_started entry of ${taskId}`);
    return { state, problems };
  }
  if (state.status !== 'done' && phaseIndex(phases, state.phase) < phaseIndex(phases, target)) {
    refused(
      entries[entries.length - 1],
      `the bundle leaves ${taskId} in ${state.phase}: every phase up to ${target} must be passed (${phases.slice(phaseIndex(phases, state.phase), phaseIndex(phases, target)).join(', ')} missing)`,
    );
  }
  return {
    state,
    problems,
    ...(verifyPass ? { verifyPass } : {}),
    ...(lastTransition ? { lastTransition } : {}),
  };
}
