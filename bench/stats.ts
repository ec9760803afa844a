/** @module Latency statistics and the results table of `npm run bench`. */

export interface Stats {
  readonly name: string;
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Operations per second over the whole run. */
  readonly throughput: number;
  readonly note?: string;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Times `op` `n` times after `warmup` runs; latencies in milliseconds. */
export async function measure(name: string, n: number, op: (i: number) => unknown, opts: { warmup?: number; note?: string } = {}): Promise<Stats> {
  for (let i = 0; i < (opts.warmup ?? Math.min(50, n)); i++) await op(-1 - i);
  const lat: number[] = new Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await op(i);
    lat[i] = performance.now() - s;
  }
  const total = performance.now() - t0;
  lat.sort((a, b) => a - b);
  return { name, n, p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), throughput: (n / total) * 1000, ...(opts.note ? { note: opts.note } : {}) };
}

const ms = (v: number) => (Number.isNaN(v) ? '-' : v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`);
const rate = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k/s` : `${v.toFixed(1)}/s`);

export function table(rows: readonly Stats[]): string {
  const head = '| benchmark | n | p50 | p95 | p99 | throughput | note |\n|---|---:|---:|---:|---:|---:|---|';
  return [head, ...rows.map((r) => `| ${r.name} | ${r.n} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${rate(r.throughput)} | ${r.note ?? ''} |`)].join('\n');
}
