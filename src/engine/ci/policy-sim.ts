/**
 * @module Gate 1's policy simulation: the branch's diff (files, lines, kinds, new dependencies, the secrets VERIFY
 * found, the supply-chain results, a rollback plan, the branch) decided by the base branch's policy set as one
 * change, with each policy's verdict and mode. A branch cannot bring the policies that judge it.
 */
import { ErrorCode } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import type { CheckStatus } from '../../core/gates.ts';
import type { ChangeFinding } from '../../core/policy/change.ts';
import { branchName, changeRequestOf } from '../evidence/change-request.ts';
import { PACK_DIR } from '../../core/policy/pack.ts';
import { coverPolicies, policyApprovals, stampCovers } from '../../core/policy/approvals.ts';
import { AutopilotError } from '../../core/errors.ts';
import { git } from '../repo/git.ts';
import { POLICIES_DIR, decideChange, policySetOf } from '../repo/policies.ts';
import { readCommitted, readJson } from './committed.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { CiProblem, PolicyOutcome } from './report.ts';

/** A task of the branch as the simulation reads it (engine/ci/stages.ts's StagedTask). */
interface StagedTask {
  readonly taskId: string;
  readonly files: ReadonlyMap<string, Buffer>;
  readonly entries: readonly LedgerEntry[];
  readonly verified: ReadonlySet<number>;
}

/** What the simulation found: the check's outcome, the problems of a failure, each policy's verdict. */
export interface PolicySimulation {
  readonly status: CheckStatus;
  readonly detail: string;
  readonly problems: CiProblem[];
  readonly policies: readonly PolicyOutcome[];
  readonly digest?: string;
}

export interface PolicySimInput {
  readonly root: string;
  readonly mergeBase: string;
  readonly head: string;
  /** The config the gate judges by, with its committed policy files (see {@link withCommittedPolicies}). */
  readonly config: Config;
  readonly tasks: readonly StagedTask[];
}

/** The policy files committed at `commit`: the folder's own `*.cedar` and the pack's, by name under the folder. */
async function policySources(root: string, commit: string): Promise<Record<string, string>> {
  const r = await git(root, ['ls-tree', '-r', '--name-only', '-z', commit, '--', `${POLICIES_DIR}/`]);
  if (r.code !== 0) throw new Error(`git ls-tree ${commit} failed: ${r.stderr.trim()}`);
  const names = r.stdout
    .split('\0')
    .filter((p) => p.endsWith('.cedar'))
    .map((p) => p.slice(POLICIES_DIR.length + 1))
    .filter((n) => !n.includes('/') || (n.startsWith(`${PACK_DIR}/`) && n.split('/').length === 2))
    .sort();
  const blobs = await readCommitted(
    root,
    commit,
    names.map((n) => `${POLICIES_DIR}/${n}`),
  );
  const out: Record<string, string> = {};
  names.forEach((n, i) => {
    const b = blobs[i];
    if (b?.kind === 'file') out[n] = b.bytes.toString('utf8');
  });
  return out;
}

/**
 * `config` (parsed from a committed config file) with the policy files committed beside it at `commit`, as the loader
 * adds them from the disk: without them a config with policies has another digest than the one tasks adopted, and
 * Gate 1 would have nothing to decide by. Throws CONFIG_INVALID naming the file and line of a policy that does not load.
 */
export async function withCommittedPolicies(root: string, commit: string, config: Config): Promise<Config> {
  const files = await policySources(root, commit);
  if (Object.keys(files).length === 0) return config;
  const out: Config = {
    ...config,
    policies: { ...config.policies, sources: { ...config.policies?.sources, ...files } },
  };
  policySetOf(out);
  return out;
}

