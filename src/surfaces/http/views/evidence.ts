/** @module The evidence browser: tasks, a task's artifacts by phase, and one artifact rendered by its kind. */
import { html, type Html } from './html.ts';
import { bytes, evidenceHref, prettyJson, shortHash } from './format.ts';
import { renderMarkdown } from './markdown.ts';
import { stateWord, writtenBy } from './task.ts';
import { statusBadge } from './tasks.ts';
import type { ArtifactContent, ArtifactInfo, EvidenceRow } from '../read/evidence.ts';
import type { TaskList, TaskSummary } from '../read/tasks.ts';
import { pager } from './pager.ts';
import type { VerifyFindings } from '../read/verify-findings.ts';
import { plural } from '../../../core/phrasing.ts';
import { dataTable } from './table.ts';

/** A task's row on the Evidence page: its files, the archived ones, and whether each still matches its digest. */
function evidenceTaskRow(t: TaskSummary, artifacts: readonly ArtifactInfo[]): Html {
  const live = artifacts.filter((a) => a.staleRound === null);
  const bad = artifacts.filter((a) => a.state === 'changed' || a.state === 'missing').length;
  const integrity = bad
    ? html`<span class="badge bad">${bad} changed or missing</span>`
    : html`<span class="badge ok">all match the ledger</span>`;
  const link = html`<a class="id" href="/evidence/${encodeURIComponent(t.taskId)}">${t.taskId}</a>`;
  return html`<tr>${[
    html`<td class="primary" data-label="Task">${link}<div class="title">${t.title}</div></td>`,
    html`<td data-label="Status">${statusBadge(t.status)}</td>`,
    html`<td data-label="Artifacts" class="num">${live.length}</td>`,
    html`<td data-label="Archived" class="num">${artifacts.length - live.length}</td>`,
    html`<td data-label="Integrity">${integrity}</td>`,
  ]}</tr>`;
}

export function evidenceIndexBody({ list, rows: tasks }: { list: TaskList; rows: readonly EvidenceRow[] }): Html {
  const columns = [
    'Task',
    'Status',
    { label: 'Artifacts', num: true },
    { label: 'Archived', num: true },
    'Integrity',
  ] as const;
  const lede = html`What each task handed in and what Autopilot produced, phase by phase, ${[
    html`each file checked against the digest the ledger recorded.`,
  ]}`;
  const empty = emptyCard('No evidence yet', html`Tasks hand in evidence as they pass their phases.`);
  const rows = tasks.map(({ summary, artifacts }) => evidenceTaskRow(summary, artifacts));
  return html`<div class="page-head"><div><h1>Evidence</h1><p class="lede">${lede}</p></div></div>
<section class="section" id="evidence-tasks" data-live aria-label="Tasks and their evidence">
<div class="card">${tasks.length ? dataTable(columns, rows) : empty}</div>
${pager(list, { path: '/evidence', params: {}, label: 'Pages of the evidence index' })}
</section>`;
}

/** The widths of the artifact table's columns: artifact, producer, digest, size, recorded, ledger. */
const ARTIFACT_COLS = html`<colgroup class="artifact-cols">${[
  html`<col class="c-name"><col class="c-producer"><col class="c-digest">`,
  html`<col class="c-size"><col class="c-recorded"><col class="c-ledger">`,
]}</colgroup>`;

/** The artifact table's head row. */
const ARTIFACT_HEAD = html`<thead><tr>${[
  html`<th scope="col">Artifact</th><th scope="col">Written by</th><th scope="col">Digest (SHA-256)</th>`,
  html`<th scope="col" class="num">Size</th><th scope="col">Recorded</th><th scope="col">Ledger</th>`,
]}</tr></thead>`;

/** A secondary button that links to `href`. */
function button(href: string, label: string): Html {
  return html`<a class="btn secondary" href="${href}">${label}</a>`;
}

/** A link to a ledger entry on the task's ledger page. */
function entryLink(taskId: string, seq: number): Html {
  return html`<a href="/ledger?task=${encodeURIComponent(taskId)}#entry-${seq}">entry ${seq}</a>`;
}

/** The ledger entry that recorded an artifact, linked. */
function recordedLink(a: ArtifactInfo): Html | string {
  if (a.seq === null) return '—';
  return entryLink(a.path.split('/')[1] ?? '', a.seq);
}

