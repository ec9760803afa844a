/**
 * @module Forge decisions as pure data: which forge and repository a remote URL names, the hidden marker of the evidence comment,
 * the evidence summary, and the verdict on a commit's checks against the required ones.
 */
import type { ForgeCheck, ForgeDeployment, ForgeKind, ForgeRepo } from '../ports/forge.ts';

/** The forges a `pr.mode` can name. */
export const FORGE_KINDS: readonly ForgeKind[] = ['github', 'gitlab', 'gitea'];

/** Whether a PR mode is a forge's (rather than `manual`, `git` or `auto`). */
export function isForgeKind(mode: string | undefined): mode is ForgeKind {
  return (FORGE_KINDS as readonly string[]).includes(mode ?? '');
}

/** The hosts whose forge is known without configuration. */
const KNOWN_HOSTS: Readonly<Record<string, ForgeKind>> = { 'github.com': 'github', 'gitlab.com': 'gitlab' };

/** A remote URL taken apart: the host (lower case, without port or user) and the repository path's segments. */
export interface RemoteParts {
  readonly host: string;
  readonly port: string | null;
  readonly segments: readonly string[];
}

/** Reads an http(s), ssh or scp-like (`git@host:path`) remote URL; null for a file path, file:// or anything else. */
export function parseRemoteUrl(url: string): RemoteParts | null {
  const u = url.trim();
  const m =
    /^(?:https?|ssh|git):\/\/(?:[^@/]+@)?([A-Za-z0-9.-]+)(?::(\d+))?\/(.+)$/.exec(u) ??
    /^(?:[^@/:]+@)?([A-Za-z0-9.-]+\.[A-Za-z0-9.-]+):(?!\/)(.+)$/.exec(u);
  if (!m?.[1]) return null;
  const scp = m.length === 3;
  const path = (scp ? m[2] : m[3]) ?? '';
  const segments = path
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split('/');
  if (segments.length < 2 || segments.some((x) => !/^[A-Za-z0-9_.-]+$/.test(x) || x === '.' || x === '..')) return null;
  return { host: m[1].toLowerCase(), port: scp ? null : (m[2] ?? null), segments };
}

/**
 * The forge a host runs: the config's `pr.forges` (by `host` or `host:port`) first, then github.com and gitlab.com;
 * null for a host nobody named.
 */
export function forgeKindOfHost(
  parts: RemoteParts,
  configured: Readonly<Record<string, ForgeKind>> = {},
): ForgeKind | null {
  const withPort = parts.port ? `${parts.host}:${parts.port}` : null;
  const named = Object.fromEntries(Object.entries(configured).map(([h, k]) => [h.toLowerCase(), k]));
  return (withPort ? named[withPort] : undefined) ?? named[parts.host] ?? KNOWN_HOSTS[parts.host] ?? null;
}

/**
 * The repository a remote's path names on a forge of `kind`: `owner/name` on GitHub and Gitea; on GitLab the
 * namespace may hold subgroups (`group/sub/name`), and `owner` is all of it.
 */
export function repoOfPath(kind: ForgeKind, segments: readonly string[]): ForgeRepo | null {
  const name = segments[segments.length - 1];
  if (!name || segments.length < 2) return null;
  if (kind !== 'gitlab' && segments.length !== 2) return null;
  return { owner: segments.slice(0, -1).join('/'), name };
}

/** The forge and repository a remote URL names, given the config's `pr.forges`; null when it names none. */
export function remoteForgeOf(
  url: string,
  configured: Readonly<Record<string, ForgeKind>> = {},
): { readonly kind: ForgeKind; readonly host: string; readonly port: string | null; readonly repo: ForgeRepo } | null {
  const parts = parseRemoteUrl(url);
  const kind = parts ? forgeKindOfHost(parts, configured) : null;
  const repo = parts && kind ? repoOfPath(kind, parts.segments) : null;
  return parts && kind && repo ? { kind, host: parts.host, port: parts.port, repo } : null;
}

