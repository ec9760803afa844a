/** @module Latency statistics and the results table of `npm run bench`. */

export interface Stats {
  readonly name: string;
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Operations per second over the whole run. */
  readonly throughput: number;
  /**
   * CPU time of this process (every thread) per operation, in microseconds.
   * On a busy machine it moves much less than the wall clock does: it is the
   * cost of the work, where the latencies are the cost plus the wait for a core.
   */
  readonly cpuUs?: number;
  readonly note?: string;
  /** The separate runs this row's figures are the medians of (see {@link inRounds}). */
  readonly rounds?: readonly Stats[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** CPU microseconds of this process (user + system, all threads) since `from`. */
export function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return d.user + d.system;
}

/**
 * Times `op` `n` times after `warmup` runs; latencies in milliseconds. With
 * `cpu`, also the process's CPU time per operation (leave it off where the
 * work happens in child processes, which it does not count).
 */
export async function measure(
  name: string,
  n: number,
  op: (i: number) => unknown,
  opts: { warmup?: number; note?: string; cpu?: boolean } = {},
): Promise<Stats> {
  for (let i = 0; i < (opts.warmup ?? Math.min(50, n)); i++) await op(-1 - i);
  const lat: number[] = new Array(n);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await op(i);
    lat[i] = performance.now() - s;
  }
  const total = performance.now() - t0;
  const cpuUs = cpuSince(cpu0) / n;
  lat.sort((a, b) => a - b);
  return {
    name,
    n,
    p50: percentile(lat, 50),
    p95: percentile(lat, 95),
    p99: percentile(lat, 99),
    throughput: (n / total) * 1000,
    ...(opts.cpu ? { cpuUs } : {}),
    ...(opts.note ? { note: opts.note } : {}),
  };
}

/** The median of `values` (NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * One row out of separate runs of the same measurement: each figure is the median of the runs' figures, and the
 * runs stay attached, so that a verdict rests on the median and the table shows how far apart the runs were.
 */
export function mergeRounds(rounds: readonly Stats[]): Stats {
  const first = rounds[0];
  if (!first) throw new Error('mergeRounds needs at least one run');
  const of = (pick: (s: Stats) => number | undefined) => median(rounds.map((r) => pick(r) ?? NaN));
  const cpu = of((r) => r.cpuUs);
  return {
    name: first.name,
    n: rounds.reduce((a, r) => a + r.n, 0),
    p50: of((r) => r.p50),
    p95: of((r) => r.p95),
    p99: of((r) => r.p99),
    throughput: of((r) => r.throughput),
    ...(Number.isNaN(cpu) ? {} : { cpuUs: cpu }),
    ...(first.note ? { note: first.note } : {}),
    rounds,
  };
}

/**
 * Runs `bench` `k` times (each run returns rows) and merges the rows of the same name with {@link mergeRounds}.
 */
export async function inRounds(k: number, bench: (round: number) => Promise<Stats[]>): Promise<Stats[]> {
  const byName = new Map<string, Stats[]>();
  for (let round = 0; round < k; round++)
    for (const row of await bench(round)) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
  return [...byName.values()].map(mergeRounds);
}

/** How far apart a row's runs were: "3 runs, p50 a–b, p99 c–d" (empty for a row of one run). */
export function spread(row: Stats): string {
  const rounds = row.rounds ?? [];
  if (rounds.length < 2) return '';
  const range = (pick: (s: Stats) => number, fmt: (v: number) => string) => {
    const vs = rounds.map(pick).filter((v) => !Number.isNaN(v));
    return vs.length ? `${fmt(Math.min(...vs))}–${fmt(Math.max(...vs))}` : '-';
  };
  const timed = rounds.some((r) => !Number.isNaN(r.p50));
  return timed
    ? `${rounds.length} runs (medians shown): p50 ${range((r) => r.p50, ms)}, p99 ${range((r) => r.p99, ms)}`
    : `${rounds.length} runs (medians shown): ${range((r) => r.throughput, rate)}`;
}

const ms = (v: number) => (Number.isNaN(v) ? '-' : v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`);
const rate = (v: number) => (Number.isNaN(v) ? '-' : v >= 1000 ? `${(v / 1000).toFixed(1)}k/s` : `${v.toFixed(1)}/s`);
const us = (v: number | undefined) =>
  v === undefined || Number.isNaN(v)
    ? '-'
    : v >= 1000
      ? `${(v / 1000).toFixed(2)} ms`
      : `${v.toFixed(v < 10 ? 1 : 0)} µs`;

export function table(rows: readonly Stats[]): string {
  const head =
    '| benchmark | n | p50 | p95 | p99 | throughput | CPU/op | note |\n|---|---:|---:|---:|---:|---:|---:|---|';
  return [
    head,
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.n} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${rate(r.throughput)} | ${us(r.cpuUs)} | ${[r.note, spread(r)].filter(Boolean).join('; ')} |`,
    ),
  ].join('\n');
}