function artifactRow(a: ArtifactInfo): Html {
  const digest = a.sha256 ?? a.actualSha256;
  return html`<tr>
      <td class="primary" data-label="Artifact"><a href="${evidenceHref(a.path)}" class="mono">${a.name}</a></td>
      <td data-label="Written by">${writtenBy(a)}</td>
      <td data-label="Digest"><span class="digest" title="${digest ?? ''}">${shortHash(digest, 16)}</span></td>
      <td data-label="Size" class="num">${bytes(a.bytes)}</td>
      <td data-label="Recorded">${recordedLink(a)}</td>
      <td data-label="Ledger"><span class="badge ${a.state}">${stateWord(a.state)}</span></td>
    </tr>`;
}

function artifactRows(list: readonly ArtifactInfo[]): Html {
  const table = html`${ARTIFACT_COLS}${ARTIFACT_HEAD}<tbody>${list.map(artifactRow)}</tbody>`;
  return html`<div class="table-wrap"><table class="data responsive fixed">${table}</table></div>`;
}

/** What the verify findings say when there are none. */
const NOTHING_FOUND = html`No test removed, skipped or focused, no coverage-ignore comment added, no mutant survived.`;

/** What a finding of VERIFY's asks for. */
const DECIDES = html`a person decides before the task leaves VERIFY`;

/** Mutant statuses as badges: killed and timed out are the tests doing their work. */
const MUTANT_BADGE: Record<string, string> = { killed: 'ok', timeout: 'ok', survived: 'bad', error: 'warn' };

/** An empty state: what is missing, in bold, and why. */
function emptyCard(what: string, why: Html, cls = 'empty'): Html {
  return html`<div class="${cls}"><strong>${what}</strong>${why}</div>`;
}

/** What VERIFY found in the tests: each finding needs a person's decision before the task leaves VERIFY. */
function verifyFindingsSection(v: VerifyFindings): Html {
  const m = v.mutation;
  const findings = v.findings.length
    ? dataTable(['Finding', 'Where', 'What'], v.findings.map(findingRow))
    : html`<p class="muted small card-pad">${NOTHING_FOUND}</p>`;
  const mutants = m
    ? m.mutants.length
      ? dataTable(['Mutant', 'Status', 'Line as mutated', 'Why'], m.mutants.map(mutantRow))
      : html`<p class="muted small card-pad">No mutant ran: ${m.skipped ?? 'nothing to mutate'}.</p>`
    : html``;
  const verdict = v.findings.length
    ? html`<span class="badge bad">${plural(v.findings.length, 'finding')}: ${DECIDES}</span>`
    : html`<span class="badge ok">nothing found</span>`;
  const state = v.state === 'matches' ? '' : html` <span class="badge ${v.state}">${stateWord(v.state)}</span>`;
  return html`<section class="section" id="verify-findings" aria-label="What VERIFY found in the tests">
<div class="phase-group"><h3>VERIFY · what the tests say</h3><div class="card">
<div class="toolbar card-pad">${verdict} ${m ? mutationScore(m) : html``}${state}</div>
${m ? mutationEngine(m) : html``}${findings}${mutants}</div></div></section>`;
}

type Finding = VerifyFindings['findings'][number];
type Mutation = NonNullable<VerifyFindings['mutation']>;

function findingRow(f: Finding): Html {
  const badge = f.kind === 'mutant-survived' ? 'bad' : 'warn';
  return html`<tr>${[
    html`<td data-label="Finding"><span class="badge ${badge}">${f.kind}</span></td>`,
    html`<td data-label="Where" class="mono small">${f.file}${f.line !== null ? `:${f.line}` : ''}</td>`,
    html`<td data-label="What" class="small">${f.detail}</td>`,
  ]}</tr>`;
}

function mutantRow(x: Mutation['mutants'][number]): Html {
  return html`<tr>${[
    html`<td data-label="Mutant" class="mono small">${x.file}:${x.line} · ${x.operator}</td>`,
    html`<td data-label="Status"><span class="badge ${MUTANT_BADGE[x.status] ?? ''}">${x.status}</span></td>`,
    html`<td data-label="Line as mutated" class="mono small">${x.replacement.trim() || '(removed)'}</td>`,
    html`<td data-label="Why" class="small">${x.detail}</td>`,
  ]}</tr>`;
}

/** Who made the mutants, and why that engine (a fallback from Stryker says what went wrong). */
function mutationEngine(m: Mutation): Html {
  return html`<p class="muted small card-pad mutation-engine">Mutants by ${m.engine}${m.engineReason ? `: ${m.engineReason}` : ''}.</p>`;
}

