/**
 * @module A task's page: its phase timeline, its trace graph with the selected node's entry, span and evidence, and its
 * history.
 */
import { concat, html, type Html } from './html.ts';
import { entryHref, sectionHead, stateWord } from './partials.ts';
import { options, selectField } from './fields.ts';
import { clock, evidenceHref, formatDuration, prettyJson, shortHash, timeAge, timeAgo } from './format.ts';
import { graphSvg } from './graph-svg.ts';
import { flagBadges, statusBadge } from './tasks.ts';
import type { GraphFilter, GraphNode, PhaseVisit } from '../read/graph.ts';
import type { ArtifactInfo } from '../read/evidence.ts';
import type { TaskModel } from '../read/task-detail.ts';
import { describeEntry } from '../read/describe.ts';
import { impactSection } from './impact.ts';
import { promptSection } from './prompt.ts';
import { supplySection } from './supply.ts';

const taskHref = (taskId: string) => `/tasks/${encodeURIComponent(taskId)}`;

function query(filter: GraphFilter, node?: string): string {
  const p = new URLSearchParams();
  if (filter.show && filter.show !== 'all') p.set('show', filter.show);
  if (filter.tool) p.set('tool', filter.tool);
  if (node) p.set('node', node);
  const s = p.toString();
  return s ? `?${s}` : '';
}

function visitOutcome(v: PhaseVisit, last: boolean, task: TaskModel['task']): string {
  if (v.stale) return 'stale';
  if (v.left === 'aborted') return 'refused';
  if (v.left === null && last && task.status === 'active') return 'current';
  return 'passed';
}

function timeline(m: TaskModel): Html {
  const now = m.nowMs;
  const spans = m.visits.map((v) => ({
    v,
    ms: Math.max(0, (v.leftAt ? Date.parse(v.leftAt) : now) - Date.parse(v.enteredAt)),
  }));
  const total = spans.reduce((n, s) => n + s.ms, 0) || 1;
  const segs: Html[] = [];
  spans.forEach(({ v, ms }, i) => {
    const outcome = visitOutcome(v, i === spans.length - 1, m.task);
    const grow = Math.max(0.6, (ms / total) * 10);
    // The one style attribute left: a segment's width is the visit's share of the task's time, a value, not a class.
    const title = `${v.phase}: ${formatDuration(ms)} (${outcome})`;
    const label = html`<b>${v.phase}</b><span>${formatDuration(ms) || '0 s'}</span>`;
    segs.push(html`<div class="seg ${outcome}" style="flex-grow:${grow.toFixed(2)}" title="${title}">${label}</div>`);
    if (v.left === 'backtrack') segs.push(html`<span class="back" title="backtrack" aria-label="backtrack">↩</span>`);
  });
  const per = m.phases.map((p) => {
    const mine = spans.filter((s) => s.v.phase === p);
    return { phase: p, visits: mine.length, ms: mine.reduce((n, s) => n + s.ms, 0) };
  });
  const backs = m.entries
    .filter((x) => x.kind === 'backtrack')
    .map((b) => {
      const link = html`<a href="${taskHref(m.task.taskId)}${query(m.filter, `e${b.seq}`)}#detail">entry ${b.seq}</a>`;
      const move = `${b.fromPhase} → ${b.toPhase}: ${String(b.data['reason'] ?? '')}`;
      return html`<li><span class="badge info">↩ backtrack</span> ${move} ${link}</li>`;
    });
  const visits = segs.map((seg) => html`<div class="visit" role="listitem">${seg}</div>`);
  const times = per.map((p) => {
    const more = p.visits > 1 ? html`<span>· ${p.visits} visits</span>` : '';
    const time = p.visits ? formatDuration(p.ms) || '0 s' : '—';
    return html`<div class="${p.visits ? '' : 'none'}"><dt>${p.phase}</dt><dd>${time} ${more}</dd></div>`;
  });
  const about = sectionHead(
    'timeline-h',
    'Phase timeline',
    html`Each visit of a phase, in order; a hatched visit was sent back by a backtrack and its evidence archived.`,
  );
  return html`<section class="section" id="timeline" data-live aria-labelledby="timeline-h">
  ${about}
  <div class="card card-pad">
    <div class="phasebar" role="list" aria-label="Phase visits in order">${visits}</div>
    ${backs.length ? html`<ul class="plain small backtracks">${backs}</ul>` : ''}
    <h3 class="sr-only">Time in each phase</h3>
    <dl class="phase-times">${times}</dl>
  </div>
</section>`;
}

