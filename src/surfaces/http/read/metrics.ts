/**
 * @module The metrics page's figures: the contract's counters over time,
 * bucketed from the ledger; the SLO figures against their goals; and the
 * config's alert rules, evaluated without recording anything.
 */
import type { Counter } from '../../../ports/events.ts';
import {
  computeMetrics,
  counterIncrements,
  entriesInWindow,
  type MetricsReport,
} from '../../../engine/telemetry/metrics.ts';
import { computeSlo, type SloReport } from '../../../engine/telemetry/slo.ts';
import { computeGateRates, type GateRatesReport } from '../../../engine/telemetry/gate-rates.ts';
import { counterReaderFor } from '../../compose.ts';
import type { Engine } from '../../../engine/context.ts';

/** The gates' rates are compared with the 30 days before the page's window. */
export const BASELINE_MS = 30 * 86_400_000;

/** The windows the page offers, with their bucket size. */
export const WINDOWS = {
  '24h': { ms: 24 * 3_600_000, bucketMs: 3_600_000, label: 'last 24 hours' },
  '7d': { ms: 7 * 86_400_000, bucketMs: 6 * 3_600_000, label: 'last 7 days' },
  '30d': { ms: 30 * 86_400_000, bucketMs: 86_400_000, label: 'last 30 days' },
} as const;
export type WindowKey = keyof typeof WINDOWS;

export interface Series {
  readonly name: string;
  readonly total: number;
  readonly buckets: readonly number[];
}

export interface AlertView {
  readonly name: string;
  readonly metric: string;
  readonly op: 'gt' | 'gte' | 'lt' | 'lte';
  readonly threshold: number;
  readonly windowHours: number;
  readonly value: number | null;
  readonly firing: boolean;
}

export interface MetricsView {
  readonly window: WindowKey;
  readonly sinceMs: number;
  readonly bucketMs: number;
  readonly report: MetricsReport;
  readonly series: readonly Series[];
  /** Transitions (moves forward and back) per bucket. */
  readonly moves: Series;
  readonly slo: SloReport;
  readonly alerts: readonly AlertView[];
  /** Each gate's blocks and rates over the window, and over the baseline before it. */
  readonly rates: GateRatesReport;
}

const compare = (value: number, op: AlertView['op'], threshold: number) =>
  op === 'gt'
    ? value > threshold
    : op === 'gte'
      ? value >= threshold
      : op === 'lt'
        ? value < threshold
        : value <= threshold;

/** The figures of one window ending now. */
export async function metricsView(engine: Engine, window: WindowKey): Promise<MetricsView> {
  const w = WINDOWS[window];
  const until = engine.clock.now().getTime();
  const since = until - w.ms;
  const n = Math.ceil(w.ms / w.bucketMs);
  const entries = await entriesInWindow(engine, since, until);
  const report = await computeMetrics(engine, w.ms, counterReaderFor(engine.layout));
  const buckets = new Map<string, number[]>(Object.keys(report.counters).map((c) => [c, new Array<number>(n).fill(0)]));
  const moves = new Array<number>(n).fill(0);
  for (const x of entries) {
    const i = Math.min(n - 1, Math.max(0, Math.floor((Date.parse(x.ts) - since) / w.bucketMs)));
    for (const inc of counterIncrements(x)) {
      const b = buckets.get(inc.name);
      if (b) b[i]! += 1;
    }
    if (x.kind === 'transition' || x.kind === 'backtrack') moves[i]! += 1;
  }
  const series = [...buckets.entries()].map(([name, b]) => ({
    name,
    total: report.counters[name as Counter],
    buckets: b,
  }));
  const slo = await computeSlo(engine, w.ms);
  return {
    window,
    sinceMs: since,
    bucketMs: w.bucketMs,
    report,
    series,
    moves: { name: 'moves', total: moves.reduce((a, b) => a + b, 0), buckets: moves },
    slo,
    alerts: await alertsNow(engine),
    rates: await computeGateRates(engine, w.ms, BASELINE_MS),
  };
}

/** The config's alert rules, each over its own window ending now; nothing is recorded. */
export async function alertsNow(engine: Engine): Promise<AlertView[]> {
  const byHours = new Map<number, { slo: SloReport; counters: Record<string, number> }>();
  const out: AlertView[] = [];
  for (const rule of engine.config.alerts) {
    let f = byHours.get(rule.windowHours);
    if (!f) {
      const ms = rule.windowHours * 3_600_000;
      f = { slo: await computeSlo(engine, ms), counters: (await computeMetrics(engine, ms)).counters };
      byHours.set(rule.windowHours, f);
    }
    const value =
      rule.metric === 'task_success_rate'
        ? f.slo.taskSuccessRate.value
        : rule.metric === 'loop_rate'
          ? f.slo.loopRate.value
          : rule.metric === 'tool_mttr_seconds'
            ? f.slo.toolMttr.seconds
            : rule.metric === 'groundedness_score'
              ? f.slo.groundedness.value
              : (f.counters[rule.metric] ?? null);
    out.push({
      name: rule.name,
      metric: rule.metric,
      op: rule.op,
      threshold: rule.threshold,
      windowHours: rule.windowHours,
      value,
      firing: value !== null && compare(value, rule.op, rule.threshold),
    });
  }
  return out;
}