function mutationScore(m: Mutation): Html {
  const score = m.score === null ? '—' : `${m.score}%`;
  const errors = m.errors ? `, ${m.errors} could not be judged` : '';
  const notRun = m.notRun ? `, ${m.notRun} left out by the time budget` : '';
  const counts = `${m.killed + m.timedOut} killed, ${m.survived} survived${errors}${notRun}`;
  const badge = html`<span class="badge ${m.survived > 0 ? 'bad' : 'ok'}">mutation score ${score}</span>`;
  return html`${badge} <span class="muted small">${counts}</span>`;
}

export function taskEvidenceBody(
  task: TaskSummary,
  artifacts: readonly ArtifactInfo[],
  phases: readonly string[],
  verify?: VerifyFindings,
): Html {
  const groups = new Map<string, ArtifactInfo[]>();
  for (const a of artifacts) {
    const key = a.staleRound === null ? a.phase : `.stale/${a.staleRound}/${a.phase}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const label = (key: string) => {
    const m = /^\.stale\/(\d+)\/(.+)$/.exec(key);
    const phase = (m ? m[2]! : key).toUpperCase();
    return m ? `${phase} · archived by backtrack ${m[1]}` : phase;
  };
  const bad = artifacts.filter((a) => a.state === 'changed' || a.state === 'missing').length;
  const phaseCount = phases.filter((p) => groups.has(p.toLowerCase())).length;
  const lede = `${task.title} · ${plural(artifacts.length, 'file')} across ${plural(phaseCount, 'phase')}`;
  const taskLink = button(`/tasks/${encodeURIComponent(task.taskId)}`, 'Task and trace graph');
  const changed = html`<p class="notice">${bad} file(s) no longer match the digest the ledger recorded: ${[
    html`the evidence was changed or removed after it was recorded.`,
  ]}</p>`;
  const empty = emptyCard('No evidence yet', html`The task has not handed in anything.`, 'card empty');
  return html`<div class="page-head"><div>
  <div class="crumbs"><a href="/evidence">Evidence</a> / ${task.taskId}</div>
  <div class="title-row"><h1>Evidence of ${task.taskId}</h1>${statusBadge(task.status)}</div>
  <p class="lede">${lede}${bad ? '' : ', every recorded digest matches'}.</p></div>
  <div class="toolbar">${taskLink}</div></div>
${bad ? changed : ''}
${verify ? verifyFindingsSection(verify) : ''}
<section id="evidence-list" data-live aria-label="Artifacts by phase">
${[...groups.entries()].map(
  ([key, list]) =>
    html`<div class="phase-group"><h3>${label(key)}</h3><div class="card">${artifactRows(list)}</div></div>`,
)}
${artifacts.length ? '' : empty}
</section>`;
}

function lineTable(id: string, lines: readonly string[], classOf: (line: string) => string, q: string): Html {
  const needle = q.toLowerCase();
  const rows = lines.map((line, i) => {
    const hit = !needle || line.toLowerCase().includes(needle);
    const at = needle ? line.toLowerCase().indexOf(needle) : -1;
    const end = at + needle.length;
    const code = at >= 0 ? html`${line.slice(0, at)}<mark>${line.slice(at, end)}</mark>${line.slice(end)}` : line;
    const cells = html`<td class="ln">${i + 1}</td><td class="code">${code}</td>`;
    return html`<tr class="${classOf(line)}${hit ? '' : ' hidden'}">${cells}</tr>`;
  });
  const cls = `code-view${id.startsWith('diff') ? ' diff' : ''}`;
  const table = html`<table><tbody>${rows}</tbody></table>`;
  return html`<div class="${cls}" id="${id}" tabindex="0" role="region" aria-label="File contents">${table}</div>`;
}

function diffClass(line: string): string {
  if (line.startsWith('diff --git')) return 'file';
  if (
    line.startsWith('+++ ') ||
    line.startsWith('--- ') ||
    line.startsWith('index ') ||
    line.startsWith('new file') ||
    line.startsWith('deleted file') ||
    line.startsWith('similarity ') ||
    line.startsWith('rename ')
  )
    return 'meta';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return 'ctx';
}

function diffStat(text: string): Html {
  const files: { path: string; a: number; d: number }[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('+++ ')) files.push({ path: line.slice(4).replace(/^b\//, ''), a: 0, d: 0 });
    else if (line.startsWith('+') && files.length) files[files.length - 1]!.a++;
    else if (line.startsWith('-') && !line.startsWith('--- ') && files.length) files[files.length - 1]!.d++;
  }
  if (!files.length) return html``;
  const item = (f: (typeof files)[number]) => {
    const stat = html`<span class="diffstat"><span class="a">+${f.a}</span><span class="d">−${f.d}</span></span>`;
    return html`<li><span class="mono small">${f.path}</span>${stat}</li>`;
  };
  return html`<ul class="plain artifacts diff-files">${files.map(item)}</ul>`;
}

function searchBox(target: string, q: string, lines: number): Html {
  const input = html`<input id="log-q" type="search" name="q" value="${q}" placeholder="error, FAIL, a file name…" ${[
    html`data-log-search="${target}" data-log-count="log-count" autocomplete="off">`,
  ]}`;
  return html`<form class="toolbar file-search" method="get" role="search" aria-label="Search this file">
  <div class="field grow"><label for="log-q">Search in this file</label>${input}</div>
  <noscript><button class="btn secondary" type="submit">Search</button></noscript>
  <span id="log-count" class="muted small" aria-live="polite">${plural(lines, 'line')}</span>
</form>`;
}

export function artifactBody(taskId: string, c: ArtifactContent, q: string): Html {
  const a = c.info;
  const ext = a.name.includes('.') ? a.name.slice(a.name.lastIndexOf('.') + 1).toLowerCase() : '';
  let view: Html;
  let kind: string;
  if (c.text === null) {
    kind = 'unavailable';
    view =
      a.actualSha256 === null
        ? emptyCard('The file is missing', html`It was recorded in the ledger but is no longer on disk.`)
        : emptyCard('Not a text file', html`Only text evidence is shown.`);
  } else if (ext === 'md' || ext === 'markdown') {
    kind = 'Markdown';
    view = html`<div class="markdown">${renderMarkdown(c.text)}</div>`;
  } else if (ext === 'json') {
    kind = 'JSON';
    try {
      view = html`<div class="json-view">${prettyJson(JSON.parse(c.text))}</div>`;
    } catch {
      const lines = c.text.split('\n');
      view = html`${searchBox('log-view', q, lines.length)}${lineTable('log-view', lines, () => '', q)}`;
    }
  } else if (ext === 'patch' || ext === 'diff') {
    kind = 'diff';
    const lines = c.text.replace(/\n$/, '').split('\n');
    const search = searchBox('diff-view', q, lines.length);
    view = html`${diffStat(c.text)}${search}${lineTable('diff-view', lines, diffClass, q)}`;
  } else {
    kind = ext === 'log' ? 'log' : 'text';
    const lines = c.text.replace(/\n$/, '').split('\n');
    view = html`${searchBox('log-view', q, lines.length)}${lineTable('log-view', lines, () => '', q)}`;
  }
  const where = a.staleRound !== null ? `archived by backtrack ${a.staleRound}` : a.phase.toUpperCase();
  const folder = `${a.staleRound !== null ? `.stale/${a.staleRound}/` : ''}${a.phase}`;
  const taskCrumb = html`<a href="/evidence/${encodeURIComponent(taskId)}">${taskId}</a>`;
  const state = html`<span class="badge ${a.state}" data-testid="artifact-state">${stateWord(a.state)}</span>`;
  const recorded = a.seq !== null ? entryLink(taskId, a.seq) : '—';
  const raw = button(`${evidenceHref(a.path)}?raw=1`, 'Raw');
  const task = button(`/tasks/${encodeURIComponent(taskId)}`, 'Task');
  return html`<div class="page-head"><div>
  <div class="crumbs"><a href="/evidence">Evidence</a> / ${taskCrumb} / ${folder}</div>
  <div class="title-row"><h1 class="mono artifact-name">${a.name}</h1>${state}</div>
  <dl class="meta">
    <div><dt>Phase</dt><dd>${where}</dd></div>
    <div><dt>Producer</dt><dd>${a.producer ?? 'not recorded'}</dd></div>
    <div><dt>Kind</dt><dd>${kind}</dd></div>
    <div><dt>Size</dt><dd>${bytes(a.bytes)}</dd></div>
    <div><dt>Recorded at</dt><dd>${recorded}</dd></div>
  </dl>
  <dl class="kv small mt-12">
    <dt>Ledger digest</dt><dd class="digest" data-testid="artifact-digest">${a.sha256 ?? '—'}</dd>
    <dt>File digest</dt><dd class="digest">${a.actualSha256 ?? 'missing'}</dd>
  </dl></div>
  <div class="toolbar">${raw}${task}</div>
</div>
<section class="card" id="artifact" aria-label="Contents of ${a.name}">${view}</section>`;
}