function artifactList(list: readonly ArtifactInfo[]): Html {
  if (!list.length) return html`<p class="muted small">No artifacts on this entry.</p>`;
  const item = (a: ArtifactInfo) => {
    const name = `${a.staleRound !== null ? `.stale/${a.staleRound}/` : ''}${a.phase}/${a.name}`;
    const state = html`<span class="badge ${a.state}">${stateWord(a.state)}</span>`;
    return html`<li><a href="${evidenceHref(a.path)}">${name}</a> <span class="flags">${writtenBy(a)}${state}</span></li>`;
  };
  return html`<ul class="plain artifacts">${list.map(item)}</ul>`;
}

/**
 * Who wrote an artifact, as its ledger entry says: Autopilot, a person (by the name their passkey was registered
 * under), a reviewer session or a working agent (by their hand).
 */
export function writtenBy(a: Pick<ArtifactInfo, 'producer' | 'by'>): Html {
  if (a.producer === 'autopilot') return html`<span class="badge info" data-written-by="autopilot">autopilot</span>`;
  if (!a.by) return html`<span class="badge" data-written-by="unrecorded">unrecorded</span>`;
  const role = a.by.role ?? 'agent';
  const who = role === 'person' ? a.by.hand.replace(/^person:/, '') : a.by.hand;
  const badge = html`<span class="badge ${role === 'person' ? 'ok' : ''}" data-written-by="${role}">${role}</span>`;
  return html`${badge} <span class="small ${role === 'person' ? '' : 'mono'}">${who}</span>`;
}

// What an artifact's state against the ledger reads as: shared with the pages that list artifacts.
export { stateWord };

function detail(m: TaskModel): Html {
  const s = m.selected;
  if (!s) {
    const hint = concat(
      html`Select a node to see its ledger entry, its span and its evidence. `,
      html`Nodes are links: Tab moves through them, Enter opens one.`,
    );
    return html`<div class="detail" id="detail" tabindex="-1"><p class="muted pick-hint">${hint}</p></div>`;
  }
  const x = s.entry;
  const command =
    s.command !== undefined
      ? ((x.data['commands'] as unknown[] | undefined)?.[s.command] as Record<string, unknown> | undefined)
      : undefined;
  const title = s.node ? `${s.node.label}${s.node.sub ? ` · ${s.node.sub}` : ''}` : describeEntry(x);
  const outcome = s.node ? html`<span class="badge ${s.node.outcome}">${s.node.outcome}</span>` : '';
  return html`<div class="detail" id="detail" tabindex="-1" aria-labelledby="detail-h">
  <h3 id="detail-h">${title} ${outcome} <span class="muted small">ledger entry ${x.seq}</span></h3>
  <div class="cols">
    <div>
      ${entryBlock(m.task.taskId, x, command)}
      <h4 class="next">Evidence</h4>
      ${artifactList(s.artifacts)}
    </div>
    <div>
      <h4>Span</h4>
      ${s.span ? spanBlock(s.span) : NO_SPAN}
    </div>
  </div>
</div>`;
}

type Selected = NonNullable<TaskModel['selected']>;

