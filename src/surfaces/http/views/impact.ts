/** @module The task page's impact section: the groundedness of the planning evidence, and the tests that reach the change. */
import { html, type Html } from './html.ts';
import { entryHref, sectionHead, stateWord } from './partials.ts';
import { dataTable } from './table.ts';
import { shortHash } from './format.ts';
import { plural } from '../../../core/phrasing.ts';
import type { TaskModel } from '../read/task-detail.ts';
import type { ImpactView, ImpactTestView } from '../read/impact.ts';

const ABOUT = html`How well the spec and plan are grounded in the code (the share of their citations of files and symbols that resolve), and the tests that reach the change through imports, from VERIFY's impact.json.`;

/** Whether a test that reaches the change ran: a test left out is what a reviewer looks at first. */
const RUN_BADGE: Record<string, string> = { ran: 'ok', skipped: 'warn', 'not-run': 'bad', unknown: '' };

function groundingCard(taskId: string, g: NonNullable<ImpactView['grounding']>): Html {
  const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;
  const score =
    g.score === null
      ? html`<span class="badge" data-testid="groundedness">nothing cited</span>`
      : html`<span class="badge ${g.score >= g.goal ? 'ok' : 'warn'}" data-testid="groundedness">${pct(g.score)}</span>`;
  const reach =
    g.reachable === null
      ? 'no entry point cited'
      : g.reachable
        ? 'every planned file is reachable from the spec’s entry points'
        : 'some planned files are not reachable from the spec’s entry points';
  const missing = g.missing ? html`, <strong>${plural(g.missing, 'cited file')} missing</strong>` : '';
  return html`<div class="card-pad"><p>Groundedness ${score} <span class="muted small">(target ${pct(g.goal)}; ${g.resolved} of ${plural(g.citations, 'citation')} resolve${missing}; ${reach}; recorded leaving ${g.phase}, entry <a href="${entryHref(taskId, g.seq)}">#${g.seq}</a>)</span></p></div>`;
}

function testRow(t: ImpactTestView): Html {
  return html`<tr>${[
    html`<td data-label="Test file" class="mono small">${t.path}</td>`,
    html`<td data-label="Reaches the change" class="small">${t.via ? html`through <span class="mono">${t.via}</span>` : 'directly'} (depth ${t.depth})</td>`,
    html`<td data-label="Ran"><span class="badge ${RUN_BADGE[t.run] ?? ''}" data-run="${t.run}">${t.run}</span>${t.cases ? html` <span class="muted small">${plural(t.cases, 'case')}</span>` : ''}</td>`,
  ]}</tr>`;
}

function verifyCard(v: NonNullable<ImpactView['verify']>): Html {
  const state = v.state === 'matches' ? '' : html` <span class="badge ${v.state}">${stateWord(v.state)}</span>`;
  if (v.note) return html`<p class="muted small card-pad">VERIFY recorded no impact: ${v.note}.${state}</p>`;
  const head = html`<p class="small card-pad">VERIFY: ${plural(v.changed, 'changed file')} in the atlas reach ${plural(v.reached, 'file')}; ${plural(v.tests.length, 'test file')} among them.${v.manifestDigest ? html` <span class="muted">Atlas manifest <span class="mono">${shortHash(v.manifestDigest)}</span>.</span>` : ''}${state}</p>`;
  const tests = v.tests.length
    ? dataTable(['Test file', 'Reaches the change', 'Ran'], v.tests.map(testRow))
    : html`<p class="muted small card-pad">No test file reaches the change through imports.</p>`;
  return html`${head}${tests}`;
}

/** The section, or nothing before the task has a grounding or a VERIFY impact. */
export function impactSection(m: TaskModel): Html | string {
  const i = m.impact;
  if (!i) return '';
  return html`<section class="section" id="impact" aria-labelledby="impact-h">
  ${sectionHead('impact-h', 'Impact and grounding', ABOUT)}
  <div class="card" data-testid="impact">${i.grounding ? groundingCard(m.task.taskId, i.grounding) : ''}${i.verify ? verifyCard(i.verify) : ''}</div>
</section>`;
}
