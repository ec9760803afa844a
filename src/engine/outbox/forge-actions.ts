/**
 * @module The outbox's forge actions: open (or update) the task's pull request, post (or update) the one evidence
 * comment, set the commit status, ask the configured reviewers. Each first asks the forge whether its effect is there already, so that a
 * dispatcher killed after sending and before recording is followed by one that finds the effect, not a duplicate.
 */
import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import {
  commentMarker,
  pullBody,
  pullTitle,
  renderSummary,
  STATUS_CONTEXT,
  type EvidenceSummary,
} from '../../core/forge.ts';
import { OutboxAction, type OutboxRow } from '../../core/outbox.ts';
import { PR_URL } from '../../core/config.ts';
import { phaseIndex } from '../../core/phases.ts';
import { ForgeError, type Forge } from '../../ports/forge.ts';
import { phaseFolder } from '../evidence/folder.ts';
import { readNoFollow } from '../repo/files.ts';
import { openForge } from '../repo/forge.ts';
import { bundleRel } from '../ledger/bundle.ts';
import type { Engine } from '../context.ts';

/** The file of the agent's that the PR body opens with. */
export const PR_TEMPLATE = 'pr_template_filled.md';

/** What performing a row came to. */
export type Performed =
  | {
      readonly kind: 'done';
      /** The effect was there already (found, not sent). */
      readonly found: boolean;
      readonly data: Readonly<Record<string, unknown>>;
      /** Evidence of the row's phase that the result gives (`pr_url.txt`), written while the decision is current. */
      readonly evidence?: { readonly name: string; readonly content: string };
      /** The rows this result decides, recorded in the same transaction. */
      readonly follow?: readonly { readonly action: string; readonly payload: Readonly<Record<string, unknown>> }[];
    }
  | { readonly kind: 'failed'; readonly error: string; readonly retryable: boolean }
  | { readonly kind: 'deferred'; readonly why: string };

/**
 * What a forge row carries: the phase of the decision, the branch and the commit pushed, the PR once opened, and for
 * `request_reviewers` who is asked (taken from the task's contract when the pull request was opened).
 */
export interface ForgePayload {
  readonly phase: string;
  readonly branch: string;
  readonly commit: string;
  readonly pull?: number;
  readonly url?: string;
  readonly reviewers?: readonly string[];
  readonly teams?: readonly string[];
}

const names = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** A forge payload read back from a row; undefined when it does not hold one. */
export function forgePayload(action: string, p: Readonly<Record<string, unknown>>): ForgePayload | undefined {
  const { phase, branch, commit, pull, url } = p;
  if (typeof phase !== 'string' || typeof branch !== 'string' || typeof commit !== 'string') return undefined;
  if (!/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const needsPull = action === OutboxAction.comment || action === OutboxAction.request_reviewers;
  if (needsPull && (typeof pull !== 'number' || !Number.isInteger(pull))) return undefined;
  const reviewers = names(p['reviewers']);
  const teams = names(p['teams']);
  if (action === OutboxAction.request_reviewers && (!reviewers || !teams)) return undefined;
  return {
    phase,
    branch,
    commit,
    ...(typeof pull === 'number' ? { pull } : {}),
    ...(typeof url === 'string' ? { url } : {}),
    ...(reviewers ? { reviewers } : {}),
    ...(teams ? { teams } : {}),
  };
}

/** The forge's failures as outbox failures: a refused config or token waits for a person; the rest are retried. */
function failed(err: unknown): Performed {
  if (err instanceof ForgeError) return { kind: 'failed', error: err.message, retryable: err.retryable };
  return { kind: 'failed', error: `forge request failed: ${(err as Error)?.message ?? String(err)}`, retryable: true };
}

/** Performs a forge row; `pause` is the test-only stop after the effect was sent. */
export async function performForge(
  engine: Engine,
  row: OutboxRow,
  p: ForgePayload,
  pause: () => Promise<void>,
): Promise<Performed> {
  const opened = await openForge(engine);
  if (!opened.ok) return { kind: 'failed', error: opened.error.message, retryable: false };
  const forge = opened.value;
  try {
    if (row.action === OutboxAction.open_pr) return await openPull(engine, forge, row, p, pause);
    if (row.action === OutboxAction.comment) return await postComment(engine, forge, row, p, pause);
    if (row.action === OutboxAction.request_reviewers) return await askReviewers(forge, p, pause);
    return await setStatus(engine, forge, row, p, pause);
  } catch (err) {
    return failed(err);
  }
}

async function openPull(
  engine: Engine,
  forge: Forge,
  row: OutboxRow,
  p: ForgePayload,
  pause: () => Promise<void>,
): Promise<Performed> {
  // The body opens with the agent's filled template: until it is written, the pull request waits (not a failure).
  const folder = phaseFolder(engine.layout, row.taskId, p.phase);
  const read = folder.ok ? readNoFollow(join(folder.value, PR_TEMPLATE), 1024 * 1024) : null;
  if (read?.kind !== 'file')
    return { kind: 'deferred', why: `waiting for ${PR_TEMPLATE} in ${row.taskId}'s ${p.phase} evidence` };
  const task = await engine.store.getTask(row.taskId);
  const body = pullBody(read.bytes.toString('utf8'), await evidenceSummary(engine, row.taskId));
  const title = pullTitle(row.taskId, task?.title);
  const existing = await forge.findOpenPull(p.branch);
  let pr;
  if (existing) {
    pr = await forge.updatePull(existing.number, { title, body });
  } else {
    const base = engine.config.pr?.base ?? (await forge.defaultBranch());
    pr = await forge.createPull({ title, body, head: p.branch, base });
    await pause();
  }
  const next = { phase: p.phase, branch: p.branch, commit: p.commit, pull: pr.number, url: pr.url };
  // Who reviews is part of the task's contract: named in the row, so that a later config change cannot alter it.
  const reviewers = engine.config.pr?.reviewers ?? [];
  const teams = engine.config.pr?.teamReviewers ?? [];
  const ask =
    reviewers.length + teams.length > 0
      ? [{ action: OutboxAction.request_reviewers, payload: { ...next, reviewers, teams } }]
      : [];
  return {
    kind: 'done',
    found: existing !== null,
    data: { pull: pr.number, url: pr.url, headSha: pr.headSha, base: pr.baseRef, branch: p.branch },
    evidence: { name: PR_URL, content: `${pr.url}\n` },
    follow: [{ action: OutboxAction.comment, payload: next }, { action: OutboxAction.status, payload: next }, ...ask],
  };
}

/**
 * Asks the reviewers not asked yet. Asked already (a dispatcher died after asking, or a person asked them): found, and
 * nothing is sent. A reviewer who has reviewed is no longer "requested" on the forge and is asked again, which
 * re-requests a review, as a person's click on the forge would.
 */
async function askReviewers(forge: Forge, p: ForgePayload, pause: () => Promise<void>): Promise<Performed> {
  const pull = p.pull as number;
  const had = await forge.requestedReviewers(pull);
  const lower = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase()));
  const users = lower(had.users);
  const teams = lower(had.teams);
  const missing = {
    users: (p.reviewers ?? []).filter((u) => !users.has(u.toLowerCase())),
    teams: (p.teams ?? []).filter((t) => !teams.has(t.toLowerCase())),
  };
  const data = { pull, reviewers: p.reviewers ?? [], teams: p.teams ?? [], asked: missing };
  if (missing.users.length + missing.teams.length === 0) return { kind: 'done', found: true, data };
  await forge.requestReviewers(pull, missing);
  await pause();
  return { kind: 'done', found: false, data };
}

