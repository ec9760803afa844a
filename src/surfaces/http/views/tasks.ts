/** @module The Tasks page: every task with its phase, holder, age, last move and flags; filter and search. */
import { concat, html, type Html } from './html.ts';
import { options, selectField } from './fields.ts';
import { formatDuration, timeAge, timeAgo } from './format.ts';
import type { TaskList, TaskSummary } from '../read/tasks.ts';
import { pager } from './pager.ts';
import { dataTable } from './table.ts';

export interface TasksModel {
  /** The page's tasks. */
  readonly tasks: readonly TaskSummary[];
  readonly phases: readonly string[];
  readonly status: string;
  readonly q: string;
  /** Tasks matching the filter, tasks in all, and where the page starts among the matching ones. */
  readonly matching: number;
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly more: TaskList['more'];
  readonly nowMs: number;
  /** doctor's wall lines, one per client: behind the wall (ok), or without one (warn). */
  readonly wall?: readonly { readonly id: string; readonly status: string; readonly message: string }[];
}

const CLIENT_OF: Record<string, string> = {
  'wall.claude': 'Claude Code',
  'wall.codex': 'Codex',
  'wall.cursor': 'Cursor',
};

/** Where an agent's shell commands run without the wall, the page says so, as `autopilot doctor` does. */
function wallSection(lines: NonNullable<TasksModel['wall']>): Html | string {
  if (lines.length === 0) return '';
  const items = lines.map((l) => {
    const client = html`<strong>${CLIENT_OF[l.id] ?? l.id}</strong>`;
    return html`<li class="notice${l.status === 'ok' ? ' ok' : ''}" data-wall="${l.id}">${client}: ${l.message}</li>`;
  });
  return html`<section class="section" id="wall" aria-labelledby="wall-h">
  <div class="section-head"><h2 id="wall-h">The wall around the agents' commands</h2></div>
  <ul class="plain wall-lines">${items}</ul>
</section>`;
}

const STATUSES: readonly [string, string][] = [
  ['all', 'All'],
  ['active', 'Active'],
  ['waiting', 'Waiting for a person'],
  ['done', 'Done'],
  ['aborted', 'Aborted'],
];

export function pips(index: number, count: number, status: string): Html {
  const pip = (i: number) =>
    i < index || status === 'done' ? 'done' : i === index && status === 'active' ? 'now' : '';
  return html`<span class="pips" aria-hidden="true">${Array.from(
    { length: count },
    (_, i) => html`<i class="${pip(i)}"></i>`,
  )}</span>`;
}

export function statusBadge(status: string): Html {
  return html`<span class="badge ${status}">${status}</span>`;
}

export function flagBadges(t: TaskSummary): Html {
  const f = t.flags;
  const out: Html[] = [];
  if (f.approval === 'requested' || f.approval === 'escalated')
    out.push(
      html`<a class="badge warn" href="/approvals#task-${t.taskId}">${[
        f.approval === 'escalated' ? 'escalated' : 'needs approval',
      ]}</a>`,
    );
  if (f.approval === 'changes_requested') out.push(html`<span class="badge bad">changes requested</span>`);
  if (f.refusals > 0)
    out.push(html`<span class="badge bad" title="refused moves and tool calls">${f.refusals} refused</span>`);
  if (f.backtracks > 0)
    out.push(html`<span class="badge info">${f.backtracks} backtrack${f.backtracks === 1 ? '' : 's'}</span>`);
  if (f.drift > 0)
    out.push(html`<span class="badge warn" title="moves made with drifted instructions">drift ×${f.drift}</span>`);
  return out.length ? html`<span class="flags">${out}</span>` : html`<span class="faint">—</span>`;
}

/** A task's row: its id and title, status, phase, holder, age, last move and flags. */
function taskRow(t: TaskSummary, m: TasksModel): Html {
  const link = html`<a class="id" href="/tasks/${encodeURIComponent(t.taskId)}">${t.taskId}</a>`;
  const phase = html`<span class="badge phase">${t.phase}</span>${pips(t.phaseIndex, m.phases.length, t.status)}`;
  const holder = t.holder
    ? html`<span class="mono small" title="lease until ${t.leaseExpiresAt ?? ''}">${t.holder}</span>`
    : html`<span class="faint">free</span>`;
  const took = formatDuration(Date.parse(t.updatedAt) - Date.parse(t.startedAt)) || '0 s';
  const age =
    t.status === 'active'
      ? timeAge(t.startedAt, m.nowMs)
      : html`<span title="from start to ${t.status}">${took}</span>`;
  const when = (ts: string, n: number) => html`<div class="faint small">${timeAgo(ts, m.nowMs)} · entry ${n}</div>`;
  const last = t.lastMove
    ? html`<div><div class="small">${t.lastMove.text}</div>${when(t.lastMove.ts, t.lastMove.seq)}</div>`
    : '—';
  return html`<tr>
      <td class="primary" data-label="Task">${link}<div class="title">${t.title || 'untitled'}</div></td>
      <td data-label="Status">${statusBadge(t.status)}</td>
      <td data-label="Phase"><span class="nowrap">${phase}</span></td>
      <td data-label="Holder">${holder}</td>
      <td data-label="Age" class="nowrap">${age}</td>
      <td data-label="Last move">${last}</td>
      <td data-label="Flags">${flagBadges(t)}</td>
    </tr>`;
}

/** What the task list shows. */
const TASKS_LEDE = concat(
  html`Every task the agents carry through the process, `,
  html`with who holds it, what it last did and what went wrong on the way.`,
);

/** How to start a task, when there is none. */
const START_ONE = concat(
  html`Start one with <code>autopilot task start T-1 --title "…"</code>, `,
  html`or let an agent start one through MCP.`,
);

export function tasksBody(m: TasksModel): Html {
  const rows = m.tasks.map((t) => taskRow(t, m));
  const search = html`<input id="f-q" type="search" name="q" value="${m.q}" placeholder="T-12, login redirect…">`;
  const count =
    m.matching === m.total ? `${m.total} task${m.total === 1 ? '' : 's'}` : `${m.matching} of ${m.total} tasks`;
  const empty = html`<div class="empty"><strong>${m.total ? 'No task matches' : 'No tasks yet'}</strong>${
    m.total ? 'Change the filter or the search.' : START_ONE
  }</div>`;
  return html`<div class="page-head"><div><h1>Tasks</h1><p class="lede">${TASKS_LEDE}</p></div></div>
<form class="toolbar card card-pad" method="get" action="/" role="search" aria-label="Filter tasks" data-autosubmit>
  ${selectField('f-status', 'Status', 'status', options(STATUSES, m.status))}
  <div class="field grow"><label for="f-q">Search by id or title</label>${search}</div>
  <button class="btn secondary" type="submit">Filter</button>
</form>
${wallSection(m.wall ?? [])}
<section class="section" id="task-list" data-live aria-labelledby="task-list-h">
  <div class="section-head"><h2 id="task-list-h">${count}</h2></div>
  <div class="card">${
    m.tasks.length ? dataTable(['Task', 'Status', 'Phase', 'Holder', 'Age', 'Last move', 'Flags'], rows) : empty
  }</div>
  ${pager(m, { path: '/', params: { status: m.status, q: m.q }, label: 'Pages of the task list', byOffset: m.status === 'waiting' })}
</section>`;
}
