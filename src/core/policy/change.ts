/**
 * @module Policies over a change, the pure part: what each changed file is (source, test, migration, flag, CI
 * config, lockfile, manifest), the Cedar requests a change becomes (one on the whole `Diff`, one on each `File`), and
 * how their answers make the change's verdict. Evaluating them is the engine's (engine/repo/policies.ts).
 */
import type { Config } from '../config.ts';
import { CI_CONFIG_GLOBS, globToRegExp, newDependencies } from '../risk.ts';
import { CEDAR_NAMESPACE, type ActorKind, type CedarEntity, type CedarRequest } from './cedar.ts';

/** What a changed file is to the change policies. The first kind that matches wins, in this order. */
export const CHANGE_KINDS = ['migration', 'flag', 'ci', 'lockfile', 'manifest', 'test', 'source', 'other'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Paths that are a schema migration or a feature-flag definition (as Gate 3's rollback check reads them). */
const MIGRATION = [/(^|\/)migrations?\//i, /(^|\/)db\/migrate\//i, /\.migration\.[a-z]+$/i, /(^|\/)alembic\//i];
const FLAG = [/(^|\/)(feature[-_]?)?flags?\//i, /(^|\/)(feature[-_]?)?flags?\.(json|ya?ml|toml|ts|js)$/i];
const CI = CI_CONFIG_GLOBS.map(globToRegExp);
const LOCKFILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'poetry.lock',
  'uv.lock',
  'Pipfile.lock',
  'go.sum',
  'Cargo.lock',
  'Gemfile.lock',
  'composer.lock',
]);
const MANIFESTS = [
  /^package\.json$/,
  /^requirements.*\.txt$/,
  /^pyproject\.toml$/,
  /^Pipfile$/,
  /^go\.mod$/,
  /^Cargo\.toml$/,
  /^pom\.xml$/,
  /^build\.gradle(\.kts)?$/,
  /^Gemfile$/,
  /^composer\.json$/,
];

/** A classifier of changed paths, from the config's `verify.sources` and `verify.tests` globs. */
export function changeKinds(globs: {
  readonly sources: readonly string[];
  readonly tests: readonly string[];
}): (path: string) => ChangeKind {
  const tests = globs.tests.map(globToRegExp);
  const sources = globs.sources.map(globToRegExp);
  return (path) => {
    const p = path.replace(/^(\.\/)+/, '');
    const base = p.slice(p.lastIndexOf('/') + 1);
    if (MIGRATION.some((r) => r.test(p))) return 'migration';
    if (FLAG.some((r) => r.test(p))) return 'flag';
    if (CI.some((r) => r.test(p))) return 'ci';
    if (LOCKFILES.has(base)) return 'lockfile';
    if (MANIFESTS.some((r) => r.test(base))) return 'manifest';
    if (tests.some((r) => r.test(p))) return 'test';
    if (sources.some((r) => r.test(p))) return 'source';
    return 'other';
  };
}

/** One changed file of a change. */
export interface ChangedFile {
  readonly path: string;
  readonly kind: ChangeKind;
  readonly added: number;
  readonly removed: number;
  /** Secrets the scanner found in the lines this file adds (or 1 for a file that is a secret by its name). */
  readonly secrets: number;
}

/** What a change decision is asked about. */
export interface ChangeRequest {
  readonly actor: { readonly id: string; readonly kind: ActorKind };
  readonly phase: string;
  readonly taskId: string | null;
  readonly files: readonly ChangedFile[];
  /** Dependencies the manifests' added lines declare, `name` each. */
  readonly dependencies: readonly string[];
  /** The supply-chain results (vulnerabilities, licences) recorded for the change: `unknown` before VERIFY ran them. */
  readonly supplyChain: 'pass' | 'fail' | 'unknown';
  /** A Rollback section (four words or more) in the task's plan or PR description. */
  readonly rollback: boolean;
  /** The branch the change is committed on, and the branch it is to merge into (empty when not known). */
  readonly branch: string;
  readonly base: string;
  /** The diff caps of the config (`approvals.maxFiles`, `approvals.maxLines`). */
  readonly maxFiles: number;
  readonly maxLines: number;
}

/** The diff caps when the config sets none: `approvals.maxFiles` (`approvals.maxLines` always has a value). */
export const DEFAULT_MAX_FILES = 50;

/** A change as its producer sees it: the diff's files with their line counts, before they are classified. */
export interface ChangeFacts {
  readonly actor: ChangeRequest['actor'];
  readonly phase: string;
  readonly taskId: string | null;
  readonly files: readonly { path: string; added: number; removed: number; secrets?: number }[];
  /** The lines each file adds, by path: the manifests' new dependencies are read from them. */
  readonly addedLines?: ReadonlyMap<string, readonly string[]>;
  readonly dependencies?: readonly string[];
  readonly supplyChain?: ChangeRequest['supplyChain'];
  readonly rollback?: boolean;
  readonly branch?: string;
  readonly base?: string;
}

/** The change request of `facts` under `config`: each file classified, the caps and the new dependencies filled in. */
export function changeRequestFor(config: Config, facts: ChangeFacts): ChangeRequest {
  const kind = changeKinds(config.verify);
  const deps = new Set(facts.dependencies ?? []);
  for (const [path, lines] of facts.addedLines ?? []) for (const d of newDependencies(path, lines)) deps.add(d);
  return {
    actor: facts.actor,
    phase: facts.phase,
    taskId: facts.taskId,
    files: facts.files.map((f) => ({
      path: f.path,
      kind: kind(f.path),
      added: f.added,
      removed: f.removed,
      secrets: f.secrets ?? 0,
    })),
    dependencies: [...deps].sort(),
    supplyChain: facts.supplyChain ?? 'unknown',
    rollback: facts.rollback ?? false,
    branch: facts.branch ?? '',
    base: facts.base ?? '',
    maxFiles: config.approvals.maxFiles ?? DEFAULT_MAX_FILES,
    maxLines: config.approvals.maxLines,
  };
}

/** The lines a unified diff adds, by the file they go to (a deleted file adds none). */
export function addedLinesOf(patch: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of patch.split('\n')) {
    if (line.startsWith('+++ ')) {
      const path = line.slice(4).replace(/^b\//, '');
      current = path === '/dev/null' ? undefined : [];
      if (current) out.set(path, current);
    } else if (line.startsWith('+') && current) current.push(line.slice(1));
  }
  return out;
}

/** Words under a Markdown heading named Rollback, up to the next heading of any level. */
export function rollbackWords(md: string): number {
  const lines = md.split(/\r?\n/);
  const at = lines.findIndex((l) => /^#{1,6}\s+rollback\b/i.test(l.trim()));
  if (at < 0) return 0;
  const end = lines.findIndex((l, i) => i > at && /^#{1,6}\s/.test(l.trim()));
  return lines
    .slice(at + 1, end < 0 ? undefined : end)
    .join(' ')
    .split(/\s+/)
    .filter((w) => /\w/.test(w)).length;
}

/** One Cedar request of a change, and what it is on: `(diff)` or a file's path. */
export interface ChangePart {
  readonly on: string;
  readonly request: CedarRequest;
}

/** The id the diff entity gets (one diff a request, so a fixed id). */
const DIFF_ID = 'change';

/**
 * The Cedar requests of a change: the whole diff as an `Autopilot::Diff` resource, then each changed file as an
 * `Autopilot::File` whose `diff` attribute is that diff (so a per-file policy can read the diff's facts too).
 */
export function changeRequests(req: ChangeRequest): ChangePart[] {
  const ns = CEDAR_NAMESPACE;
  const principal = { type: `${ns}::Actor`, id: req.actor.id };
  const diffUid = { type: `${ns}::Diff`, id: DIFF_ID };
  const added = req.files.reduce((n, f) => n + f.added, 0);
  const removed = req.files.reduce((n, f) => n + f.removed, 0);
  const diff: CedarEntity = {
    uid: diffUid,
    attrs: {
      files: req.files.length,
      lines: added + removed,
      added,
      removed,
      paths: req.files.map((f) => f.path),
      kinds: [...new Set(req.files.map((f) => f.kind))],
      secrets: req.files.reduce((n, f) => n + f.secrets, 0),
      dependencies: [...new Set(req.dependencies)],
      supplyChain: req.supplyChain,
      rollback: req.rollback,
      branch: req.branch,
      base: req.base,
      maxFiles: req.maxFiles,
      maxLines: req.maxLines,
    },
  };
  const actor: CedarEntity = { uid: principal, attrs: { kind: req.actor.kind } };
  const context = { phase: req.phase, task: req.taskId ?? '' };
  const parts: ChangePart[] = [
    { on: '(diff)', request: { principal, resource: diffUid, context, entities: [actor, diff] } },
  ];
  for (const f of req.files) {
    const uid = { type: `${ns}::File`, id: f.path };
    const file: CedarEntity = {
      uid,
      attrs: {
        path: f.path,
        kind: f.kind,
        added: f.added,
        removed: f.removed,
        secrets: f.secrets,
        diff: { __entity: diffUid },
      },
    };
    parts.push({ on: f.path, request: { principal, resource: uid, context, entities: [actor, diff, file] } });
  }
  return parts;
}

/** The forbids that held for one part of a change, for `change` and for `ask`. */
export interface PartAnswer {
  readonly on: string;
  readonly change: readonly string[];
  readonly ask: readonly string[];
}

/** One policy's finding on a change: what it made of it, and on which parts. */
export interface ChangeFinding {
  readonly policyId: string;
  /** `ask`: it forbids `change` only (a person may approve); `deny`: it forbids `ask` too. */
  readonly verdict: 'ask' | 'deny';
  readonly on: readonly string[];
}

/** The verdict on a change and the policies that made it. */
export interface ChangeVerdict {
  readonly verdict: 'allow' | 'ask' | 'deny';
  /** The policies behind the verdict: those that deny when denied, those that ask when asked; empty when allowed. */
  readonly policyIds: readonly string[];
  readonly findings: readonly ChangeFinding[];
  readonly errors: readonly string[];
}

/**
 * The change's verdict from the forbids that held on each part. A change is allowed unless a policy forbids it (the
 * tool table's permits are about tool calls; nothing needs to permit a change): a forbid of `change` alone asks a
 * person, a forbid of `ask` too denies. The strictest part decides; an error evaluating a policy denies.
 */
export function combineChange(parts: readonly PartAnswer[], errors: readonly string[] = []): ChangeVerdict {
  const byPolicy = new Map<string, { verdict: 'ask' | 'deny'; on: string[] }>();
  let verdict: ChangeVerdict['verdict'] = 'allow';
  for (const part of parts) {
    // `ask` is only asked when `change` is forbidden, as for a tool call.
    if (part.change.length === 0) continue;
    const denied = part.ask.length > 0;
    if (denied) verdict = 'deny';
    else if (verdict === 'allow') verdict = 'ask';
    for (const id of new Set([...part.change, ...(denied ? part.ask : [])])) {
      const f = byPolicy.get(id) ?? { verdict: 'ask' as const, on: [] };
      if (part.ask.includes(id)) f.verdict = 'deny';
      f.on.push(part.on);
      byPolicy.set(id, f);
    }
  }
  const findings = [...byPolicy].map(([policyId, f]) => ({ policyId, verdict: f.verdict, on: f.on }));
  // A policy that could not be evaluated on the change may have been a forbid: the change fails closed.
  if (errors.length > 0) verdict = 'deny';
  const policyIds = findings.filter((f) => verdict !== 'deny' || f.verdict === 'deny').map((f) => f.policyId);
  return { verdict, policyIds, findings, errors };
}
