/** @module The task page's dependencies section: the dependency diff, known vulnerabilities, licence findings and accepted risks. */
import { html, type Html } from './html.ts';
import { sectionHead, stateWord } from './partials.ts';
import { dataTable } from './table.ts';
import { evidenceHref } from './format.ts';
import { plural } from '../../../core/phrasing.ts';
import type { TaskModel } from '../read/task-detail.ts';
import type {
  AcceptanceView,
  DependencyChangeView,
  LicenseFindingView,
  SupplyView,
  VulnerabilityView,
} from '../read/supply.ts';

const ABOUT = html`What the change does to the dependencies, read from the lockfiles at the task's base and at the verified tree, the known vulnerabilities and licences of what it keeps or adds, and the risks a person accepted, from VERIFY's supply-chain evidence.`;

/** A finding at or above the threshold stands out; one a person accepted is shown as such, not as clean. */
const SEVERITY_BADGE: Record<string, string> = {
  critical: 'bad',
  high: 'bad',
  medium: 'warn',
  low: '',
  unknown: 'bad',
};
const ACCEPTANCE_BADGE: Record<string, string> = { active: 'ok', unused: '', expired: 'bad' };

const versions = (v: readonly string[]) => (v.length ? v.join(', ') : '—');
const scope = (direct: boolean) => (direct ? 'direct' : 'transitive');

function changeRow(c: DependencyChangeView): Html {
  return html`<tr data-change="${c.change}" data-package="${c.name}">${[
    html`<td data-label="Change"><span class="badge ${c.change === 'removed' ? '' : 'info'}">${c.change}</span></td>`,
    html`<td data-label="Package" class="mono small">${c.name}</td>`,
    html`<td data-label="Ecosystem" class="small">${c.ecosystem}</td>`,
    html`<td data-label="Dependency" class="small">${scope(c.direct)}</td>`,
    html`<td data-label="From" class="mono small">${versions(c.from)}</td>`,
    html`<td data-label="To" class="mono small">${versions(c.to)}</td>`,
    html`<td data-label="Lockfile" class="mono small">${c.lockfile}</td>`,
  ]}</tr>`;
}

function findingRow(f: VulnerabilityView): Html {
  const verdict = f.blocking
    ? html`<span class="badge bad" data-blocking="true">blocking</span>`
    : f.accepted
      ? html`<span class="badge warn" data-blocking="false">accepted until ${f.accepted.expires}</span>`
      : html`<span class="badge" data-blocking="false">below the threshold</span>`;
  const aliases = f.aliases.length ? html` <span class="muted small">${f.aliases.join(', ')}</span>` : '';
  return html`<tr data-finding="${f.id}">${[
    html`<td data-label="Advisory"><span class="mono small">${f.id}</span>${aliases}</td>`,
    html`<td data-label="Package" class="mono small">${f.name}@${f.version}${f.addedByChange ? html` <span class="badge info">new</span>` : ''}</td>`,
    html`<td data-label="Severity"><span class="badge ${SEVERITY_BADGE[f.severity] ?? ''}">${f.severity}</span>${f.score !== null ? html` <span class="muted small">CVSS ${f.score}</span>` : ''}</td>`,
    html`<td data-label="Affected" class="mono small">${f.affected}</td>`,
    html`<td data-label="Fixed in" class="mono small">${f.fixed ?? 'no fix yet'}</td>`,
    html`<td data-label="Verdict">${verdict} <span class="muted small">(${f.sources.join(', ')})</span></td>`,
  ]}</tr>`;
}

function licenseRow(l: LicenseFindingView): Html {
  return html`<tr data-license="${l.name}">${[
    html`<td data-label="Package" class="mono small">${l.name}@${l.version}</td>`,
    html`<td data-label="Ecosystem" class="small">${l.ecosystem}</td>`,
    html`<td data-label="Declared" class="mono small">${l.declared ?? 'none declared'}</td>`,
    html`<td data-label="Verdict"><span class="badge ${l.blocking ? 'bad' : 'warn'}">${l.status}${l.blocking ? ', blocking' : ''}</span></td>`,
  ]}</tr>`;
}

