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
        `| ${r.name} | ${r.n} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${rate(r.throughput)} | ${us(r.cpuUs)} | ${r.note ?? ''} |`,
    ),
  ].join('\n');
}
