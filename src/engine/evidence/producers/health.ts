/**
 * @module MONITOR's health checks: each configured URL asked with GET until it answers as expected or its time is
 * up, with progress on stderr while it waits. What could not be reached or did not answer as expected is named.
 */
import { durationSeconds, type HealthCheckSpec } from '../../../core/config.ts';

/** One check's result, as `deployment_status.json` records it. */
export interface HealthResult {
  readonly name: string;
  readonly url: string;
  readonly expect: { readonly status: number; readonly bodyContains?: string };
  readonly healthy: boolean;
  /** The last answer's status; null when nothing answered. */
  readonly status: number | null;
  readonly tries: number;
  readonly waitedSeconds: number;
  /** Why the last try was not as expected; absent when healthy. */
  readonly problem?: string;
}

export interface HealthProbeOptions {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly progress?: (line: string) => void;
  /** How long one request may take before it counts as not answered, milliseconds (default 10 s). */
  readonly requestTimeoutMs?: number;
}

/** The checks' results, and the failing ones named (`api (status 503, expected 200)`), '' when all are healthy. */
export interface HealthVerdict {
  readonly healthy: boolean;
  readonly unhealthy: string;
  readonly checks: HealthResult[];
}

const BODY_LIMIT = 1024 * 1024;

/** Probes every check (one after the other, each within its own time) and judges them together. */
export async function probeHealth(
  specs: readonly HealthCheckSpec[],
  opts: HealthProbeOptions = {},
): Promise<HealthVerdict> {
  const checks: HealthResult[] = [];
  for (const spec of specs) checks.push(await probeOne(spec, opts));
  const bad = checks.filter((c) => !c.healthy);
  return {
    healthy: bad.length === 0,
    unhealthy: bad.map((c) => `${c.name} (${c.problem})`).join(', '),
    checks,
  };
}

async function probeOne(spec: HealthCheckSpec, opts: HealthProbeOptions): Promise<HealthResult> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`autopilot: ${line}\n`));
  const withinMs = (durationSeconds(spec.within) ?? 0) * 1000;
  const pollMs = (spec.pollSeconds ?? 10) * 1000;
  const name = spec.name ?? spec.url;
  const expect = {
    status: spec.expect.status,
    ...(spec.expect.bodyContains !== undefined ? { bodyContains: spec.expect.bodyContains } : {}),
  };
  let waited = 0;
  for (let tries = 1; ; tries++) {
    const answer = await ask(spec.url, opts.requestTimeoutMs ?? 10_000);
    const problem = judge(answer, expect);
    const base = {
      name,
      url: spec.url,
      expect,
      status: answer.status,
      tries,
      waitedSeconds: Math.round(waited / 1000),
    };
    if (!problem) return { ...base, healthy: true };
    // Time is counted in the waits between tries (the sleep is an input), so that a test runs it without a clock.
    if (waited >= withinMs) return { ...base, healthy: false, problem };
    progress(`health check ${name}: ${problem}; trying again (${Math.round(waited / 1000)} s of ${withinMs / 1000} s)`);
    const step = Math.min(pollMs, withinMs - waited);
    await sleep(step);
    waited += step;
  }
}

type Answer = { status: number; body: string } | { status: null; error: string };

async function ask(url: string, timeoutMs: number): Promise<Answer> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, body: text.slice(0, BODY_LIMIT) };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { status: null, error: cause?.code ?? cause?.message ?? (err as Error).message };
  }
}

function judge(a: Answer, expect: HealthResult['expect']): string | undefined {
  if (a.status === null) return `no answer: ${a.error}`;
  if (a.status !== expect.status) return `status ${a.status}, expected ${expect.status}`;
  if (expect.bodyContains !== undefined && !a.body.includes(expect.bodyContains))
    return `the body does not contain ${JSON.stringify(expect.bodyContains)}`;
  return undefined;
}