function acceptanceRow(a: AcceptanceView): Html {
  const since = a.expiredSince
    ? html` <span class="muted small">(since VERIFY counted it; the next VERIFY will not)</span>`
    : '';
  return html`<tr data-acceptance="${a.id}">${[
    html`<td data-label="Advisory" class="mono small">${a.id}</td>`,
    html`<td data-label="Reason" class="small">${a.reason}</td>`,
    html`<td data-label="Expires" class="mono small">${a.expires}</td>`,
    html`<td data-label="Status"><span class="badge ${ACCEPTANCE_BADGE[a.status] ?? ''}" data-status="${a.status}">${a.status}</span>${since}</td>`,
  ]}</tr>`;
}

const none = (text: string) => html`<p class="muted small card-pad">${text}</p>`;
const sub = (title: string) => html`<h3 class="card-pad small">${title}</h3>`;

function vulnerabilities(v: NonNullable<SupplyView['vulnerabilities']>): Html {
  if (v.status !== 'checked')
    return html`${sub('Known vulnerabilities')}<p class="small card-pad"><span class="badge bad">not checked</span> ${v.reason ?? ''}</p>`;
  const blocking = v.findings.filter((f) => f.blocking).length;
  const head = html`<p class="small card-pad">${plural(v.findings.length, 'finding')} in the verified tree, ${blocking} blocking (VERIFY fails at ${v.failOn ?? 'high'} and above unless a person accepts it)${v.records !== null ? html`; ${plural(v.records, 'OSV record')} in the database` : ''}.</p>`;
  const findings = v.findings.length
    ? dataTable(['Advisory', 'Package', 'Severity', 'Affected', 'Fixed in', 'Verdict'], v.findings.map(findingRow))
    : '';
  const accepted = v.acceptances.length
    ? html`${sub('Accepted risks')}${dataTable(['Advisory', 'Reason', 'Expires', 'Status'], v.acceptances.map(acceptanceRow))}`
    : '';
  const notes = v.notes.length
    ? html`<ul class="reasons small card-pad">${v.notes.map((n) => html`<li>${n}</li>`)}</ul>`
    : '';
  return html`${sub('Known vulnerabilities')}${head}${findings}${notes}${accepted}`;
}

function licenses(l: NonNullable<SupplyView['licenses']>): Html {
  const head = html`<p class="small card-pad">${plural(l.checked, 'package')} checked against supplyChain.licenses; ${l.findings.length ? plural(l.findings.length, 'finding') : 'no finding'}.</p>`;
  return html`${sub('Licences')}${head}${l.findings.length ? dataTable(['Package', 'Ecosystem', 'Declared', 'Verdict'], l.findings.map(licenseRow)) : ''}`;
}

/** The section, or nothing while the task's live VERIFY evidence has no supply-chain files. */
export function supplySection(m: TaskModel): Html | string {
  const s = m.supply;
  if (!s) return '';
  const state = s.state === 'matches' ? '' : html` <span class="badge ${s.state}">${stateWord(s.state)}</span>`;
  const diffLink = html`<a href="${evidenceHref(`${s.dir}/dependency_diff.json`)}">dependency_diff.json</a>`;
  const sbomLink = html`<a href="${evidenceHref(`${s.dir}/sbom.cdx.json`)}">SBOM</a>`;
  const n = (k: DependencyChangeView['change']) => s.changes.filter((c) => c.change === k).length;
  const head = html`<p class="small card-pad">Packages: ${n('added')} added, ${n('removed')} removed, ${n('changed')} changed (${diffLink}, ${sbomLink}).${state}</p>`;
  const changes = s.changes.length
    ? dataTable(['Change', 'Package', 'Ecosystem', 'Dependency', 'From', 'To', 'Lockfile'], s.changes.map(changeRow))
    : none('No dependency changes.');
  return html`<section class="section" id="supply" aria-labelledby="supply-h">
  ${sectionHead('supply-h', 'Dependencies', ABOUT)}
  <div class="card" data-testid="supply">${head}${changes}${s.vulnerabilities ? vulnerabilities(s.vulnerabilities) : ''}${s.licenses ? licenses(s.licenses) : ''}</div>
</section>`;
}