/** The selected node's ledger entry: its facts, a link to it in the ledger, and its command or its data. */
function entryBlock(taskId: string, x: Selected['entry'], command: Record<string, unknown> | undefined): Html {
  const phases =
    x.fromPhase || x.toPhase ? html`<dt>Phases</dt><dd>${x.fromPhase ?? '—'} → ${x.toPhase ?? '—'}</dd>` : '';
  const more = command
    ? html`<h4 class="next">Command</h4>${prettyJson(command)}`
    : html`<details><summary class="small">Entry data</summary>${prettyJson(x.data)}</details>`;
  return html`<h4>Ledger entry</h4>
      <dl class="kv">
        <dt>Kind</dt><dd><code>${x.kind}</code></dd>
        <dt>What</dt><dd>${describeEntry(x)}</dd>
        <dt>When</dt><dd>${x.ts.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</dd>
        <dt>Actor</dt><dd><code>${x.actor}</code></dd>
        ${phases}
        <dt>Hash</dt><dd class="digest" title="${x.hash}">${shortHash(x.hash, 24)}…</dd>
        <dt>Signed by</dt><dd class="digest">${x.keyId}</dd>
      </dl>
      <p class="small ledger-link"><a href="${entryHref(taskId, x.seq)}">Show in the ledger</a></p>
      ${more}`;
}

/** The span the move's telemetry wrote for the entry. */
function spanBlock(span: NonNullable<Selected['span']>): Html {
  const message = span.statusMessage ? html` <span class="small muted">${span.statusMessage}</span>` : '';
  const status = html`<span class="badge ${span.status === 'OK' ? 'ok' : 'bad'}">${span.status}</span>`;
  const parent = span.parentSpanId ? html` <span class="faint">(parent ${span.parentSpanId})</span>` : '';
  return html`<dl class="kv">
        <dt>Name</dt><dd><code>${span.name}</code></dd>
        <dt>Status</dt><dd>${status}${message}</dd>
        <dt>Duration</dt><dd>${formatDuration(span.durationMs) || '0 ms'}</dd>
        <dt>Trace</dt><dd class="digest">${span.traceId}</dd>
        <dt>Span</dt><dd class="digest">${span.spanId}${parent}</dd>
      </dl>
      <h4 class="next">Attributes</h4>${prettyJson(span.attributes)}`;
}

const NO_SPAN = html`<p class="muted small">${concat(
  html`No span for this entry in <code>telemetry/traces.jsonl</code>: `,
  html`telemetry is written when the process that made the move flushes it, `,
  html`and entries made with telemetry off have none.`,
)}</p>`;

/** The graph's legend: a swatch for each kind of node, and the backtrack mark. */
const LEGEND = html`<div class="legend" aria-label="Legend">${[
  ['passed', 'passed'],
  ['refused', 'refused'],
  ['stale', 'stale'],
  ['current', 'current'],
  ['pending', 'waiting'],
  ['back', 'backtrack'],
].map(([cls, label]) => html`<span><i class="${cls}"></i>${label}</span>`)}</div>`;

/** What the trace graph shows. */
const GRAPH_ABOUT = concat(
  html`Phases left to right; under each, its gates, refusals, blocked tool calls and verify runs in order. `,
  html`Open a node for its entry, span and evidence.`,
);

function graphSection(m: TaskModel): Html {
  const g = m.graph;
  const href = (n: GraphNode) => `${taskHref(m.task.taskId)}${query(m.filter, n.id)}#detail`;
  const shows: [string, string][] = [
    ['all', 'Everything'],
    ['gates', 'Gates and approvals'],
    ['tools', 'Tool calls'],
    ['verify', 'Verify commands'],
    ['refusals', 'Refusals only'],
  ];
  const action = taskHref(m.task.taskId);
  const svg = graphSvg(g, { taskId: m.task.taskId, href, ...(m.selected ? { selected: m.selected.id } : {}) });
  const tool = g.tools.length ? selectField('g-tool', 'Tool', 'tool', options(g.tools, m.filter.tool, 'Any tool')) : '';
  return html`<section class="section" id="graph" data-live aria-labelledby="graph-h">
  ${sectionHead('graph-h', 'Trace graph', GRAPH_ABOUT)}
  <div class="card graph-card">
    <div class="graph-tools">
      <form class="toolbar" method="get" action="${action}" data-autosubmit aria-label="Filter the graph">
        ${selectField('g-show', 'Show', 'show', options(shows, m.filter.show ?? 'all'))}
        ${tool}
        <noscript><button class="btn secondary" type="submit">Apply</button></noscript>
      </form>
      ${LEGEND}
    </div>
    <p class="graph-hint" aria-hidden="true">Scroll sideways for every phase →</p>
    <div class="graph-scroll" tabindex="0" role="region" aria-label="Trace graph, scrolls sideways">${svg}</div>
    ${detail(m)}
  </div>
</section>`;
}

