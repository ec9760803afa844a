/** @module A task's page: its phase timeline, its trace graph with the selected node's entry, span and evidence, and its history. */
import { html, type Html } from './html.ts';
import { options, selectField } from './fields.ts';
import { clock, evidenceHref, formatDuration, prettyJson, shortHash, timeAge, timeAgo } from './format.ts';
import { graphSvg } from './graph-svg.ts';
import { flagBadges, statusBadge } from './tasks.ts';
import type { GraphFilter, GraphNode, PhaseVisit } from '../read/graph.ts';
import type { ArtifactInfo } from '../read/evidence.ts';
import type { TaskModel } from '../read/task-detail.ts';
import { describeEntry } from '../read/describe.ts';

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
    segs.push(
      html`<div class="seg ${outcome}" style="flex-grow:${grow.toFixed(2)}" title="${v.phase}: ${formatDuration(ms)} (${outcome})"><b>${v.phase}</b><span>${formatDuration(ms) || '0 s'}</span></div>`,
    );
    if (v.left === 'backtrack') segs.push(html`<span class="back" title="backtrack" aria-label="backtrack">↩</span>`);
  });
  const per = m.phases.map((p) => {
    const mine = spans.filter((s) => s.v.phase === p);
    return { phase: p, visits: mine.length, ms: mine.reduce((n, s) => n + s.ms, 0) };
  });
  const backs = m.entries
    .filter((x) => x.kind === 'backtrack')
    .map(
      (b) =>
        html`<li><span class="badge info">↩ backtrack</span> ${b.fromPhase} → ${b.toPhase}: ${String(b.data['reason'] ?? '')} <a href="${taskHref(m.task.taskId)}${query(m.filter, `e${b.seq}`)}#detail">entry ${b.seq}</a></li>`,
    );
  return html`<section class="section" id="timeline" data-live aria-labelledby="timeline-h">
  <div class="section-head"><div><h2 id="timeline-h">Phase timeline</h2><p>Each visit of a phase, in order; a hatched visit was sent back by a backtrack and its evidence archived.</p></div></div>
  <div class="card card-pad">
    <div class="phasebar" role="list" aria-label="Phase visits in order">${segs.map((s) => html`<div class="visit" role="listitem">${s}</div>`)}</div>
    ${backs.length ? html`<ul class="plain small backtracks">${backs}</ul>` : ''}
    <h3 class="sr-only">Time in each phase</h3>
    <dl class="phase-times">${per.map(
      (p) =>
        html`<div class="${p.visits ? '' : 'none'}"><dt>${p.phase}</dt><dd>${p.visits ? formatDuration(p.ms) || '0 s' : '—'} ${p.visits > 1 ? html`<span>· ${p.visits} visits</span>` : ''}</dd></div>`,
    )}</dl>
  </div>
</section>`;
}

function artifactList(list: readonly ArtifactInfo[]): Html {
  if (!list.length) return html`<p class="muted small">No artifacts on this entry.</p>`;
  return html`<ul class="plain artifacts">${list.map(
    (a) =>
      html`<li><a href="${evidenceHref(a.path)}">${a.staleRound !== null ? `.stale/${a.staleRound}/` : ''}${a.phase}/${a.name}</a> <span class="flags">${writtenBy(a)}<span class="badge ${a.state}">${stateWord(a.state)}</span></span></li>`,
  )}</ul>`;
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
  return html`<span class="badge ${role === 'person' ? 'ok' : ''}" data-written-by="${role}">${role}</span> <span class="small ${role === 'person' ? '' : 'mono'}">${who}</span>`;
}

const STATE_WORDS: Record<ArtifactInfo['state'], string> = {
  matches: 'matches ledger',
  changed: 'changed since recorded',
  edited: 'edited since added: recorded when the phase is passed',
  missing: 'missing',
  unrecorded: 'not in the ledger',
};

export function stateWord(s: ArtifactInfo['state']): string {
  return STATE_WORDS[s];
}

function detail(m: TaskModel): Html {
  const s = m.selected;
  if (!s) {
    return html`<div class="detail" id="detail" tabindex="-1"><p class="muted pick-hint">Select a node to see its ledger entry, its span and its evidence. Nodes are links: Tab moves through them, Enter opens one.</p></div>`;
  }
  const x = s.entry;
  const command =
    s.command !== undefined
      ? ((x.data['commands'] as unknown[] | undefined)?.[s.command] as Record<string, unknown> | undefined)
      : undefined;
  const title = s.node ? `${s.node.label}${s.node.sub ? ` · ${s.node.sub}` : ''}` : describeEntry(x);
  return html`<div class="detail" id="detail" tabindex="-1" aria-labelledby="detail-h">
  <h3 id="detail-h">${title} ${s.node ? html`<span class="badge ${s.node.outcome}">${s.node.outcome}</span>` : ''} <span class="muted small">ledger entry ${x.seq}</span></h3>
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
      <p class="small ledger-link"><a href="/ledger?task=${encodeURIComponent(taskId)}#entry-${x.seq}">Show in the ledger</a></p>
      ${more}`;
}