/** The branch's changed files with their line counts, the state folder and `.autopilot/` left out (Gate 0 judges those). */
export async function numstat(input: PolicySimInput): Promise<{ path: string; added: number; removed: number }[]> {
  const range = `${input.mergeBase}..${input.head}`;
  const r = await git(input.root, ['diff', '--numstat', '--no-renames', '-z', range]);
  if (r.code !== 0) throw new Error(`git diff --numstat ${range} failed: ${r.stderr.trim()}`);
  const state = input.config.stateDir.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const skip = (p: string) =>
    p.startsWith('.autopilot/') || (state !== '' && state !== '.' && p.startsWith(`${state}/`));
  return r.stdout
    .split('\0')
    .filter(Boolean)
    .map((row) => {
      const [a = '0', d = '0', ...rest] = row.split('\t');
      return { path: rest.join('\t'), added: Number(a) || 0, removed: Number(d) || 0 };
    })
    .filter((f) => f.path !== '' && !skip(f.path));
}

/** The blob id of each path at `commit`; a path not there (deleted) is absent. */
async function committedBlobs(root: string, commit: string, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // In slices, so that a large change stays under the command line's length limit.
  for (let i = 0; i < paths.length; i += 200) {
    const r = await git(root, ['ls-tree', '-r', '-z', commit, '--', ...paths.slice(i, i + 200)]);
    if (r.code !== 0) throw new Error(`git ls-tree ${commit} failed: ${r.stderr.trim()}`);
    for (const row of r.stdout.split('\0').filter(Boolean)) {
      const [meta = '', path = ''] = row.split('\t');
      const [, type, id] = meta.split(' ');
      if (type === 'blob' && id) out.set(path, id);
    }
  }
  return out;
}

function evidenceNamed(t: StagedTask, name: string): Buffer | undefined {
  let found: Buffer | undefined;
  for (const [path, bytes] of t.files)
    if (path.startsWith(`evidence/${t.taskId}/`) && path.slice(path.lastIndexOf('/') + 1) === name) found = bytes;
  return found;
}

/** Secrets VERIFY's scans found, by file. */
function secretsByFile(tasks: readonly StagedTask[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tasks) {
    const doc = readJson(evidenceNamed(t, 'secrets_scan.json')) as { findings?: { file?: unknown }[] } | undefined;
    for (const f of Array.isArray(doc?.findings) ? doc.findings : [])
      if (typeof f.file === 'string') out.set(f.file, (out.get(f.file) ?? 0) + 1);
  }
  return out;
}

const describe = (f: ChangeFinding) =>
  `${f.policyId} ${f.verdict} on ${f.on.slice(0, 3).join(', ')}${f.on.length > 3 ? ', …' : ''}`;

/**
 * Gate 1's policy check: the base branch's policies decide the branch's diff. A deny fails; an ask passes when a
 * person's verified approval of a task on the branch names that policy and was given for the change the branch holds
 * (core/policy/approvals.ts), else fails with APPROVAL_REQUIRED; observe-mode policies only record what they would
 * have decided. Without policies of the repository there is nothing to evaluate.
 */
