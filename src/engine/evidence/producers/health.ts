/**
 * @module MONITOR's health checks: each configured URL asked with GET until it answers as expected or its time is
 * up, with progress on stderr while it waits. What could not be reached or did not answer as expected is named; a
 * URL that no request can be made to (the config's mistake, not the service's) is refused as CONFIG_INVALID.
 */
import { durationSeconds, type HealthCheckSpec } from '../../../core/config.ts';
import { AutopilotError, ErrorCode } from '../../../core/errors.ts';

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

/**
 * Probes every check (one after the other, each within its own time) and judges them together. A connection refused,
 * a name that does not resolve or a timeout is a service that did not answer: unhealthy. A URL that fetch will not ask
 * at all (credentials in it, a port browsers block) is thrown as CONFIG_INVALID naming `monitor.health.<i>.url`.
 */
export async function probeHealth(
  specs: readonly HealthCheckSpec[],
  opts: HealthProbeOptions = {},
): Promise<HealthVerdict> {
  const checks: HealthResult[] = [];
  for (const [i, spec] of specs.entries()) checks.push(await probeOne(spec, i, opts));
  const bad = checks.filter((c) => !c.healthy);
  return {
    healthy: bad.length === 0,
    unhealthy: bad.map((c) => `${c.name} (${c.problem})`).join(', '),
    checks,
  };
}

async function probeOne(spec: HealthCheckSpec, index: number, opts: HealthProbeOptions): Promise<HealthResult> {
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
    if (answer.status === null && answer.unaskable)
      throw new AutopilotError(
        ErrorCode.CONFIG_INVALID,
        `monitor.health.${index}.url: ${spec.url} cannot be asked at all (${answer.error}), which says nothing about the service: fix the URL in the config`,
        { key: `monitor.health.${index}.url`, reason: answer.error },
      );
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

type Answer = { status: number; body: string } | { status: null; error: string; unaskable?: true };

async function ask(url: string, timeoutMs: number): Promise<Answer> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, body: text.slice(0, BODY_LIMIT) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    // fetch refuses before any connection a URL with credentials ("Request cannot be constructed…") or a port on the
    // Fetch standard's blocked list ("bad port"): no service was asked.
    if (e.name === 'TypeError' && e.cause === undefined && e.message !== 'fetch failed')
      return { status: null, error: e.message, unaskable: true };
    if (e.cause?.message === 'bad port')
      return { status: null, error: 'a port fetch refuses to ask (bad port)', unaskable: true };
    return { status: null, error: e.cause?.code ?? e.cause?.message ?? e.message };
  }
}

function judge(a: Answer, expect: HealthResult['expect']): string | undefined {
  if (a.status === null) return `no answer: ${a.error}`;
  if (a.status !== expect.status) return `status ${a.status}, expected ${expect.status}`;
  if (expect.bodyContains !== undefined && !a.body.includes(expect.bodyContains))
    return `the body does not contain ${JSON.stringify(expect.bodyContains)}`;
  return undefined;
}
