/** @module The approval panel: tasks waiting for a person, with risk, diff and evidence, and the four decisions. */
import type { LedgerEntry } from '../../../core/ledger.ts';
import { concat, html, type Html } from './html.ts';
import { evidenceHref, timeAgo } from './format.ts';
import { stateWord } from './task.ts';
import { describeEntry } from '../read/describe.ts';
import type { ContractWaiting, GateInputsWaiting, WaitingApproval } from '../read/approvals.ts';
import { plural } from '../../../core/phrasing.ts';

export interface ApprovalsModel {
  readonly waiting: readonly WaitingApproval[];
  /** Tasks whose config changed since they adopted their contract: a person adopts the new one, or it is restored. */
  readonly contracts: readonly ContractWaiting[];
  /** Tasks that change the gate's own workflow: the CI gate fails their branch until a person allows the change. */
  readonly gateInputs: readonly GateInputsWaiting[];
  readonly recent: readonly LedgerEntry[];
  /** Names of the people with a registered passkey. */
  readonly people: readonly string[];
  readonly nowMs: number;
}

const taskLink = (id: string) => html`<a href="/tasks/${encodeURIComponent(id)}">${id}</a>`;

/** A card's heading: the task, its title, and the line under it. */
function cardTitle(headingId: string, id: string, title: string, under: Html): Html {
  return html`<div>
      <h2 id="${headingId}">${taskLink(id)} <span class="muted title-note">· ${title || 'untitled'}</span></h2>
      <p class="muted small asked">${under}</p>
    </div>`;
}

/** A required note, its label and placeholder: the reason every decision carries. */
function noteField(fieldId: string, label: Html, placeholder: Html): Html {
  const area = html`<textarea id="${fieldId}" name="reason" required placeholder="${placeholder}"></textarea>`;
  return html`<div class="field"><label for="${fieldId}">${label}</label>${area}</div>`;
}

/** The placeholder of a decision's note. */
const WHAT_CHECKED = html`What you checked, or what must change`;

/** A decision's submit button. */
function decisionButton(cls: string, value: string, label: string): Html {
  return html`<button class="btn ${cls}" type="submit" name="decision" value="${value}">${label}</button>`;
}

const riskBadge = (level: string) => (level === 'high' ? 'bad' : level === 'medium' ? 'warn' : '');

function waitingFlags(w: WaitingApproval): Html {
  const risk = w.risk.level ? html`<span class="badge ${riskBadge(w.risk.level)}">${w.risk.level} risk</span>` : '';
  const state = html`<span class="badge ${w.state}">${w.state === 'escalated' ? 'escalated' : 'waiting'}</span>`;
  return html`<div class="flags">${risk}${state}</div>`;
}

function askedLine(w: WaitingApproval, nowMs: number): Html {
  const to = w.to ? html`, wants to enter <strong>${w.to}</strong>` : '';
  const by =
    w.request.data['by'] === 'agent' ? 'the agent' : w.proposal !== null ? 'Autopilot (backtrack proposal)' : 'policy';
  const asked = html`asked ${timeAgo(w.request.ts, nowMs)} by ${by} (entry ${w.request.seq})`;
  return html`In <strong>${w.task.phase}</strong>${to} · ${asked}`;
}

/** Why a person is asked: an escalation, the agent's reason, the tool call, the risk's reasons. */
function whyAsked(w: WaitingApproval, nowMs: number): Html {
  const escalatedBy = String(w.latest.data['by'] ?? '').replace(/^person:/, '');
  const escalatedWhy = html`${timeAgo(w.latest.ts, nowMs)}: ${String(w.latest.data['reason'] ?? '')} (${escalatedBy})`;
  const escalated = w.state === 'escalated' ? html`<p class="notice">Escalated ${escalatedWhy}</p>` : '';
  const agentReason =
    w.proposal !== null
      ? html`<h3>Backtrack proposal (entry ${w.proposal})</h3><p>${w.reason ?? ''}</p>
          <p class="small muted">Request changes to ${w.backtrackDefault ?? ''} to send the task back; approve to decline the proposal and keep it in ${w.task.phase}.</p>`
      : w.reason
        ? html`<h3>The agent's reason</h3><p>${w.reason}</p>`
        : '';
  const tool = w.request.data['tool'];
  const input = html`<code>${String(w.request.data['input'] ?? '')}</code>`;
  const toolCall =
    typeof tool === 'string'
      ? html`<p class="small"><span class="muted">For the tool call</span> <code>${tool}</code> ${input}</p>`
      : '';
  const reason = (r: WaitingApproval['risk']['reasons'][number]) => {
    const badge = html`<span class="badge ${r.level === 'high' ? 'bad' : 'warn'}">${r.class}</span>`;
    return html`<li>${badge} <span class="mono small">${r.detail}</span></li>`;
  };
  const reasons = w.risk.reasons.length
    ? html`<h3>Why a person must decide</h3><ul class="reasons">${w.risk.reasons.map(reason)}</ul>`
    : '';
  return html`${escalated}
      ${agentReason}
      ${toolCall}
      ${reasons}`;
}