/** An entry of the history, linked to its node in the graph when it has one, else to the ledger. */
function historyRow(m: TaskModel, x: TaskModel['entries'][number], nodeIds: ReadonlySet<string>): Html {
  const id = nodeIds.has(`e${x.seq}`) ? `e${x.seq}` : nodeIds.has(`p${x.seq}`) ? `p${x.seq}` : undefined;
  const [href, where] = id
    ? [`${taskHref(m.task.taskId)}${query(m.filter, id)}#detail`, 'graph']
    : [entryHref(m.task.taskId, x.seq), 'ledger'];
  const link = html`<a href="${href}" aria-label="entry ${x.seq} in the ${where}">#${x.seq}</a>`;
  const kind = x.kind === 'backtrack' ? '↩ backtrack' : x.kind;
  return html`<li class="k-${x.kind}">${concat(
    html`<span class="when">${clock(x.ts)}</span><span class="kind">${kind}</span>`,
    html`<span class="text">${describeEntry(x)}</span><span class="seq">${link}</span>`,
  )}</li>`;
}

function history(m: TaskModel): Html {
  const nodeIds = new Set(m.graph.nodes.map((n) => n.id));
  const rows = [...m.entries].reverse().slice(0, 300);
  const about = html`Every ledger entry of the task, newest first${m.entries.length > 300 ? ' (the newest 300)' : ''}.`;
  return html`<section class="section" id="history" data-live aria-labelledby="history-h">
  ${sectionHead('history-h', 'History', about)}
  <div class="card"><ol class="history" reversed>${rows.map((x) => historyRow(m, x, nodeIds))}</ol></div>
</section>`;
}

export function taskBody(m: TaskModel): Html {
  const t = m.task;
  const s = m.summary;
  const waiting = s.flags.approval === 'requested' || s.flags.approval === 'escalated';
  const title = t.title ? html` <span class="muted title-note">· ${t.title}</span>` : '';
  const holder = s.holder ? html`<span class="mono small">${s.holder}</span>` : html`<span class="faint">free</span>`;
  return html`<div class="page-head" id="task-head" data-live>
  <div>
    <div class="crumbs"><a href="/">Tasks</a> / ${t.taskId}</div>
    <div class="title-row"><h1>${t.taskId}${title}</h1>${statusBadge(t.status)}</div>
    <dl class="meta">
      <div><dt>Phase</dt><dd><span class="badge phase" data-testid="task-phase">${t.phase}</span></dd></div>
      <div><dt>Holder</dt><dd>${holder}</dd></div>
      <div><dt>Started</dt><dd>${timeAgo(t.startedAt, m.nowMs)}</dd></div>
      <div><dt>In this phase</dt><dd>${t.status === 'active' ? timeAge(t.phaseEnteredAt, m.nowMs) : '—'}</dd></div>
      <div><dt>Entries</dt><dd>${m.entries.length}</dd></div>
      <div><dt>Flags</dt><dd>${flagBadges(s)}</dd></div>
    </dl>
  </div>
  <div class="toolbar">
    ${waiting ? html`<a class="btn" href="/approvals#task-${t.taskId}">Decide on the approval</a>` : ''}
    <a class="btn secondary" href="/evidence/${encodeURIComponent(t.taskId)}">Evidence</a>
    <a class="btn secondary" href="/ledger?task=${encodeURIComponent(t.taskId)}">Ledger</a>
  </div>
</div>
${proposalNotice(m)}
${waivers(m)}
${reviewSection(m)}
${impactSection(m)}
${supplySection(m)}
${promptSection(m)}
${timeline(m)}
${graphSection(m)}
${history(m)}`;
}

/**
 * The backtrack Autopilot proposes while a person has not decided on it (an unhealthy MONITOR): the request that
 * waits carries the proposal's entry, and the decision is made on the approvals page.
 */