/** A remote URL read as a repository on a known forge: github.com over https, ssh or scp-like syntax. */
export function githubRepoOf(url: string): ForgeRepo | null {
  const m =
    /^(?:https?:\/\/(?:[^@/]+@)?github\.com\/|ssh:\/\/git@github\.com(?::\d+)?\/|git@github\.com:)([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(
      url.trim(),
    );
  return m?.[1] && m[2] ? { owner: m[1], name: m[2] } : null;
}

/**
 * `owner/name`, as the config's `pr.repository` spells it, read back; GitLab's may name subgroups
 * (`group/sub/name`). Null when it is not one for the forge.
 */
export function parseRepository(text: string, kind: ForgeKind = 'github'): ForgeRepo | null {
  if (!/^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+$/.test(text)) return null;
  return repoOfPath(kind, text.split('/'));
}

/** The hidden marker that finds the task's evidence comment again, whoever edited the rest of it. */
export function commentMarker(taskId: string): string {
  return `<!-- autopilot:evidence-summary task=${taskId} -->`;
}

/** The context of the commit status Autopilot sets. */
export const STATUS_CONTEXT = 'autopilot/evidence';

/**
 * What the evidence summary says: the phases passed, the tests and coverage of the verify run, the ledger head, and
 * the digest of the task's attestation bundle (written on entering PR, committed with the work).
 */
export interface EvidenceSummary {
  readonly taskId: string;
  readonly phases: readonly string[];
  readonly tests: { readonly total: number; readonly failed: number } | null;
  readonly coverage: { readonly changedPct: number | null; readonly meetsThreshold: boolean } | null;
  readonly ledgerHead: { readonly seq: number; readonly hash: string };
  /** The bundle's path from the repository root and the SHA-256 of its bytes; null when none was written. */
  readonly bundle: { readonly path: string; readonly sha256: string } | null;
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
    `- Attestation bundle: ${s.bundle ? `\`${s.bundle.path}\`, sha256 \`${s.bundle.sha256}\`` : 'not written'}`,
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

/** The verdict on a commit's deployments: what is still waited for, and what failed (`production (failure)`). */
export interface DeploymentsVerdict {
  readonly healthy: boolean;
  /** Environments whose newest deployment has not ended, or that have none yet. */
  readonly waiting: readonly string[];
  /** `environment (why)` of each failed or missing deployment, comma-separated; empty when none. */
  readonly unhealthy: string;
}

/**
 * Judges a commit's deployments (newest first) by environment: the newest deployment of each counts. With
 * `environments` named, each must have one that succeeded; without, every environment the commit went to must, and
 * at least one must exist. A failed one is unhealthy at once; one still running, or a named environment with none,
 * is waited for and unhealthy once the wait is over (`final`).
 */
export function judgeDeployments(
  deployments: readonly ForgeDeployment[],
  environments: readonly string[],
  final: boolean,
): DeploymentsVerdict {
  const newest = new Map<string, ForgeDeployment>();
  for (const d of deployments) if (!newest.has(d.environment)) newest.set(d.environment, d);
  const asked = environments.length > 0 ? environments : [...newest.keys()];
  const failed: string[] = [];
  const waiting: string[] = [];
  for (const env of asked) {
    const d = newest.get(env);
    if (!d) waiting.push(env);
    else if (d.state === 'failure') failed.push(`${env} (${d.detail})`);
    else if (d.state === 'pending') waiting.push(env);
  }
  const late = final
    ? waiting.map((env) =>
        newest.has(env) ? `${env} (still ${newest.get(env)!.detail} when the wait ended)` : `${env} (no deployment)`,
      )
    : [];
  const none = asked.length === 0;
  const bad = [...failed, ...late, ...(none && final ? ['no deployment of the commit'] : [])];
  return {
    healthy: bad.length === 0 && waiting.length === 0 && !none,
    waiting: none && !final ? ['a deployment of the commit'] : waiting,
    unhealthy: bad.join(', '),
  };
}