const lineCounts = (additions: number, deletions: number) =>
  html`<span class="a">+${additions}</span><span class="d">−${deletions}</span>`;

/** The diff: its size, its files (the first 30), and a link to the patch. */
function diffBlock(w: WaitingApproval): Html {
  const diff = w.diff;
  const patch = w.evidence.find((a) => a.name === 'git_diff.patch');
  const stat = diff
    ? html` <span class="diffstat">${lineCounts(diff.additions, diff.deletions)}</span> <span class="muted small">${[
        `in ${diff.files.length} file${diff.files.length === 1 ? '' : 's'}`,
      ]}</span>`
    : '';
  const file = (f: NonNullable<WaitingApproval['diff']>['files'][number]) => {
    const status = f.status !== 'modified' ? html` <span class="faint">(${f.status})</span>` : '';
    const counts = html`<span class="diffstat">${lineCounts(f.additions, f.deletions)}</span>`;
    return html`<li><span class="mono small">${f.path}${status}</span>${counts}</li>`;
  };
  const files = diff
    ? html`<ul class="plain artifacts">${diff.files.slice(0, 30).map(file)}</ul>`
    : html`<p class="muted small">The diff could not be read from git.</p>`;
  const view = patch ? html`View the diff (${patch.phase}/${patch.name})` : '';
  const link = patch
    ? html`<p class="more"><a class="btn secondary" href="${evidenceHref(patch.path)}">${view}</a></p>`
    : '';
  return html`<h3 class="diff-head">Diff${stat}</h3>
      ${files}
      ${link}`;
}

/** The task's evidence, folded, with whether every recorded digest still matches. */
function evidenceBlock(w: WaitingApproval): Html {
  const changed = w.evidence.filter((a) => a.state === 'changed' || a.state === 'missing').length;
  const state = changed
    ? html`, <span class="badge bad">${changed} changed or missing</span>`
    : ', every recorded digest matches';
  const items = w.evidence.map((a) => {
    const badge = html`<span class="badge ${a.state}">${stateWord(a.state)}</span>`;
    return html`<li><a href="${evidenceHref(a.path)}" class="mono small">${a.phase}/${a.name}</a>${badge}</li>`;
  });
  const count = html`<span class="muted small">${plural(w.evidence.length, 'file')}${state}</span>`;
  return html`<details class="evidence"><summary><strong>Evidence</strong> ${count}</summary>
      <ul class="plain artifacts">${items}</ul></details>`;
}

/** The four decisions, with the note every decision needs and where a change request sends the task. */
function decisionForm(w: WaitingApproval): Html {
  const id = w.task.taskId;
  const defaultTarget = w.backtrackDefault;
  const targets = w.backtrackTargets.map(
    (p) => html`<option value="${p}"${p === defaultTarget ? html` selected` : ''}>${p}</option>`,
  );
  const select = html`<select id="to-${id}" name="backtrackTo">${targets}</select>`;
  // On a backtrack proposal, approving declines it and requesting changes carries it out.
  const approveWord = w.proposal !== null ? 'Approve (decline the backtrack)' : 'Approve';
  const changesWord = w.proposal !== null ? 'Request changes (send it back)' : 'Request changes';
  return html`<form class="decide" data-decision="${id}" aria-label="Decide on ${id}" novalidate>
        ${noteField(`reason-${id}`, html`Your note for the agent (required)`, WHAT_CHECKED)}
        <div class="field"><label for="to-${id}">If you request changes, send it back to</label>${select}</div>
        <div class="row">
          <button class="btn ok" type="submit" name="decision" value="approve">${approveWord}</button>
          <button class="btn warn" type="submit" name="decision" value="request_changes">${changesWord}</button>
          <button class="btn secondary" type="submit" name="decision" value="escalate">Escalate</button>
          <button class="btn danger" type="submit" name="decision" value="abort">Abort</button>
        </div>
        <p class="status-msg" role="status" aria-live="polite"></p>
      </form>`;
}