/** The span the move's telemetry wrote for the entry. */
function spanBlock(span: NonNullable<Selected['span']>): Html {
  const message = span.statusMessage ? html` <span class="small muted">${span.statusMessage}</span>` : '';
  const parent = span.parentSpanId ? html` <span class="faint">(parent ${span.parentSpanId})</span>` : '';
  return html`<dl class="kv">
        <dt>Name</dt><dd><code>${span.name}</code></dd>
        <dt>Status</dt><dd><span class="badge ${span.status === 'OK' ? 'ok' : 'bad'}">${span.status}</span>${message}</dd>
        <dt>Duration</dt><dd>${formatDuration(span.durationMs) || '0 ms'}</dd>
        <dt>Trace</dt><dd class="digest">${span.traceId}</dd>
        <dt>Span</dt><dd class="digest">${span.spanId}${parent}</dd>
      </dl>
      <h4 class="next">Attributes</h4>${prettyJson(span.attributes)}`;
}

const NO_SPAN = html`<p class="muted small">No span for this entry in <code>telemetry/traces.jsonl</code>: telemetry is written when the process that made the move flushes it, and entries made with telemetry off have none.</p>`;

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
  return html`<section class="section" id="graph" data-live aria-labelledby="graph-h">
  <div class="section-head"><div><h2 id="graph-h">Trace graph</h2><p>Phases left to right; under each, its gates, refusals, blocked tool calls and verify runs in order. Open a node for its entry, span and evidence.</p></div></div>
  <div class="card graph-card">
    <div class="graph-tools">
      <form class="toolbar" method="get" action="${taskHref(m.task.taskId)}" data-autosubmit aria-label="Filter the graph">
        ${selectField('g-show', 'Show', 'show', options(shows, m.filter.show ?? 'all'))}
        ${g.tools.length ? selectField('g-tool', 'Tool', 'tool', options(g.tools, m.filter.tool, 'Any tool')) : ''}
        <noscript><button class="btn secondary" type="submit">Apply</button></noscript>
      </form>
      <div class="legend" aria-label="Legend"><span><i class="passed"></i>passed</span><span><i class="refused"></i>refused</span><span><i class="stale"></i>stale</span><span><i class="current"></i>current</span><span><i class="pending"></i>waiting</span><span><i class="back"></i>backtrack</span></div>
    </div>
    <p class="graph-hint" aria-hidden="true">Scroll sideways for every phase →</p>
    <div class="graph-scroll" tabindex="0" role="region" aria-label="Trace graph, scrolls sideways">${graphSvg(g, { taskId: m.task.taskId, href, ...(m.selected ? { selected: m.selected.id } : {}) })}</div>
    ${detail(m)}
  </div>
</section>`;
}

/** An entry of the history, linked to its node in the graph when it has one, else to the ledger. */
function historyRow(m: TaskModel, x: TaskModel['entries'][number], nodeIds: ReadonlySet<string>): Html {
  const id = nodeIds.has(`e${x.seq}`) ? `e${x.seq}` : nodeIds.has(`p${x.seq}`) ? `p${x.seq}` : undefined;
  const link = id
    ? html`<a href="${taskHref(m.task.taskId)}${query(m.filter, id)}#detail" aria-label="entry ${x.seq} in the graph">#${x.seq}</a>`
    : html`<a href="/ledger?task=${encodeURIComponent(m.task.taskId)}#entry-${x.seq}" aria-label="entry ${x.seq} in the ledger">#${x.seq}</a>`;
  return html`<li class="k-${x.kind}"><span class="when">${clock(x.ts)}</span><span class="kind">${x.kind === 'backtrack' ? '↩ backtrack' : x.kind}</span><span class="text">${describeEntry(x)}</span><span class="seq">${link}</span></li>`;
}

function history(m: TaskModel): Html {
  const nodeIds = new Set(m.graph.nodes.map((n) => n.id));
  const rows = [...m.entries].reverse().slice(0, 300);
  return html`<section class="section" id="history" data-live aria-labelledby="history-h">
  <div class="section-head"><div><h2 id="history-h">History</h2><p>Every ledger entry of the task, newest first${m.entries.length > 300 ? ' (the newest 300)' : ''}.</p></div></div>
  <div class="card"><ol class="history" reversed>${rows.map((x) => historyRow(m, x, nodeIds))}</ol></div>
</section>`;
}

export function taskBody(m: TaskModel): Html {
  const t = m.task;
  const s = m.summary;
  const waiting = s.flags.approval === 'requested' || s.flags.approval === 'escalated';
  return html`<div class="page-head" id="task-head" data-live>
  <div>
    <div class="crumbs"><a href="/">Tasks</a> / ${t.taskId}</div>
    <div class="title-row"><h1>${t.taskId}${t.title ? html` <span class="muted title-note">· ${t.title}</span>` : ''}</h1>${statusBadge(t.status)}</div>
    <dl class="meta">
      <div><dt>Phase</dt><dd><span class="badge phase" data-testid="task-phase">${t.phase}</span></dd></div>
      <div><dt>Holder</dt><dd>${s.holder ? html`<span class="mono small">${s.holder}</span>` : html`<span class="faint">free</span>`}</dd></div>
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
${waivers(m)}
${reviewSection(m)}
${timeline(m)}
${graphSection(m)}
${history(m)}`;
}

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
  return html`<section class="section" id="waivers" aria-labelledby="waivers-h">
  <div class="section-head"><div><h2 id="waivers-h">Waivers</h2><p>Checks the config leaves unconfigured on purpose, that moves of this task relied on.</p></div></div>
  <div class="card"><ul class="reasons" data-testid="waivers">${rows.map((r) => html`<li><span class="badge warn">${r.check}</span> <span class="small">${r.reason}</span> <span class="muted small">(${r.phase}, entry <a href="/ledger?task=${encodeURIComponent(m.task.taskId)}#entry-${r.seq}">#${r.seq}</a>)</span></li>`)}</ul></div>
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