export async function simulatePolicies(input: PolicySimInput): Promise<PolicySimulation> {
  const config = input.config;
  if (Object.keys(config.policies?.sources ?? {}).length === 0)
    return {
      status: 'not_evaluated',
      detail: `no policies of the repository (${POLICIES_DIR}/) in the config the gate judges by`,
      problems: [],
      policies: [],
    };
  try {
    policySetOf(config);
  } catch (err) {
    if (!(err instanceof AutopilotError)) throw err;
    const file = typeof err.details['file'] === 'string' ? err.details['file'] : POLICIES_DIR;
    return {
      status: 'fail',
      detail: err.message,
      problems: [
        {
          taskId: null,
          check: 'policy',
          code: ErrorCode.CONFIG_INVALID,
          file,
          reason: `the base branch's policies do not load: ${err.message}`,
        },
      ],
      policies: [],
    };
  }
  const files = await numstat(input);
  const secrets = secretsByFile(input.tasks);
  const patch = await git(input.root, ['diff', '-U0', '--no-renames', `${input.mergeBase}..${input.head}`]);
  const request = changeRequestOf(config, {
    actor: { id: 'agent:branch', kind: 'agent' },
    phase: config.roles.implement ?? '',
    taskId: input.tasks.map((t) => t.taskId).join(','),
    files,
    patch: patch.code === 0 ? patch.stdout : '',
    secrets,
    evidence: (name) => input.tasks.flatMap((t) => evidenceNamed(t, name) ?? []),
    branch: await branchName(input.root),
  });
  const d = decideChange(config, request);
  const blobs = await committedBlobs(
    input.root,
    input.head,
    files.map((f) => f.path),
  );
  const branchFiles = files.map((f) => ({ ...f, blob: blobs.get(f.path) ?? null }));
  const approvals = input.tasks.flatMap((t) => policyApprovals(t.entries, (x) => t.verified.has(x.seq)));
  // An ask is approved by a person's verified approval that names the policy and was given for the change the
  // branch holds: the request's files with the same line counts as the branch's, on the parts the policy found on.
  const cover = new Map(
    d.enforced.findings
      .filter((f) => f.verdict === 'ask')
      .map((f) => {
        const [c] = coverPolicies(
          [f.policyId],
          approvals,
          (a) => a.signedDiff === a.change.digest && stampCovers(a.change, f.on, branchFiles),
        );
        return [f.policyId, c!] as const;
      }),
  );
  const people = (id: string) => {
    const c = cover.get(id);
    return c?.status === 'approved' ? [c.by.person] : [];
  };
  const enforced = new Set(d.enforced.findings.map((f) => f.policyId));
  const policies: PolicyOutcome[] = [
    ...d.enforced.findings.map((f) => ({
      policyId: f.policyId,
      verdict: f.verdict,
      mode: 'enforce' as const,
      on: f.on,
      ...(f.verdict === 'ask' ? { approvedBy: people(f.policyId) } : {}),
    })),
    ...(d.observed?.findings ?? [])
      .filter((f) => !enforced.has(f.policyId))
      .map((f) => ({ policyId: f.policyId, verdict: f.verdict, mode: 'observe' as const, on: f.on })),
  ];
  const observedText = policies
    .filter((p) => p.mode === 'observe')
    .map((p) => `observe: ${p.policyId} would ${p.verdict} on ${p.on.slice(0, 3).join(', ')}`);
  const size = `${files.length} file${files.length === 1 ? '' : 's'}, ${request.files.reduce((n, f) => n + f.added + f.removed, 0)} lines`;
  const problems: CiProblem[] = [];
  for (const f of d.enforced.findings) {
    if (f.verdict === 'deny')
      problems.push({
        taskId: null,
        check: 'policy',
        code: ErrorCode.VERIFY_FAILED,
        file: f.on.join(', ').slice(0, 300),
        reason: `policy ${f.policyId} denies the change (${f.on.slice(0, 5).join(', ')}): ${reasonOf(config, f.policyId)}`,
      });
    else if (people(f.policyId).length === 0) {
      const c = cover.get(f.policyId);
      const why =
        c?.status === 'stale'
          ? `the approval ${c.by.person} gave for it (entry ${c.by.approval.seq} of ${c.by.approval.taskId ?? 'a task'}) was for another change than the branch's: a person approves the change as it is now`
          : `no person's verified approval of a task on the branch names this policy`;
      problems.push({
        taskId: null,
        check: 'policy',
        code: ErrorCode.APPROVAL_REQUIRED,
        file: f.on.join(', ').slice(0, 300),
        reason: `policy ${f.policyId} asks a person (${f.on.slice(0, 5).join(', ')}): ${reasonOf(config, f.policyId)}; ${why}`,
      });
    }
  }
  for (const e of d.enforced.errors)
    problems.push({
      taskId: null,
      check: 'policy',
      code: ErrorCode.VERIFY_FAILED,
      file: POLICIES_DIR,
      reason: `a policy could not be evaluated on the change: ${e}`,
    });
  const decided = d.enforced.findings.map(describe);
  const approved = [...cover]
    .filter(([, c]) => c.status === 'approved')
    .map(([id]) => `${id} approved by ${people(id).join(', ')}`);
  const detail = [`${size}: ${d.enforced.verdict}`, ...decided, ...approved, ...observedText].join('; ');
  return { status: problems.length ? 'fail' : 'pass', detail, problems, policies, digest: d.digest };
}

function reasonOf(config: Config, id: string): string {
  return policySetOf(config).policies.find((p) => p.id === id)?.reason ?? 'see the policy';
}
