/** @module The Metrics page: SLO figures against their goals, alert rules, and the contract's counters over time. */
import { concat, html, type Html } from './html.ts';
import { options, selectField } from './fields.ts';
import { percent } from './format.ts';
import { WINDOWS, type MetricsView, type Series, type WindowKey } from '../read/metrics.ts';
import { plural } from '../../../core/phrasing.ts';
import { GATE_TITLES } from '../../../core/gates.ts';
import type { GateRate } from '../../../engine/telemetry/gate-rates.ts';
import { dataTable } from './table.ts';

function spark(s: Series, v: MetricsView): Html {
  const n = s.buckets.length;
  const w = 240;
  const h = 44;
  const max = Math.max(1, ...s.buckets);
  const bw = w / n;
  const label = (i: number) => new Date(v.sinceMs + i * v.bucketMs).toISOString().slice(0, 16).replace('T', ' ');
  const bar = (b: number, i: number) => {
    if (b <= 0) return '';
    const height = (b / max) * (h - 4);
    const x = (i * bw + 1).toFixed(2);
    const y = (h - 1 - height).toFixed(2);
    const box = html`x="${x}" y="${y}" width="${Math.max(1, bw - 2).toFixed(2)}" height="${height.toFixed(2)}"`;
    return html`<rect class="${i === n - 1 ? 'hot' : ''}" ${box}><title>${label(i)} UTC: ${b}</title></rect>`;
  };
  const aria = `${s.name} per ${bucketWord(v)}: ${s.buckets.join(', ')}`;
  return html`<svg class="spark" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img" aria-label="${aria}">
<line class="base" x1="0" y1="${h - 0.5}" x2="${w}" y2="${h - 0.5}"/>
${s.buckets.map(bar)}
</svg>`;
}

function sloCard(label: string, value: string, met: boolean | null, goal: string, note: string): Html {
  const cls = met === null ? 'nodata' : met ? 'met' : 'missed';
  const verdict =
    met === null
      ? html`<span class="badge">no data</span>`
      : met
        ? html`<span class="badge ok">goal met</span>`
        : html`<span class="badge bad">goal missed</span>`;
  return html`<div class="card stat ${cls}">${concat(
    html`<div class="label">${label}</div><div class="value">${value}</div>`,
    html`<div class="goal">${goal} · ${verdict}</div><p class="small muted note">${note}</p>`,
  )}</div>`;
}

/** What a bar of the counters stands for, from the window's bucket size. */
const bucketWord = (v: MetricsView) =>
  v.bucketMs >= 86_400_000 ? 'day' : v.bucketMs >= 6 * 3_600_000 ? '6 hours' : 'hour';

function windowForm(v: MetricsView): Html {
  const windows = (Object.keys(WINDOWS) as WindowKey[]).map((k) => [k, WINDOWS[k].label] as const);
  const field = selectField('m-window', 'Window', 'window', options(windows, v.window));
  const show = html`<noscript><button class="btn secondary">Show</button></noscript>`;
  const form = html`<form class="toolbar" method="get" action="/metrics" data-autosubmit aria-label="Time window">`;
  return html`${form}${field}${show}</form>`;
}

function serviceLevels(s: MetricsView['slo']): Html {
  const success = s.taskSuccessRate;
  const stuck = success.stuckTasks.length ? ` (${success.stuckTasks.join(', ')})` : '';
  const loops = s.loopRate;
  const mttr = s.toolMttr;
  const outcomes = `${success.done} done, ${success.aborted} aborted, ${success.stuck} stuck${stuck}`;
  const more = plural(loops.threshold, 'time');
  const looping = `${loops.looping} of ${plural(loops.tasks, 'task')} entered a phase more than ${more}`;
  const mttrValue = mttr.seconds === null ? '—' : `${mttr.seconds.toFixed(1)} s`;
  const incidents = `${mttr.incidents} denied-tool incidents, ${mttr.open} still open`;
  const g = s.groundedness;
  const below = g.belowGoal.length ? `, under the goal: ${g.belowGoal.join(', ')}` : '';
  const grounded = `${plural(g.tasks, 'grounded task')}${below}`;
  return html`<div class="section"><div class="section-head"><h2>Service levels</h2></div>
<div class="grid grid-2">
  ${sloCard('Task success rate', percent(success.value), success.met, `goal ≥ ${percent(success.goal, 0)}`, outcomes)}
  ${sloCard('Loop rate', percent(loops.value), loops.met, `goal ≤ ${percent(loops.goal, 0)}`, looping)}
  ${sloCard('Tool MTTR', mttrValue, mttr.met, `goal ≤ ${mttr.goal} s`, incidents)}
  ${sloCard('Groundedness', percent(g.value), g.met, `goal ≥ ${percent(g.goal, 0)}`, grounded)}
</div></div>`;
}

const OP_WORD = { gt: '>', gte: '≥', lt: '<', lte: '≤' } as const;

function alertRow(a: MetricsView['alerts'][number]): Html {
  const value = a.value === null ? '—' : Number.isInteger(a.value) ? a.value : a.value.toFixed(3);
  const state = a.firing
    ? html`<span class="badge bad">firing</span>`
    : a.value === null
      ? html`<span class="badge">no data</span>`
      : html`<span class="badge ok">ok</span>`;
  const rule = html`<code>${a.metric} ${OP_WORD[a.op]} ${a.threshold}</code>`;
  const condition = html`${rule} <span class="muted small">over ${a.windowHours} h</span>`;
  return html`<tr>${concat(
    html`<td class="primary" data-label="Rule"><strong>${a.name}</strong></td>`,
    html`<td data-label="Condition">${condition}</td>`,
    html`<td data-label="Value" class="num">${value}</td><td data-label="State">${state}</td>`,
  )}</tr>`;
}