function card(w: WaitingApproval, nowMs: number): Html {
  const id = w.task.taskId;
  return html`<article class="card approval" id="task-${id}" aria-labelledby="h-${id}">
  <div class="approval-head">
    ${cardTitle(`h-${id}`, id, w.task.title, askedLine(w, nowMs))}
    ${waitingFlags(w)}
  </div>
  <div class="approval-body">
    <div>
      ${whyAsked(w, nowMs)}
      ${diffBlock(w)}
      ${evidenceBlock(w)}
      <p class="small more"><a href="/tasks/${encodeURIComponent(id)}">Trace graph and history of ${id}</a></p>
    </div>
    <div>
      ${decisionForm(w)}
    </div>
  </div>
</article>`;
}

function contractCard(w: ContractWaiting): Html {
  const id = w.task.taskId;
  const under = html`In <strong>${w.task.phase}</strong>: ${concat(
    html`the config is not the contract this task adopted, so its moves are refused (CONFIG_CHANGED).`,
  )}`;
  const adopt = concat(
    html`Adopt the config as it is now as ${id}'s contract `,
    html`(its later moves are judged by it, in the ledger and by the CI gate), or restore the config file instead.`,
  );
  const why = html`Why the change is right for this task (required)`;
  const placeholder = html`What changed in the config, and why`;
  const keys = w.modes
    ? w.modes.map(
        (m) => html`<li data-mode="${m.key}"><span class="mono small">${m.key}</span>: ${m.from} → ${m.to}</li>`,
      )
    : w.keys.length
      ? w.keys.map((k) => html`<li><span class="mono small">${k}</span></li>`)
      : html`<li class="muted small">the adopted contract could not be read to compare</li>`;
  // Only modes changed: the person signs those modes, from and to, rather than a contract as a whole.
  const button = w.modes
    ? decisionButton('ok', 'change_modes', 'Change the modes')
    : decisionButton('ok', 'adopt_contract', 'Adopt the new contract');
  return html`<article class="card approval" id="contract-${id}" aria-labelledby="hc-${id}">
  <div class="approval-head">
    ${cardTitle(`hc-${id}`, id, w.task.title, under)}
    <div class="flags"><span class="badge warn">config changed</span></div>
  </div>
  <div class="approval-body">
    <div>
      <h3>${w.modes ? 'Modes that differ' : 'Keys that differ'}</h3>
      <ul class="reasons">${keys}</ul>
      <p class="small">${adopt}</p>
    </div>
    <div>
      <form class="decide" data-decision="${id}" aria-label="Adopt the new contract for ${id}" novalidate>
        ${noteField(`creason-${id}`, why, placeholder)}
        <div class="row">${button}</div>
        <p class="status-msg" role="status" aria-live="polite"></p>
      </form>
    </div>
  </div>
</article>`;
}

/** A task that changes the gate's own workflow: the files and their digests, and the decision that allows them. */
function gateInputsCard(w: GateInputsWaiting): Html {
  const id = w.task.taskId;
  const under = html`In <strong>${w.task.phase}</strong>: ${concat(
    html`the task changes the CI gate's own workflow, which the gate reads from the base branch; `,
    html`it fails the branch (CONFIG_CHANGED) unless a person allows the change.`,
  )}`;
  const files = w.inputs.map((i) => {
    const digest = html`<span class="faint mono small">sha256 ${i.sha256.slice(0, 12)}…</span>`;
    return html`<li><span class="mono small">${i.path}</span> ${digest}</li>`;
  });
  const readFirst = concat(
    html`Read the change first: a workflow can switch the gate off. `,
    html`Your passkey signs each file's digest as it is now; `,
    html`the gate accepts the branch's file only with exactly this content, and only when your passkey was registered `,
    html`under a key the gate trusts.`,
  );
  const checked = html`What you checked in the workflow change (required)`;
  const placeholder = html`What changed in the gate's workflow, and why it is safe`;
  return html`<article class="card approval" id="gate-inputs-${id}" aria-labelledby="hg-${id}">
  <div class="approval-head">
    ${cardTitle(`hg-${id}`, id, w.task.title, under)}
    <div class="flags"><span class="badge warn">gate workflow changed</span></div>
  </div>
  <div class="approval-body">
    <div>
      <h3>Files changed since the task's base commit</h3>
      <ul class="reasons">${files}</ul>
      <p class="small">${readFirst}</p>
    </div>
    <div>
      <form class="decide" data-decision="${id}" aria-label="Allow the gate workflow change of ${id}" novalidate>
        ${noteField(`greason-${id}`, checked, placeholder)}
        <div class="row">${decisionButton('ok', 'adopt_gate_inputs', 'Allow the gate workflow')}</div>
        <p class="status-msg" role="status" aria-live="polite"></p>
      </form>
    </div>
  </div>
</article>`;
}