function proposalNotice(m: TaskModel): Html | string {
  const waiting = m.summary.flags.approval === 'requested' || m.summary.flags.approval === 'escalated';
  const request = m.entries.findLast((x) => x.kind === 'approval' && x.data['action'] === 'requested');
  if (!waiting || typeof request?.data['proposal'] !== 'number') return '';
  const to = String(request.data['backtrackTo'] ?? '');
  return html`<p class="notice" id="backtrack-proposal">
  Autopilot proposes to send ${m.task.taskId} back to <strong>${to}</strong> (entry ${request.data['proposal']}):
  ${String(request.data['reason'] ?? '')}. A person decides:
  <a href="/approvals#task-${m.task.taskId}">request changes to ${to}</a> to send it back, or approve to keep it in
  ${m.task.phase}.
</p>`;
}

/** What the waivers section lists. */
const WAIVERS_ABOUT = html`Checks the config leaves unconfigured on purpose, that moves of this task relied on.`;

/** The waived checks the task's moves relied on, each with the config's reason and the entry that recorded it. */
function waivers(m: TaskModel): Html | string {
  const rows = m.entries.flatMap((x) =>
    (x.kind === 'transition' || x.kind === 'verify') && Array.isArray(x.data['waivers'])
      ? (x.data['waivers'] as { check?: unknown; reason?: unknown }[]).map((w) => ({
          seq: x.seq,
          phase: x.fromPhase ?? '',
          check: String(w.check ?? ''),
          reason: String(w.reason ?? ''),
        }))
      : [],
  );
  if (rows.length === 0) return '';
  const waiverRow = (r: (typeof rows)[number]) => {
    const link = html`<a href="${entryHref(m.task.taskId, r.seq)}">#${r.seq}</a>`;
    const entry = html`<span class="muted small">(${r.phase}, entry ${link})</span>`;
    return html`<li><span class="badge warn">${r.check}</span> <span class="small">${r.reason}</span> ${entry}</li>`;
  };
  return html`<section class="section" id="waivers" aria-labelledby="waivers-h">
  ${sectionHead('waivers-h', 'Waivers', WAIVERS_ABOUT)}
  <div class="card"><ul class="reasons" data-testid="waivers">${rows.map(waiverRow)}</ul></div>
</section>`;
}

/**
 * A person's review of a task in the review phase: the rubric's dimensions, each passed with notes, and a note for
 * the agent, signed with the person's passkey. The rubric recorded so far is shown with the hand that wrote it.
 */
function reviewSection(m: TaskModel): Html | string {
  const r = m.review;
  if (!r) return '';
  const id = m.task.taskId;
  const current = r.current
    ? html`<p class="small" data-testid="review-current">${r.artifact} is recorded (entry ${r.current.seq}), written by ${writtenBy(r.current)}</p>`
    : html`<p class="small muted" data-testid="review-current">No ${r.artifact} is recorded yet.</p>`;
  const rule =
    r.by === 'person'
      ? 'The config (review.by: person) wants a person to review this task.'
      : 'The config (review.by: either) takes a reviewer session or a person.';
  const dims = r.dimensions.map(
    (d) => html`<fieldset class="field review-dim">
        <legend>${d}</legend>
        <label class="check"><input type="checkbox" id="rv-pass-${d}" name="pass" value="${d}"> passes</label>
        <label for="rv-notes-${d}">What you checked</label>
        <textarea id="rv-notes-${d}" name="notes" data-dimension="${d}" required></textarea>
      </fieldset>`,
  );
  return html`<section class="section" id="review" aria-labelledby="review-h">
  <div class="section-head"><div><h2 id="review-h">Review</h2><p>${rule} Your rubric is written as ${r.artifact} under your name, signed with your passkey; the agent then advances.</p></div></div>
  <div class="card card-pad">
    ${current}
    <form class="decide review-form" data-review="${id}" aria-label="Review ${id}" novalidate>
      ${dims}
      <div class="field"><label for="rv-reason">Your note for the agent (required)</label><textarea id="rv-reason" name="reason" required placeholder="What you reviewed, in a sentence"></textarea></div>
      <div class="row"><button class="btn ok" type="submit">Sign the review</button></div>
      <p class="status-msg" role="status" aria-live="polite"></p>
    </form>
    <p class="small muted" data-passkey-state></p>
  </div>
</section>`;
}