/** How to add an alert rule, when there is none. */
const NO_RULES = concat(
  html`Add rules under <code>alerts:</code> in .autopilot/config.yaml, `,
  html`e.g. <code>{name: skips, metric: phase_skips_attempted, op: gt, threshold: 5}</code>.`,
);

function alertsSection(v: MetricsView): Html {
  const firing = v.alerts.filter((a) => a.firing);
  const count = firing.length
    ? html`<span class="badge bad">${firing.length} firing</span>`
    : html`<span class="badge ok">none firing</span>`;
  const body = v.alerts.length
    ? dataTable(['Rule', 'Condition', { label: 'Value', num: true }, 'State'], v.alerts.map(alertRow))
    : html`<div class="empty"><strong>No alert rules</strong>${NO_RULES}</div>`;
  const about = html`The rules of <code>alerts:</code> in the config, each over its own window, evaluated now.`;
  return html`<div class="section"><div class="section-head"><div><h2>Alerts</h2><p>${about}</p></div>${count}</div>
<div class="card">${body}</div></div>`;
}

/** A rate now, with the baseline's under it. */
function rateCell(label: string, now: number | null, base: number | null): Html {
  const shown = now === null ? '—' : percent(now);
  const was = html`<div class="small muted" data-baseline>baseline ${base === null ? 'no data' : percent(base)}</div>`;
  return html`<td data-label="${label}" class="num">${shown}${was}</td>`;
}

function rateRow(now: GateRate, base: GateRate): Html {
  return html`<tr data-gate="${now.gate}">${concat(
    html`<td class="primary" data-label="Gate"><strong>${now.gate}</strong> <span class="muted small">${GATE_TITLES[now.gate]}</span></td>`,
    html`<td data-label="Blocks" class="num">${now.blocks}</td><td data-label="Would block" class="num">${now.wouldBlock}</td>`,
    html`<td data-label="Overridden" class="num">${now.overridden}</td><td data-label="Spurious" class="num">${now.spurious}</td>`,
    rateCell('false_positive_gate_rate', now.falsePositiveGateRate, base.falsePositiveGateRate),
    rateCell('spurious_block_rate', now.spuriousBlockRate, base.spuriousBlockRate),
  )}</tr>`;
}

function ratesSection(v: MetricsView): Html {
  const r = v.rates;
  const about = concat(
    html`Refusals the tasks met, by gate, from the ledger. Overridden: a person adopted a new contract or mode before the task left the phase, or allowed a blocked tool call. `,
    html`Spurious: a failed VERIFY whose very tree a later run passed. The baseline is the 30 days before the window.`,
  );
  const rows = r.gates.map((g, i) => rateRow(g, r.baseline.gates[i]!));
  const columns = ['Gate', { label: 'Blocks', num: true }, { label: 'Would block', num: true }] as const;
  const rates = [
    { label: 'false_positive_gate_rate', num: true },
    { label: 'spurious_block_rate', num: true },
  ] as const;
  const table = dataTable(
    [...columns, { label: 'Overridden', num: true }, { label: 'Spurious', num: true }, ...rates],
    rows,
  );
  return html`<div class="section" id="gate-rates"><div class="section-head"><div><h2>Gates</h2><p>${about}</p></div></div>
<div class="card">${table}</div></div>`;
}

function counter(name: string, s: Series, v: MetricsView): Html {
  const figures = html`<div class="name">${name}</div><div class="total">${s.total}</div>`;
  return html`<div class="card counter">${figures}${spark(s, v)}</div>`;
}

function countersSection(v: MetricsView): Html {
  const about = html`One bar per ${bucketWord(v)}, oldest on the left.`;
  return html`<div class="section"><div class="section-head"><div><h2>Counters over time</h2><p>${about}</p></div></div>
<div class="counter-grid">
  ${counter('phase moves (forward and back)', v.moves, v)}
  ${v.series.map((c) => counter(c.name, c, v))}
</div></div>`;
}

function breakdownSection(v: MetricsView): Html | string {
  if (!v.report.breakdown.length) return '';
  const rows = v.report.breakdown.slice(0, 30).map((p) => {
    const attributes = Object.entries(p.attributes)
      .filter(([, val]) => val)
      .map(([k, val]) => `${k}=${val}`)
      .join(' · ');
    return html`<tr>${concat(
      html`<td class="primary" data-label="Counter"><code>${p.name}</code></td>`,
      html`<td data-label="Attributes" class="small">${attributes}</td>`,
      html`<td data-label="Count" class="num">${p.value}</td>`,
    )}</tr>`;
  });
  const table = dataTable(['Counter', 'Attributes', { label: 'Count', num: true }], rows);
  const head = html`<div class="section-head"><h2>Breakdown</h2></div>`;
  return html`<div class="section">${head}<div class="card">${table}</div></div>`;
}

export function metricsBody(v: MetricsView): Html {
  const counted = `${plural(v.report.entries, 'entry')} over ${plural(v.report.tasks, 'task')}`;
  const scope = `${WINDOWS[v.window].label}, ${counted}`;
  const lede = html`Counted from the ledger itself, so they agree with what was recorded: ${scope}.`;
  return html`<div class="page-head"><div><h1>Metrics</h1><p class="lede">${lede}</p></div>
${windowForm(v)}</div>
<section id="metrics" data-live aria-label="Figures">
${serviceLevels(v.slo)}
${alertsSection(v)}
${ratesSection(v)}
${countersSection(v)}
${breakdownSection(v)}
</section>`;
}
