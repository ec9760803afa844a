/** @module The Metrics page: SLO figures against their goals, alert rules, and the contract's counters over time. */
import { html, type Html } from './html.ts';
import { percent } from './format.ts';
import { WINDOWS, type MetricsView, type Series, type WindowKey } from '../read/metrics.ts';
import { plural } from '../../../core/phrasing.ts';

function spark(s: Series, v: MetricsView): Html {
  const n = s.buckets.length;
  const w = 240;
  const h = 44;
  const max = Math.max(1, ...s.buckets);
  const bw = w / n;
  const label = (i: number) => new Date(v.sinceMs + i * v.bucketMs).toISOString().slice(0, 16).replace('T', ' ');
  return html`<svg class="spark" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img" aria-label="${s.name} per ${v.bucketMs >= 86_400_000 ? 'day' : v.bucketMs >= 6 * 3_600_000 ? '6 hours' : 'hour'}: ${s.buckets.join(', ')}">
<line class="base" x1="0" y1="${h - 0.5}" x2="${w}" y2="${h - 0.5}"/>
${s.buckets.map((b, i) => (b > 0 ? html`<rect class="${i === n - 1 ? 'hot' : ''}" x="${(i * bw + 1).toFixed(2)}" y="${(h - 1 - (b / max) * (h - 4)).toFixed(2)}" width="${Math.max(1, bw - 2).toFixed(2)}" height="${((b / max) * (h - 4)).toFixed(2)}"><title>${label(i)} UTC: ${b}</title></rect>` : ''))}
</svg>`;
}

function sloCard(label: string, value: string, met: boolean | null, goal: string, note: string): Html {
  const cls = met === null ? 'nodata' : met ? 'met' : 'missed';
  return html`<div class="card stat ${cls}"><div class="label">${label}</div><div class="value">${value}</div><div class="goal">${goal} · ${met === null ? html`<span class="badge">no data</span>` : met ? html`<span class="badge ok">goal met</span>` : html`<span class="badge bad">goal missed</span>`}</div><p class="small muted note">${note}</p></div>`;
}

export function metricsBody(v: MetricsView): Html {
  const s = v.slo;
  const firing = v.alerts.filter((a) => a.firing);
  const opWord = { gt: '>', gte: '≥', lt: '<', lte: '≤' } as const;
  return html`<div class="page-head"><div><h1>Metrics</h1><p class="lede">Counted from the ledger itself, so they agree with what was recorded: ${WINDOWS[v.window].label}, ${plural(v.report.entries, 'entry')} over ${plural(v.report.tasks, 'task')}.</p></div>
<form class="toolbar" method="get" action="/metrics" data-autosubmit aria-label="Time window"><div class="field"><label for="m-window">Window</label><select id="m-window" name="window">${(Object.keys(WINDOWS) as WindowKey[]).map((k) => html`<option value="${k}"${k === v.window ? html` selected` : ''}>${WINDOWS[k].label}</option>`)}</select></div><noscript><button class="btn secondary">Show</button></noscript></form></div>
<section id="metrics" data-live aria-label="Figures">
<div class="section"><div class="section-head"><h2>Service levels</h2></div>
<div class="grid grid-3">
  ${sloCard('Task success rate', percent(s.taskSuccessRate.value), s.taskSuccessRate.met, `goal ≥ ${percent(s.taskSuccessRate.goal, 0)}`, `${s.taskSuccessRate.done} done, ${s.taskSuccessRate.aborted} aborted, ${s.taskSuccessRate.stuck} stuck${s.taskSuccessRate.stuckTasks.length ? ` (${s.taskSuccessRate.stuckTasks.join(', ')})` : ''}`)}
  ${sloCard('Loop rate', percent(s.loopRate.value), s.loopRate.met, `goal ≤ ${percent(s.loopRate.goal, 0)}`, `${s.loopRate.looping} of ${plural(s.loopRate.tasks, 'task')} entered a phase more than ${plural(s.loopRate.threshold, 'time')}`)}
  ${sloCard('Tool MTTR', s.toolMttr.seconds === null ? '—' : `${s.toolMttr.seconds.toFixed(1)} s`, s.toolMttr.met, `goal ≤ ${s.toolMttr.goal} s`, `${s.toolMttr.incidents} denied-tool incidents, ${s.toolMttr.open} still open`)}
</div></div>
<div class="section"><div class="section-head"><div><h2>Alerts</h2><p>The rules of <code>alerts:</code> in the config, each over its own window, evaluated now.</p></div>${firing.length ? html`<span class="badge bad">${firing.length} firing</span>` : html`<span class="badge ok">none firing</span>`}</div>
<div class="card">${
    v.alerts.length
      ? html`<div class="table-wrap"><table class="data responsive"><thead><tr><th scope="col">Rule</th><th scope="col">Condition</th><th scope="col" class="num">Value</th><th scope="col">State</th></tr></thead><tbody>${v.alerts.map(
          (a) =>
            html`<tr><td class="primary" data-label="Rule"><strong>${a.name}</strong></td><td data-label="Condition"><code>${a.metric} ${opWord[a.op]} ${a.threshold}</code> <span class="muted small">over ${a.windowHours} h</span></td><td data-label="Value" class="num">${a.value === null ? '—' : Number.isInteger(a.value) ? a.value : a.value.toFixed(3)}</td><td data-label="State">${a.firing ? html`<span class="badge bad">firing</span>` : a.value === null ? html`<span class="badge">no data</span>` : html`<span class="badge ok">ok</span>`}</td></tr>`,
        )}</tbody></table></div>`
      : html`<div class="empty"><strong>No alert rules</strong>Add rules under <code>alerts:</code> in .autopilot/config.yaml, e.g. <code>{name: skips, metric: phase_skips_attempted, op: gt, threshold: 5}</code>.</div>`
  }</div></div>
<div class="section"><div class="section-head"><div><h2>Counters over time</h2><p>One bar per ${v.bucketMs >= 86_400_000 ? 'day' : v.bucketMs >= 6 * 3_600_000 ? '6 hours' : 'hour'}, oldest on the left.</p></div></div>
<div class="counter-grid">
  <div class="card counter"><div class="name">phase moves (forward and back)</div><div class="total">${v.moves.total}</div>${spark(v.moves, v)}</div>
  ${v.series.map((c) => html`<div class="card counter"><div class="name">${c.name}</div><div class="total">${c.total}</div>${spark(c, v)}</div>`)}
</div></div>
${
  v.report.breakdown.length
    ? html`<div class="section"><div class="section-head"><h2>Breakdown</h2></div><div class="card"><div class="table-wrap"><table class="data responsive"><thead><tr><th scope="col">Counter</th><th scope="col">Attributes</th><th scope="col" class="num">Count</th></tr></thead><tbody>${v.report.breakdown
        .slice(0, 30)
        .map(
          (p) =>
            html`<tr><td class="primary" data-label="Counter"><code>${p.name}</code></td><td data-label="Attributes" class="small">${Object.entries(
              p.attributes,
            )
              .filter(([, val]) => val)
              .map(([k, val]) => `${k}=${val}`)
              .join(' · ')}</td><td data-label="Count" class="num">${p.value}</td></tr>`,
        )}</tbody></table></div></div></div>`
    : ''
}
</section>`;
}
