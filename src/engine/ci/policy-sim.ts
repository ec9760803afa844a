/**
 * @module Gate 1's policy simulation: the branch's diff (files, lines, kinds, new dependencies, the secrets VERIFY
 * found, the supply-chain results, a rollback plan, the branch) decided by the base branch's policy set as one
 * change, with each policy's verdict and mode. A branch cannot bring the policies that judge it.
 */
import { ErrorCode } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import type { CheckStatus } from '../../core/gates.ts';
import { addedLinesOf, changeRequestFor, rollbackWords, type ChangeFinding } from '../../core/policy/change.ts';
import { PACK_DIR } from '../../core/policy/pack.ts';
import { isPersonDecision } from '../../core/decision.ts';
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

function supplyChainOf(tasks: readonly StagedTask[]): 'pass' | 'fail' | 'unknown' {
  const results = tasks.flatMap((t) =>
    ['vulnerabilities.json', 'licenses.json'].flatMap((n) => {
      const doc = readJson(evidenceNamed(t, n)) as { passed?: unknown } | undefined;
      return typeof doc?.passed === 'boolean' ? [doc.passed] : [];
    }),
  );
  if (results.length === 0) return 'unknown';
  return results.every(Boolean) ? 'pass' : 'fail';
}

function hasRollback(tasks: readonly StagedTask[]): boolean {
  return tasks.some((t) =>
    ['pr_template_filled.md', 'plan.md'].some((n) => rollbackWords(evidenceNamed(t, n)?.toString('utf8') ?? '') >= 4),
  );
}

/** People whose approval of a task on the branch verified as a passkey decision (`person:name`). */
function approvers(tasks: readonly StagedTask[]): string[] {
  const out = new Set<string>();
  for (const t of tasks)
    for (const x of t.entries)
      if (
        t.verified.has(x.seq) &&
        isPersonDecision(x) &&
        x.kind === 'approval' &&
        x.data['action'] === 'approved' &&
        x.actor.startsWith('person:')
      )
        out.add(x.actor);
  return [...out].sort();
}

export async function branchName(root: string): Promise<string> {
  const r = await git(root, ['rev-parse', '--abbrev-ref', 'HEAD']);
  const name = r.code === 0 ? r.stdout.trim() : '';
  // CI checks out a detached HEAD: the forge names the branch in its variables.
  if (name === '' || name === 'HEAD')
    return process.env['GITHUB_HEAD_REF'] || process.env['CI_COMMIT_REF_NAME'] || process.env['GITHUB_REF_NAME'] || '';
  return name;
}

const describe = (f: ChangeFinding) =>
  `${f.policyId} ${f.verdict} on ${f.on.slice(0, 3).join(', ')}${f.on.length > 3 ? ', …' : ''}`;

/**
 * Gate 1's policy check: the base branch's policies decide the branch's diff. A deny fails; an ask passes when a
 * person's approval of a task on the branch verified, else fails with APPROVAL_REQUIRED; observe-mode policies only
 * record what they would have decided. Without policies of the repository there is nothing to evaluate.
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
  const request = changeRequestFor(config, {
    actor: { id: 'agent:branch', kind: 'agent' },
    phase: config.roles.implement ?? '',
    taskId: input.tasks.map((t) => t.taskId).join(','),
    files: files.map((f) => ({ ...f, secrets: secrets.get(f.path) ?? 0 })),
    addedLines: patch.code === 0 ? addedLinesOf(patch.stdout) : new Map(),
    supplyChain: supplyChainOf(input.tasks),
    rollback: hasRollback(input.tasks),
    branch: await branchName(input.root),
  });
  const d = decideChange(config, request);
  const people = approvers(input.tasks);
  const enforced = new Set(d.enforced.findings.map((f) => f.policyId));
  const policies: PolicyOutcome[] = [
    ...d.enforced.findings.map((f) => ({
      policyId: f.policyId,
      verdict: f.verdict,
      mode: 'enforce' as const,
      on: f.on,
      ...(f.verdict === 'ask' ? { approvedBy: people } : {}),
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
    else if (people.length === 0)
      problems.push({
        taskId: null,
        check: 'policy',
        code: ErrorCode.APPROVAL_REQUIRED,
        file: f.on.join(', ').slice(0, 300),
        reason: `policy ${f.policyId} asks a person (${f.on.slice(0, 5).join(', ')}): ${reasonOf(config, f.policyId)}; no person's approval of a task on the branch verified`,
      });
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
  const approved =
    d.enforced.findings.some((f) => f.verdict === 'ask') && people.length > 0
      ? [`approved by ${people.join(', ')}`]
      : [];
  const detail = [`${size}: ${d.enforced.verdict}`, ...decided, ...approved, ...observedText].join('; ');
  return { status: problems.length ? 'fail' : 'pass', detail, problems, policies, digest: d.digest };
}

function reasonOf(config: Config, id: string): string {
  return policySetOf(config).policies.find((p) => p.id === id)?.reason ?? 'see the policy';
}
