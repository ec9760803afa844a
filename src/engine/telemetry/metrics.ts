/**
 * @module Telemetry figures from the store: the ledger entries of a time window
 * and the contract's counters reconstructed from them, with the same table the
 * engine counts with when it records a refusal, so the ledger and the sinks
 * agree. (A denied tool call outside any task is counted by the sinks but has no
 * ledger entry, so it is the one increment the reconstruction cannot see.)
 */
import type { LedgerEntry } from '../../core/ledger.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { Counter, UNLEDGERED_COUNTERS, type CounterReader } from '../../ports/events.ts';
import { COUNTER_FOR } from '../ledger/record.ts';
import type { Engine } from '../context.ts';
import { variantOutcomes, type VariantOutcome } from './variants.ts';

/** The default window of `autopilot metrics`, `slo` and `alerts`: 7 days. */
export const DEFAULT_WINDOW = '7d';

export interface TimeWindow {
  readonly since: string;
  readonly until: string;
  readonly hours: number;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses a window such as `90m`, `24h`, `7d` or `2w` into milliseconds. */
export function parseWindow(text: string): Result<number> {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/.exec(text);
  const ms = m ? Number(m[1]) * (UNIT_MS[m[2]!] ?? 0) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    return refuse(ErrorCode.USAGE, `--window needs a duration such as 30m, 24h, 7d or 2w, got "${text}"`, {
      argument: 'window',
    });
  }
  return ok(ms);
}

export function windowOf(sinceMs: number, untilMs: number): TimeWindow {
  return {
    since: new Date(sinceMs).toISOString(),
    until: new Date(untilMs).toISOString(),
    hours: (untilMs - sinceMs) / 3_600_000,
  };
}

const PAGE = 5000;

/** How far apart two machines' clocks may be: the bisection starts this much early, the filter is exact. */
const CLOCK_SLACK_MS = 10 * 60_000;

/**
 * The ledger entries with `since <= ts <= until`, oldest first. Entries are
 * stamped under the store's write lock, so time grows with seq (up to the
 * clock skew between machines sharing a store): the first entry of the window
 * is found by bisection, then the entries are read forward page by page.
 */
export async function entriesInWindow(engine: Engine, sinceMs: number, untilMs: number): Promise<LedgerEntry[]> {
  const head = await engine.store.head();
  if (!head) return [];
  let lo = 1;
  let hi = head.seq + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const [at] = await engine.store.entries({ fromSeq: mid, limit: 1 });
    if (!at || Date.parse(at.ts) >= sinceMs - CLOCK_SLACK_MS) hi = mid;
    else lo = mid + 1;
  }
  const out: LedgerEntry[] = [];
  for (let from = lo; ;) {
    const page = await engine.store.entries({ fromSeq: from, limit: PAGE });
    for (const entry of page) {
      const t = Date.parse(entry.ts);
      if (t >= sinceMs && t <= untilMs) out.push(entry);
    }
    if (page.length < PAGE) break;
    from = page[page.length - 1]!.seq + 1;
  }
  return out;
}

/** A move made with drifted instructions, recorded as a warning (`prompt_drift`; older ledgers: an `attestation` entry with action `drift`). */
export function isDriftWarning(entry: Pick<LedgerEntry, 'kind' | 'data'>): boolean {
  return entry.kind === 'prompt_drift' || (entry.kind === 'attestation' && entry.data['action'] === 'drift');
}

export interface CounterIncrement {
  readonly name: Counter;
  readonly attributes: Readonly<Record<string, string>>;
}

/** The counter increments the engine emitted when it appended `entry`. */
export function counterIncrements(entry: LedgerEntry): CounterIncrement[] {
  const d = entry.data;
  const out: CounterIncrement[] = [];
  switch (entry.kind) {
    case 'violation': {
      const code = String(d['code'] ?? '');
      for (const name of COUNTER_FOR[code] ?? [])
        out.push({ name, attributes: { phase: entry.fromPhase ?? '', code } });
      break;
    }
    case 'tool_blocked':
      if (d['decision'] === 'deny')
        out.push({
          name: Counter.tool_calls_blocked,
          attributes: { phase: entry.fromPhase ?? '', tool: String(d['tool'] ?? '').slice(0, 100) },
        });
      break;
    case 'policy_observed':
      out.push({
        name: Counter.policy_would_block,
        attributes: {
          phase: entry.fromPhase ?? '',
          tool: String(d['tool'] ?? '').slice(0, 100),
          policy: (Array.isArray(d['policyIds']) ? d['policyIds'].join(',') : '').slice(0, 200),
        },
      });
      break;
    case 'backtrack':
      out.push({
        name: Counter.phase_backtracks,
        attributes: { from: entry.fromPhase ?? '', to: entry.toPhase ?? '' },
      });
      break;
  }
  if (isDriftWarning(entry))
    out.push({
      name: Counter.prompt_drift_detected,
      attributes: {
        phase: entry.toPhase ?? entry.fromPhase ?? '',
        severity: typeof d['severity'] === 'string' ? d['severity'] : 'warning',
      },
    });
  // A person aborting the task (the approval flow's `abort` decision); "changes requested" sends it back but does not reject it.
  if (entry.kind === 'task_held')
    out.push({ name: Counter.tasks_held_by_watchdog, attributes: { phase: entry.fromPhase ?? '' } });
  if (entry.kind === 'task_aborted')
    out.push({ name: Counter.tasks_rejected_for_process_violation, attributes: { phase: entry.fromPhase ?? '' } });
  return out;
}