/** A decision in the recent list: when, on which task, what, and its ledger entry. */
function decisionRow(x: LedgerEntry, nowMs: number): Html {
  const task = html`<a href="/tasks/${encodeURIComponent(x.taskId ?? '')}">${x.taskId}</a>`;
  return html`<li class="k-${x.kind}">${concat(
    html`<span class="when">${timeAgo(x.ts, nowMs)}</span><span class="kind">${task}</span>`,
    html`<span class="text">${describeEntry(x)}</span>`,
    html`<span class="seq"><a href="/ledger#entry-${x.seq}">#${x.seq}</a></span>`,
  )}</li>`;
}

/** What the approval page is about. */
const APPROVALS_LEDE = concat(
  html`Moves that policy sends to a person: risky changes (CI config, dependencies, migrations, auth, secrets, `,
  html`large diffs) and what an agent asked about. Each decision is a ledger entry signed with your passkey.`,
);

/** How a decision is signed and checked. */
const SIGNED_NOTE = concat(
  html`Each decision is signed with your passkey over the task, its phase, the digest of its diff and your note; `,
  html`the ledger records it with your name, and <code>ledger verify</code> and the CI gate check the signature again.`,
);

/** Where the registration code comes from. */
const REGISTER_NOTE = concat(
  html`<a href="/register">Register a passkey</a>`,
  html` with the code <code>autopilot serve</code> printed on its terminal.`,
);

export function approvalsBody(m: ApprovalsModel): Html {
  const people = m.people.length
    ? html`Registered: ${m.people.join(', ')}.`
    : html`<strong>No passkey is registered yet.</strong>`;
  const nothing = html`<div class="card empty"><strong>Nothing waits for a person</strong>${concat(
    html`Tasks show up here when policy or the agent asks for an approval.`,
  )}</div>`;
  const waiting = m.waiting.length ? m.waiting.map((w) => card(w, m.nowMs)) : nothing;
  return html`<div class="page-head"><div><h1>Approvals</h1><p class="lede">${APPROVALS_LEDE}</p></div></div>
<section class="card card-pad" id="who" aria-labelledby="who-h">
  <h2 id="who-h" class="sr-only">Who decides</h2>
  <p class="notice" data-passkey-state>${SIGNED_NOTE} ${people} ${REGISTER_NOTE}</p>
  <noscript><p class="notice mt-12">Decisions need JavaScript: your passkey signs them in the browser.</p></noscript>
</section>
<section class="section" id="approval-list" data-live aria-label="Waiting for a person">
  <div class="section-head"><h2>${m.waiting.length ? `${m.waiting.length} waiting` : 'Nothing waiting'}</h2></div>
  ${waiting}
</section>
${
  m.contracts.length
    ? html`<section class="section" id="contract-list" data-live aria-label="Contracts changed">
  <div class="section-head"><h2>${plural(m.contracts.length, 'task')} under a changed config</h2></div>
  ${m.contracts.map((w) => contractCard(w))}
</section>`
    : ''
}
${
  m.gateInputs.length
    ? html`<section class="section" id="gate-inputs-list" data-live aria-label="Gate workflow changed">
  <div class="section-head"><h2>${plural(m.gateInputs.length, 'task')} changing the gate's workflow</h2></div>
  ${m.gateInputs.map((w) => gateInputsCard(w))}
</section>`
    : ''
}
<section class="section" id="recent-decisions" data-live aria-labelledby="recent-h">
  <div class="section-head"><h2 id="recent-h">Recent decisions</h2></div>
  <div class="card">${
    m.recent.length
      ? html`<ol class="history">${m.recent.map((x) => decisionRow(x, m.nowMs))}</ol>`
      : html`<div class="empty">No decisions yet.</div>`
  }</div>
</section>`;
}
