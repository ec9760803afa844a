/** @module The Ledger page: entries with their own verification state, and a button that verifies the whole ledger. */
import { concat, html, type Html } from './html.ts';
import { clock, shortHash } from './format.ts';
import { describeEntry } from '../read/describe.ts';
import type { LedgerPage } from '../read/ledger.ts';
import type { LedgerReport } from '../../../engine/ledger/verify.ts';
import { plural } from '../../../core/phrasing.ts';
import { dataTable } from './table.ts';

export interface LedgerModel {
  readonly page: LedgerPage;
  readonly task: string;
  /** Tasks the filter suggests before anything is typed (the most recently moved, `TASK_SUGGESTIONS` at most). */
  readonly tasks: readonly { readonly taskId: string; readonly title: string }[];
  /** The last full verification this server ran, if any. */
  readonly last: { readonly at: string; readonly report: LedgerReport } | undefined;
}

/** How many tasks the ledger's task filter suggests, before and while a task is typed. */
export const TASK_SUGGESTIONS = 20;

/** The task filter: a search field whose suggestions the page's script refills from the API as the person types. */
function taskFilter(m: LedgerModel): Html {
  const suggestions = m.tasks.map((t) => html`<option value="${t.taskId}">${t.title}</option>`);
  const input = html`<input id="l-task" type="search" name="task" value="${m.task}" list="l-task-options"
    placeholder="Every task" autocomplete="off" data-task-suggest="l-task-options" data-suggest-limit="${String(
      TASK_SUGGESTIONS,
    )}">`;
  return html`<div class="field"><label for="l-task">Task</label>${input}<datalist id="l-task-options">${suggestions}</datalist></div>`;
}

function verdict(last: LedgerModel['last']): Html {
  if (!last) return html`Not verified from this dashboard yet.`;
  const r = last.report;
  const at = last.at.slice(11, 19);
  const counts = `${plural(r.entries, 'entry')}, ${plural(r.artifacts, 'evidence digest')}, ${plural(r.tasks, 'task')}`;
  const problems = r.problems.map((p) => `${p.seq ? `entry ${p.seq}: ` : ''}${p.reason}`).join('; ');
  return r.ok
    ? html`✓ Verified at ${at} UTC: ${counts}.`
    : html`✗ ${r.problems.length} problem(s) at ${at} UTC: ${problems}`;
}

/** An entry with its own check: hash, signature and link to the entry before. */
function entryRow({ entry: x, check, problem }: LedgerPage['rows'][number]): Html {
  const task = x.taskId
    ? html`<a href="/tasks/${encodeURIComponent(x.taskId)}">${x.taskId}</a>`
    : html`<span class="faint">—</span>`;
  const verdict =
    check === 'ok'
      ? html`<span class="badge ok" title="hash, signature and link verified">verified</span>`
      : html`<span class="badge broken" title="${problem ?? ''}">broken</span>`;
  const hash = html`<span class="digest" title="${x.hash}">${shortHash(x.hash, 10)}</span>`;
  return html`<tr id="entry-${x.seq}">
        <td class="primary" data-label="#"><strong>${x.seq}</strong></td>
        <td data-label="Time" class="nowrap"><span>${x.ts.slice(0, 10)} ${clock(x.ts)}</span></td>
        <td data-label="Task">${task}</td>
        <td data-label="Kind"><code>${x.kind}</code></td>
        <td data-label="What" class="small">${describeEntry(x)}</td>
        <td data-label="Actor" class="small mono hide-narrow">${x.actor}</td>
        <td data-label="Hash" class="hide-narrow">${hash}</td>
        <td data-label="Check">${verdict}</td>
      </tr>`;
}

/** What the ledger page shows. */
const LEDGER_LEDE = concat(
  html`The append-only, hash-chained, signed record of every move and every refusal. `,
  html`Each row is checked on its own (hash, signature, link to the entry before); `,
  html`the button walks the whole chain and every evidence digest.`,
);

export function ledgerBody(m: LedgerModel): Html {
  const { page } = m;
  const base = m.task ? `/ledger?task=${encodeURIComponent(m.task)}&` : '/ledger?';
  const state = m.last ? (m.last.report.ok ? ' ok' : ' bad') : '';
  const digest = html`<span class="digest">${shortHash(page.head?.hash, 16)}</span>`;
  const head = html`Head: entry ${page.head?.seq ?? 0} · ${digest}`;
  const columns = ['#', 'Time (UTC)', 'Task', 'Kind', 'What', 'Actor', 'Hash', 'Check'];
  const empty = html`<div class="empty"><strong>No entries</strong>${[
    `The ledger is empty${m.task ? ' for this task' : ''}.`,
  ]}</div>`;
  const olderLink = html`<a class="btn secondary" href="${base}before=${page.older}">Older entries</a>`;
  const older = html`<p class="mt-12">${olderLink}</p>`;
  return html`<div class="page-head"><div><h1>Ledger</h1><p class="lede">${LEDGER_LEDE}</p></div>
<div class="card card-pad verify-card">
  <button class="btn" type="button" data-verify="verify-result">Verify the ledger</button>
  <p id="verify-result" class="status-msg${state}" role="status" aria-live="polite">${verdict(m.last)}</p>
</div></div>
<form class="toolbar" method="get" action="/ledger" data-autosubmit aria-label="Filter entries">
  ${taskFilter(m)}
  <button class="btn secondary" type="submit">Show</button>
  <span class="muted small">${head}</span>
</form>
<section class="section" id="ledger-rows" data-live aria-label="Entries">
<div class="card">${page.rows.length ? dataTable(columns, page.rows.map(entryRow)) : empty}</div>
${page.older !== null ? older : ''}
</section>`;
}
