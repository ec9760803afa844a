/** @module `autopilot metrics`, `autopilot slo` and `autopilot alerts`: figures computed from the store over a window. */
import pc from 'picocolors';
import { computeMetrics, DEFAULT_WINDOW, parseWindow } from '../../../engine/telemetry/metrics.ts';
import { computeGateRates, DEFAULT_BASELINE, type GateRate } from '../../../engine/telemetry/gate-rates.ts';
import { computeSlo, evaluateAlerts, type SloReport } from '../../../engine/telemetry/slo.ts';
import { counterReaderFor } from '../../compose.ts';
import { done, UsageError, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { plural } from '../../../core/phrasing.ts';

type WindowOptions = GlobalOptions & { window?: string; baseline?: string };

function windowMs(opts: WindowOptions): number {
  const r = parseWindow(opts.window ?? DEFAULT_WINDOW);
  if (!r.ok) throw new UsageError(r.error.message, 'window');
  return r.value;
}

function baselineMs(opts: WindowOptions): number {
  const r = parseWindow(opts.baseline ?? DEFAULT_BASELINE);
  if (!r.ok) throw new UsageError(r.error.message.replace('--window', '--baseline'), 'baseline');
  return r.value;
}

/** A gate's line: its blocks, and its rates now against the baseline's. */
function rateLine(now: GateRate, base: GateRate): string {
  const counts = `${String(now.blocks).padStart(6)} ${String(now.wouldBlock).padStart(6)} ${String(now.overridden).padStart(6)} ${String(now.spurious).padStart(6)}`;
  const vs = (a: number | null, b: number | null) => `${pct(a).padStart(14)} ${pc.dim(`(${pct(b)})`.padStart(9))}`;
  return `  ${now.gate.padEnd(4)} ${counts}  ${vs(now.falsePositiveGateRate, base.falsePositiveGateRate)}  ${vs(now.spuriousBlockRate, base.spuriousBlockRate)}`;
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const mark = (met: boolean | null) => (met === null ? pc.dim('–') : met ? pc.green('✓') : pc.red('✗'));

export async function metricsVerb(opts: WindowOptions): Promise<VerbResult> {
  const ms = windowMs(opts);
  const baseMs = baselineMs(opts);
  return withEngine(opts, async (engine) => {
    const m = await computeMetrics(engine, ms, counterReaderFor(engine.layout));
    const rates = await computeGateRates(engine, ms, baseMs);
    const rows = Object.entries(m.counters).map(([name, value]) => `  ${name.padEnd(38)} ${String(value).padStart(6)}`);
    const by = m.breakdown.map(
      (p) =>
        `  ${p.name.padEnd(38)} ${String(p.value).padStart(6)}  ${pc.dim(
          Object.entries(p.attributes)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
        )}`,
    );
    const table = (o: Readonly<Record<string, number>>) =>
      Object.entries(o)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([k, v]) => `  ${k.padEnd(38)} ${String(v).padStart(6)}`);
    const refusals = table(m.refusals);
    const waivers = table(m.waivers);
    const rateLines = [
      '',
      `${pc.bold('gates')} from the ledger, in brackets the baseline from ${rates.baseline.window.since} to ${rates.baseline.window.until}`,
      `  gate ${'blocks'.padStart(6)} ${'would'.padStart(6)} ${'overr.'.padStart(6)} ${'spur.'.padStart(6)}  ${'false_positive_gate_rate'.padStart(24)}  ${'spurious_block_rate'.padStart(24)}`,
      ...rates.gates.map((g, i) => rateLine(g, rates.baseline.gates[i]!)),
    ];
    const seconds = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
    const variants = m.variants.map(
      (v) =>
        `  ${`${v.persona}/${v.variant}`.padEnd(30)} ${String(v.runs).padStart(5)} ${pct(v.firstPassRate).padStart(11)} ${String(v.backtracks).padStart(10)} ${String(v.refusals).padStart(8)} ${seconds(v.meanTimeInPhaseMs).padStart(13)}`,
    );
    return done(
      { ...m, gateRates: rates },
      [
        `${pc.bold('counters')} from ${m.window.since} to ${m.window.until}: ${plural(m.entries, 'ledger entry')}, ${plural(m.tasks, 'task')}`,
        ...rows,
        ...(by.length ? ['', pc.bold('by phase and code'), ...by] : []),
        ...(refusals.length ? ['', pc.bold('refusals by code'), ...refusals] : []),
        ...(waivers.length ? ['', pc.bold('waived checks relied on'), ...waivers] : []),
        ...rateLines,
        ...(variants.length
          ? [
              '',
              pc.bold('prompt variants'),
              `  ${'persona/variant'.padEnd(30)} ${'runs'.padStart(5)} ${'first pass'.padStart(11)} ${'backtracks'.padStart(10)} ${'refusals'.padStart(8)} ${'time in phase'.padStart(13)}`,
              ...variants,
            ]
          : []),
      ].join('\n'),
    );
  });
}

export function formatSlo(s: SloReport): string {
  const { taskSuccessRate: t, loopRate: l, toolMttr: m, groundedness: g } = s;
  return [
    `${pc.bold('service levels')} from ${s.window.since} to ${s.window.until}`,
    `  ${mark(t.met)} task success rate  ${pct(t.value).padStart(7)}  goal ≥ ${pct(t.goal)}   ${pc.dim(`done ${t.done} · aborted ${t.aborted} · stuck ${t.stuck}${t.stuckTasks.length ? ` (${t.stuckTasks.join(', ')})` : ''}`)}`,
    `  ${mark(l.met)} loop rate          ${pct(l.value).padStart(7)}  goal ≤ ${pct(l.goal)}    ${pc.dim(`${l.looping} of ${plural(l.tasks, 'task')} entered a phase more than ${plural(l.threshold, 'time')}${l.loopingTasks.length ? ` (${l.loopingTasks.join(', ')})` : ''}`)}`,
    `  ${mark(m.met)} tool MTTR          ${(m.seconds === null ? 'n/a' : `${m.seconds.toFixed(1)} s`).padStart(7)}  goal ≤ ${m.goal} s     ${pc.dim(`${m.incidents} incidents, ${m.open} still open`)}`,
    `  ${mark(g.met)} groundedness       ${pct(g.value).padStart(7)}  goal ≥ ${pct(g.goal)}   ${pc.dim(`${plural(g.tasks, 'grounded task')}${g.belowGoal.length ? `, under the goal: ${g.belowGoal.join(', ')}` : ''}`)}`,
  ].join('\n');
}

export async function sloVerb(opts: WindowOptions): Promise<VerbResult> {
  const ms = windowMs(opts);
  return withEngine(opts, async (engine) => {
    const s = await computeSlo(engine, ms);
    return done(s, formatSlo(s));
  });
}

/** Exit code 2 when an alert fires, 0 otherwise. */
export async function alertsVerb(opts: GlobalOptions): Promise<VerbResult> {
  return withEngine(opts, async (engine) => {
    const r = await evaluateAlerts(engine);
    if (!r.ok) return r;
    const { alerts, firing } = r.value;
    const lines = alerts.map(
      (a) =>
        `  ${a.firing ? pc.red('FIRING') : pc.green('ok    ')} ${a.name}: ${a.metric} = ${a.value === null ? 'n/a' : Number(a.value.toFixed(4))} (${a.op} ${a.threshold}, over ${a.windowHours} h)`,
    );
    const head = alerts.length
      ? `${firing.length} of ${plural(alerts.length, 'alert')} firing`
      : 'no alert rules in the config (key: alerts)';
    return { ...done(r.value, [head, ...lines].join('\n')), exitCode: firing.length ? 2 : 0 };
  });
}