export interface CounterPoint {
  readonly name: Counter;
  readonly attributes: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricsReport {
  readonly window: TimeWindow;
  /** Ledger entries in the window. */
  readonly entries: number;
  /** Tasks with at least one entry in the window. */
  readonly tasks: number;
  /** Each counter's total over the window (zero when nothing happened). */
  readonly counters: Readonly<Record<Counter, number>>;
  /** The totals by attributes (phase and code, phase and tool, from and to), largest first. */
  readonly breakdown: readonly CounterPoint[];
  /** Refusals recorded in the window by their code, every code (CONFIG_CHANGED and WAIVER_REQUIRED among them). */
  readonly refusals: Readonly<Record<string, number>>;
  /** Moves and VERIFY runs that relied on a waived check, by check (`lint`, `build`, …). */
  readonly waivers: Readonly<Record<string, number>>;
  /** Outcomes by persona and prompt variant, for the personas the config gives variants. */
  readonly variants: readonly VariantOutcome[];
}

/** Refusals by code and waivers relied on by check, from the entries that record them. */
export function refusalsAndWaivers(entries: readonly LedgerEntry[]): {
  refusals: Record<string, number>;
  waivers: Record<string, number>;
} {
  const refusals: Record<string, number> = {};
  const waivers: Record<string, number> = {};
  for (const entry of entries) {
    if (entry.kind === 'violation') {
      const code = String(entry.data['code'] ?? '');
      refusals[code] = (refusals[code] ?? 0) + 1;
    }
    const relied = entry.data['waivers'];
    if ((entry.kind === 'transition' || entry.kind === 'verify') && Array.isArray(relied)) {
      for (const w of relied as { check?: unknown }[]) {
        const check = String(w?.check ?? '');
        waivers[check] = (waivers[check] ?? 0) + 1;
      }
    }
  }
  return { refusals, waivers };
}

/** Sums the counter increments of entries. */
export function countersOf(entries: readonly LedgerEntry[]): {
  counters: Record<Counter, number>;
  breakdown: CounterPoint[];
} {
  const counters = Object.fromEntries(Object.values(Counter).map((c) => [c, 0])) as Record<Counter, number>;
  const points = new Map<string, CounterPoint>();
  for (const entry of entries) {
    for (const inc of counterIncrements(entry)) {
      counters[inc.name] += 1;
      const key = JSON.stringify([inc.name, Object.entries(inc.attributes).sort()]);
      const p = points.get(key);
      points.set(key, { name: inc.name, attributes: inc.attributes, value: (p?.value ?? 0) + 1 });
    }
  }
  const breakdown = [...points.values()].sort(
    (a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return { counters, breakdown };
}

/**
 * The counters over the window ending now: those the ledger's entries stand for, and, with a reader, those recorded
 * outside the ledger (the CI gate's gates, {@link UNLEDGERED_COUNTERS}) as the sink wrote them.
 */
export async function computeMetrics(
  engine: Engine,
  windowMs: number,
  recorded?: CounterReader,
): Promise<MetricsReport> {
  const until = engine.clock.now().getTime();
  const since = until - windowMs;
  const entries = await entriesInWindow(engine, since, until);
  const { counters, breakdown } = countersOf(entries);
  for (const p of recorded?.counters(UNLEDGERED_COUNTERS, since, until) ?? []) {
    counters[p.name] += p.value;
    breakdown.push(p);
  }
  breakdown.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    window: windowOf(since, until),
    entries: entries.length,
    tasks: new Set(entries.map((x) => x.taskId).filter((t) => t !== null)).size,
    counters,
    breakdown,
    ...refusalsAndWaivers(entries),
    variants: variantOutcomes(entries),
  };
}