async function postComment(
  engine: Engine,
  forge: Forge,
  row: OutboxRow,
  p: ForgePayload,
  pause: () => Promise<void>,
): Promise<Performed> {
  const pull = p.pull as number;
  const body = renderSummary(await evidenceSummary(engine, row.taskId));
  const existing = await forge.findComment(pull, commentMarker(row.taskId));
  if (existing && existing.body === body)
    return { kind: 'done', found: true, data: { pull, comment: existing.id, url: existing.url } };
  const c = existing ? await forge.updateComment(pull, existing.id, body) : await forge.createComment(pull, body);
  if (!existing) await pause();
  return { kind: 'done', found: existing !== null, data: { pull, comment: c.id, url: c.url } };
}

async function setStatus(
  engine: Engine,
  forge: Forge,
  row: OutboxRow,
  p: ForgePayload,
  pause: () => Promise<void>,
): Promise<Performed> {
  const description = `${row.taskId}: evidence checked through ${phaseBefore(engine, p.phase) ?? 'the start'}`;
  const had = (await forge.listStatuses(p.commit)).find((s) => s.context === STATUS_CONTEXT);
  if (had?.state === 'success' && had.description === description)
    return { kind: 'done', found: true, data: { commit: p.commit, context: STATUS_CONTEXT, state: 'success' } };
  await forge.setStatus(p.commit, {
    state: 'success',
    context: STATUS_CONTEXT,
    description,
    ...(p.url ? { targetUrl: p.url } : {}),
  });
  await pause();
  return { kind: 'done', found: false, data: { commit: p.commit, context: STATUS_CONTEXT, state: 'success' } };
}

function phaseBefore(engine: Engine, phase: string): string | undefined {
  const i = phaseIndex(engine.config.phases, phase);
  return i > 0 ? engine.config.phases[i - 1] : undefined;
}

/** The task's evidence in brief: the phases it passed, its verify run's tests and coverage, the ledger head. */
export async function evidenceSummary(engine: Engine, taskId: string): Promise<EvidenceSummary> {
  const task = await engine.store.getTask(taskId);
  const phases = engine.config.phases;
  const at = task ? phaseIndex(phases, task.phase) : 0;
  const passed = phases.slice(0, Math.max(0, at));
  const verify = engine.config.roles.verify;
  const read = (name: string): Record<string, unknown> | null => {
    if (!verify) return null;
    const folder = phaseFolder(engine.layout, taskId, verify);
    const r = folder.ok ? readNoFollow(join(folder.value, name), 16 * 1024 * 1024) : null;
    if (r?.kind !== 'file') return null;
    try {
      return JSON.parse(r.bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const totals = read('test_results.json')?.['totals'] as { total?: unknown; failed?: unknown } | undefined;
  const changed = read('coverage_report.json')?.['changedLines'] as
    { pct?: unknown; percent?: unknown; meetsThreshold?: unknown } | undefined;
  const pct = changed?.pct ?? changed?.percent;
  const head = await engine.store.head();
  const bundlePath = join(engine.layout.stateDir, bundleRel(taskId));
  const bundle = readNoFollow(bundlePath, 256 * 1024 * 1024);
  return {
    taskId,
    phases: passed,
    tests:
      typeof totals?.total === 'number' && typeof totals.failed === 'number'
        ? { total: totals.total, failed: totals.failed }
        : null,
    coverage: changed
      ? { changedPct: typeof pct === 'number' ? pct : null, meetsThreshold: changed.meetsThreshold === true }
      : null,
    ledgerHead: { seq: head?.seq ?? 0, hash: head?.hash ?? '0'.repeat(64) },
    bundle:
      bundle?.kind === 'file'
        ? {
            path: relative(engine.layout.root, bundlePath).split(sep).join('/'),
            sha256: createHash('sha256').update(bundle.bytes).digest('hex'),
          }
        : null,
  };
}
