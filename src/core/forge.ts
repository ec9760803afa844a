/**
 * @module Forge decisions as pure data: which forge a remote URL names, the hidden marker of the evidence comment,
 * the evidence summary, and the verdict on a commit's checks against the required ones.
 */
import type { ForgeCheck, ForgeRepo } from '../ports/forge.ts';

/** A remote URL read as a repository on a known forge: github.com over https, ssh or scp-like syntax. */
export function githubRepoOf(url: string): ForgeRepo | null {
  const m =
    /^(?:https?:\/\/(?:[^@/]+@)?github\.com\/|ssh:\/\/git@github\.com(?::\d+)?\/|git@github\.com:)([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(
      url.trim(),
    );
  return m?.[1] && m[2] ? { owner: m[1], name: m[2] } : null;
}

/** `owner/name`, as the config's `pr.repository` spells it, read back; null when it is not one. */
export function parseRepository(text: string): ForgeRepo | null {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(text);
  return m?.[1] && m[2] ? { owner: m[1], name: m[2] } : null;
}

/** The hidden marker that finds the task's evidence comment again, whoever edited the rest of it. */
export function commentMarker(taskId: string): string {
  return `<!-- autopilot:evidence-summary task=${taskId} -->`;
}

/** The context of the commit status Autopilot sets. */
export const STATUS_CONTEXT = 'autopilot/evidence';

/** What the evidence summary says: the phases passed, the tests and coverage of the verify run, the ledger head. */
export interface EvidenceSummary {
  readonly taskId: string;
  readonly phases: readonly string[];
  readonly tests: { readonly total: number; readonly failed: number } | null;
  readonly coverage: { readonly changedPct: number | null; readonly meetsThreshold: boolean } | null;
  readonly ledgerHead: { readonly seq: number; readonly hash: string };
}

/** The summary as Markdown, opened by the task's marker. */
export function renderSummary(s: EvidenceSummary): string {
  const tests = s.tests ? `${s.tests.total} run, ${s.tests.failed} failed` : 'not recorded';
  const cov = s.coverage
    ? `${s.coverage.changedPct === null ? 'n/a' : `${s.coverage.changedPct}%`} of changed lines (${s.coverage.meetsThreshold ? 'meets' : 'below'} the threshold)`
    : 'not recorded';
  return [
    commentMarker(s.taskId),
    `### Autopilot evidence for ${s.taskId}`,
    '',
    `- Phases passed: ${s.phases.length ? s.phases.join(' → ') : 'none'}`,
    `- Tests: ${tests}`,
    `- Coverage: ${cov}`,
    `- Ledger head: #${s.ledgerHead.seq} \`${s.ledgerHead.hash}\``,
    '',
  ].join('\n');
}

/** The PR body: the agent's filled template, then the evidence summary. */
export function pullBody(template: string, summary: EvidenceSummary): string {
  return `${template.trimEnd()}\n\n---\n\n${renderSummary(summary)}`;
}

/** The PR title: the task's title when it has one. */
export function pullTitle(taskId: string, title: string | null | undefined): string {
  const t = (title ?? '').trim();
  return (t ? `${taskId}: ${t}` : taskId).slice(0, 250);
}

/** The verdict on a commit's checks. */
export interface ChecksVerdict {
  /** Every required check is there and green, and no check is red. */
  readonly passed: boolean;
  /** Still running (pending), or required and not reported yet: worth waiting for. */
  readonly waiting: readonly string[];
  /** `name (why)` of each red or missing required check, comma-separated; empty when none. */
  readonly redChecks: string;
}

/**
 * Judges checks against the required names: a red check fails (required or not: CI said no), a required check that
 * is missing or pending is waited for, and fails once the wait is over (`final`).
 */
export function judgeChecks(checks: readonly ForgeCheck[], required: readonly string[], final: boolean): ChecksVerdict {
  const byName = new Map(checks.map((c) => [c.name, c]));
  const red = checks.filter((c) => c.state === 'failure').map((c) => `${c.name} (${c.detail})`);
  const waiting = [
    ...checks.filter((c) => c.state === 'pending').map((c) => c.name),
    ...required.filter((r) => !byName.has(r)),
  ];
  const missing = final
    ? [
        ...required.filter((r) => !byName.has(r)).map((r) => `${r} (missing)`),
        ...checks.filter((c) => c.state === 'pending').map((c) => `${c.name} (still ${c.detail} when the wait ended)`),
      ]
    : [];
  const all = [...red, ...missing];
  const none = checks.length === 0 && required.length === 0;
  return {
    passed: all.length === 0 && waiting.length === 0 && !none,
    waiting,
    redChecks: none && final ? 'no check reported on the commit' : all.join(', '),
  };
}
