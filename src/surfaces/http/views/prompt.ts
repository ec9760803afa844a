/** @module The task page's prompt section: for each phase visit, the prompt it ran with and, when it still matches, its text. */
import { html, type Html } from './html.ts';
import { entryHref, sectionHead } from './partials.ts';
import { shortHash } from './format.ts';
import type { TaskModel } from '../read/task-detail.ts';
import type { PromptVisitView } from '../read/prompt.ts';

const ABOUT = html`What the agent was told in each visit of a phase, as the move that entered it recorded it: the persona, its variant, the overlays and the compiled prompt's digest. The text opens only while the stored copy still hashes to that digest.`;

function textOf(taskId: string, p: PromptVisitView): Html {
  const t = p.text;
  if (t.state === 'matches')
    return html`<details class="prompt-text" data-testid="prompt-text"><summary class="small">Prompt text</summary><pre class="json prompt-text">${t.text}</pre></details>`;
  const why =
    t.state === 'missing'
      ? 'The prompt text is not available: this state folder holds no copy of it (it is kept only where the move ran).'
      : `The stored prompt text does not match the ledger (it hashes to ${shortHash(t.sha256)}), so it is not shown; the ledger's digest stands.`;
  return html`<p class="small muted" data-testid="prompt-unavailable" data-state="${t.state}">${why} <a href="${entryHref(taskId, p.seq)}">Entry #${p.seq}</a>.</p>`;
}

function visitItem(taskId: string, p: PromptVisitView): Html {
  const variant = p.variant
    ? html` <span class="badge info" data-testid="prompt-variant">variant ${p.variant}</span>`
    : '';
  const stale = p.stale ? html` <span class="badge">stale visit</span>` : '';
  const overlays = p.overlays.length
    ? html`<span class="small"> · overlays <span class="mono">${p.overlays.join(', ')}</span></span>`
    : '';
  const tokens = p.tokens !== null ? html`<span class="small muted"> · ${p.tokens} tokens</span>` : '';
  const text =
    p.textSha256 !== p.sha256
      ? html` · text <span class="mono" title="${p.textSha256}">${shortHash(p.textSha256)}</span>`
      : '';
  return html`<li class="card-pad" data-testid="prompt-visit" data-phase="${p.phase}" data-seq="${p.seq}">
  <p><strong>${p.phase}</strong>${stale} · persona <span class="mono" data-testid="prompt-persona">${p.persona.id}@${p.persona.version}</span>${variant}${overlays}${tokens}</p>
  <p class="small muted">prompt <span class="mono" data-testid="prompt-digest" title="${p.sha256}">${shortHash(p.sha256)}</span>${text} · persona digest <span class="mono" title="${p.persona.sha256}">${shortHash(p.persona.sha256)}</span> · entered by <a href="${entryHref(taskId, p.seq)}">entry #${p.seq}</a></p>
  ${textOf(taskId, p)}
</li>`;
}

/** The section, or nothing before a move of the task recorded a prompt. */
export function promptSection(m: TaskModel): Html | string {
  const list = m.prompts;
  if (!list) return '';
  return html`<section class="section" id="prompt" aria-labelledby="prompt-h">
  ${sectionHead('prompt-h', 'Prompt', ABOUT)}
  <div class="card" data-testid="prompts"><ul class="plain">${list.map((p) => visitItem(m.task.taskId, p))}</ul></div>
</section>`;
}
