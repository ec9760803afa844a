/**
 * @module Outcomes by prompt variant, from the ledger: each phase run (from the entry that entered a phase to the one
 * that left it) counts for the persona's variant that entry recorded, so that variants can be compared on real work.
 */
import type { LedgerEntry } from '../../core/ledger.ts';

/** How the phase runs told with one variant of a persona went. */
export interface VariantOutcome {
  readonly persona: string;
  readonly variant: string;
  /** Phases entered with the variant. */
  readonly runs: number;
  /** Runs left by a move forward (the others are still open, or were left by a backtrack or the task's end). */
  readonly passed: number;
  /** Runs left forward with no refused move before: the first-pass gate rate's numerator. */
  readonly firstPass: number;
  /** `firstPass / passed`, null before any run was left forward. */
  readonly firstPassRate: number | null;
  /** Backtracks out of the variant's runs. */
  readonly backtracks: number;
  /** Refusals recorded during the variant's runs (refused moves, denied tools, …). */
  readonly refusals: number;
  /** Time spent in the runs that ended, in milliseconds: the sum, and the mean per ended run (null: none ended). */
  readonly timeInPhaseMs: number;
  readonly meanTimeInPhaseMs: number | null;
}

interface Run {
  persona: string;
  variant: string;
  startMs: number;
  refusedMove: boolean;
}

type Tally = { -readonly [K in keyof VariantOutcome]: VariantOutcome[K] } & { ended: number };

/** The prompt variant an entry that enters a phase recorded, if any. */
function variantOf(entry: LedgerEntry): { persona: string; variant: string } | undefined {
  const p = entry.data['prompt'] as { persona?: { id?: unknown }; variant?: { id?: unknown } } | undefined;
  const persona = p?.persona?.id;
  const variant = p?.variant?.id;
  return typeof persona === 'string' && typeof variant === 'string' ? { persona, variant } : undefined;
}

/**
 * The outcomes of each persona's variants over `entries` (oldest first), by persona then variant. A run counts from
 * the task_started, transition or backtrack entry that entered its phase with a variant, to the next entry that moved
 * the task; refusals and backtracks in between are the run's. Runs whose start lies before the entries are not seen.
 */
export function variantOutcomes(entries: readonly LedgerEntry[]): VariantOutcome[] {
  const tallies = new Map<string, Tally>();
  const open = new Map<string, Run | undefined>();
  const tally = (r: Run): Tally => {
    const key = `${r.persona}\n${r.variant}`;
    let t = tallies.get(key);
    if (!t) {
      t = {
        persona: r.persona,
        variant: r.variant,
        runs: 0,
        passed: 0,
        firstPass: 0,
        firstPassRate: null,
        backtracks: 0,
        refusals: 0,
        timeInPhaseMs: 0,
        meanTimeInPhaseMs: null,
        ended: 0,
      };
      tallies.set(key, t);
    }
    return t;
  };
  for (const entry of entries) {
    if (entry.taskId === null) continue;
    const run = open.get(entry.taskId);
    if (entry.kind === 'violation') {
      if (!run) continue;
      tally(run).refusals += 1;
      if (entry.data['action'] === 'advance') run.refusedMove = true;
      continue;
    }
    const moves = entry.kind === 'task_started' || entry.kind === 'transition' || entry.kind === 'backtrack';
    const ends = entry.kind === 'task_aborted';
    if (!moves && !ends) continue;
    if (run) {
      const t = tally(run);
      t.ended += 1;
      t.timeInPhaseMs += Math.max(0, Date.parse(entry.ts) - run.startMs);
      if (entry.kind === 'backtrack') t.backtracks += 1;
      if (entry.kind === 'transition') {
        t.passed += 1;
        if (!run.refusedMove) t.firstPass += 1;
      }
    }
    const chosen = moves ? variantOf(entry) : undefined;
    const next = chosen ? { ...chosen, startMs: Date.parse(entry.ts), refusedMove: false } : undefined;
    if (next) tally(next).runs += 1;
    open.set(entry.taskId, next);
  }
  return [...tallies.values()]
    .map(({ ended, ...t }) => ({
      ...t,
      firstPassRate: t.passed ? t.firstPass / t.passed : null,
      meanTimeInPhaseMs: ended ? Math.round(t.timeInPhaseMs / ended) : null,
    }))
    .sort((a, b) => (a.persona + '\n' + a.variant < b.persona + '\n' + b.variant ? -1 : 1));
}
