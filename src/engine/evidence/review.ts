/**
 * @module The review phase's second look: before the task leaves the review phase, its rubric must have been
 * written, through the ledger, by another hand than the implement phase's, in a role the config allows.
 */
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import { implementersOf, judgeReview, reviewRules, type ReviewRules } from '../../core/review.ts';
import type { Finding } from '../../validators/index.ts';
import { evidenceRel } from '../repo/layout.ts';
import type { Engine } from '../context.ts';
import type { PhaseGateReport } from './phase-gate.ts';

/** What the check reads before the move's transaction: the rule and the task's entries. */
export interface ReviewInputs {
  readonly rules: ReviewRules;
  readonly entries: readonly LedgerEntry[];
}

/** The task's entries when it is in the review phase; undefined when the process has no review to check. */
export async function readReviewInputs(engine: Engine, state: TaskState): Promise<ReviewInputs | undefined> {
  const rules = reviewRules(engine.config);
  if (!rules || state.phase !== rules.phase) return undefined;
  return { rules, entries: await engine.store.entries({ taskId: state.taskId }) };
}

/**
 * The finding that keeps the task in the review phase, or null when its rubric is another hand's review. `state` is
 * the task as the move's transaction read it; `gate` the phase's evidence as the gate just read it from disk.
 */
export function checkReview(inputs: ReviewInputs, state: TaskState, gate: PhaseGateReport): Finding | null {
  const { rules, entries } = inputs;
  const path = evidenceRel(state.taskId, rules.phase, rules.artifact);
  const passed = gate.artifacts.find((a) => a.path === path);
  const live = state.artifacts[path];
  const writer = live ? entries.find((x) => x.seq === live.seq) : undefined;
  const problem = judgeReview(
    rules,
    writer,
    path,
    passed?.sha256 ?? '',
    implementersOf(entries, rules, Number.MAX_SAFE_INTEGER),
  );
  return problem ? { file: path, ...problem } : null;
}
