/**
 * @module Use case: the CI gate of a branch. Without the local store or private
 * key, it checks every attestation bundle committed on the branch (signatures,
 * hashes, chain), the phase order it records, the evidence files it names, and
 * re-runs VERIFY on the checkout to compare with what was recorded. The checks
 * live beside it: committed.ts, check-bundle.ts, replay.ts, evidence.ts, verify-recheck.ts.
 */
import { ErrorCode, ok, refuse, type Refusal, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import type { Config } from '../../core/config.ts';
import { parseConfigText } from '../repo/config-file.ts';
import { configDigest } from '../repo/config-digest.ts';
import { git, resolveCommit } from '../repo/git.ts';
import { CONFIG_DIR, CONFIG_FILE, layoutFor, type Layout } from '../repo/layout.ts';
import { Counter, type EventSink } from '../../ports/events.ts';
import { committedKeys, readCommitted } from './committed.ts';
import { openBundle, type GateContext } from './check-bundle.ts';
import { replayProcess } from './replay.ts';
import { adoptedContract, contractAt, contractVersions, movesUnderContract } from './contract.ts';
import { revalidatePassed } from './revalidate.ts';
import { recheckReview } from './review.ts';
import { checkEvidence } from './evidence.ts';
import { checkTaskDecisions } from './decisions.ts';
import {
  adoptedByPeople,
  baseConfigFor,
  changedWorkflows,
  configAt,
  gateInputsAllowedByPeople,
  untrustedHeadConfig,
  untrustedStart,
  type BaseConfig,
  type TrustedConfig,
} from './inputs.ts';
import { recheckVerify, type RecheckDeps } from './verify-recheck.ts';
import { applyModes, buildStages, stageChecks } from './stages.ts';
import { withSignedModes } from './signed-modes.ts';
import { gateForge } from './owners.ts';
import type { ForgeOpener } from '../../ports/forge.ts';
import { withCommittedPolicies } from './policy-sim.ts';
import {
  describeProblem,
  type CiGateReport,
  type CiProblem,
  type RelaxedProblem,
  type TaskCiGate,
  type TaskContract,
} from './report.ts';

export type {
  CiCheck,
  CiGateReport,
  CiProblem,
  GateCheck,
  GateStage,
  RelaxedProblem,
  TaskCiGate,
  TaskContract,
  VerifyRecheck,
} from './report.ts';
export { describeProblem } from './report.ts';

export interface CiGateOptions extends RecheckDeps {
  readonly cwd: string;
  /** The ref the branch is compared from; the merge-base with {@link DEFAULT_BASES} when absent. */
  readonly base?: string;
  /** Progress for a person watching: the re-run takes as long as the tests. */
  readonly progress?: (line: string) => void;
  /**
   * The key ids whose signatures count, from outside the branch (a CI variable): anyone who can
   * push can also commit a key of their own and sign a bundle with it. Absent: every committed key counts.
   */
  readonly trustedKeys?: readonly string[];
  /**
   * CI mode (`--ci`, or `CI=true` as GitHub Actions and GitLab CI set it): the gate runs where a branch must not vouch
   * for itself, so it refuses to run without trusted keys.
   */
  readonly ci?: boolean;
  /**
   * Where each gate's outcome is counted (`gate_evaluations`, `gate_blocks`, `gate_would_block`): the checkout's
   * telemetry folder. The gate has no store, so these counters live in the sink's files, not in a ledger.
   */
  readonly makeSink?: (layout: Layout) => EventSink;
  /**
   * Opens the forge Gate 5 reads reviews, labels and team members from (the config's `pr` section names it, the
   * environment holds its token). Absent: Gate 5 counts people's signed decisions only.
   */
  readonly openForge?: ForgeOpener;
}

/** Refs tried, in order, for the merge-base when no base is given. */
export const DEFAULT_BASES = ['origin/main', 'main', 'origin/master', 'master'] as const;

/** One task's bundle after every check but the re-run. */
interface Checked {
  readonly taskId: string;
  readonly path: string;
  readonly entries: LedgerEntry[];
  readonly state: TaskState | undefined;
  readonly keyIds: Set<string>;
  readonly problems: CiProblem[];
  readonly artifacts: number;
  /** The contract the task is judged by, and the config it holds. */
  readonly contract: TaskContract | null;
  readonly config: Config | undefined;
  /** The last transition out of VERIFY. */
  readonly verifyPass?: LedgerEntry;
  /** Committed evidence read for the digest check, by path relative to the state folder. */
  readonly files: Map<string, Buffer>;
  /** Seqs of the entries whose person's decision verified. */
  readonly verified: ReadonlySet<number>;
}

/**
 * Runs the gate on the checkout around `opts.cwd`. A report that passes is a value;
 * a failed gate is a refusal whose details are the report: LEDGER_TAMPERED when
 * any signature, hash, chain or evidence digest is wrong, else the first problem's code.
 */
export async function runGate(opts: CiGateOptions): Promise<Result<CiGateReport>> {
  if (opts.ci && !opts.trustedKeys?.length) return refuseWithoutTrustedKeys();
  const branch = await readBranch(opts);
  if (!branch.ok) return branch;
  const { root, head, config, stateRel, inState, base, bundles, problems } = branch.value;

  // What comes from outside the branch: the base branch's config (tasks without a contract of their own are judged
  // by it) and its gate workflow.
  const trustedBase = await readBaseInputs(root, base.mergeBase, head, problems);

  // Each bundle: integrity, process, contract, evidence; then the keys that signed them.
  const keys = await committedKeys(root, head, inState('attestations/keys/'));
  const baseKeys = await committedKeys(root, base.mergeBase, inState('attestations/keys/'));
  const ctx: GateContext = {
    root,
    head,
    mergeBase: base.mergeBase,
    config: trustedBase?.config ?? config,
    keys,
    inState,
    trustedKeyIds: new Set(opts.trustedKeys ?? baseKeys.keys()),
  };
  const checked: Checked[] = [];
  for (const b of bundles) checked.push(await checkTask(ctx, b.taskId, b.path));
  for (const c of checked) problems.push(...c.problems);
  if (opts.trustedKeys) problems.push(...untrusted(checked, opts.trustedKeys));
  const trusted = trustedBase ? await trustedConfigs(root, trustedBase, config, checked, problems) : [];
  const workflows = trustedBase
    ? await allowedWorkflows(root, base.mergeBase, head, checked, problems, opts.trustedKeys ?? [...baseKeys.keys()])
    : [];

  // The checks the five gates add (commands, secrets, grounding, tests, rollback, hermetic, supply chain, owners),
  // then each gate's mode, from the config the gate judges by (the base branch's): a branch cannot relax its own gate.
  // Only a person can, for a task, with a signed change of modes recorded in its bundle.
  const signed = withSignedModes(ctx.config, checked);
  const judging = signed.config;
  const staged = await stageChecks({
    root,
    mergeBase: base.mergeBase,
    head,
    config: judging,
    tasks: checked,
    forge: () => gateForge(root, ctx.config, opts.openForge),
  });
  problems.push(...staged.problems);
  const relaxed: RelaxedProblem[] = [];
  const relax = () => {
    const r = applyModes(problems, judging);
    problems.splice(0, problems.length, ...r.blocking);
    relaxed.push(...r.relaxed);
  };
  relax();

  // VERIFY, run again once, for the task whose VERIFY was passed last: its run saw the latest code.
  const rechecks = await recheckAnchor(ctx, checked, problems, opts);
  relax();
  const tasks = checked.map((c) => taskReport(c, rechecks, problems));
  const stages = buildStages(judging, problems, relaxed, staged.checks, tasks);

  const report: CiGateReport = {
    passed: problems.length === 0,
    base,
    head,
    stateDir: stateRel,
    tasks,
    keys: keyReport(keys, baseKeys, opts.trustedKeys),
    inputs: {
      base: trustedBase ? { commit: trustedBase.commit, digest: trustedBase.digest } : null,
      trusted,
      ci: opts.ci === true,
      workflows,
    },
    problems,
    stages,
    relaxed,
    modes: signed.modes,
    mergeable: problems.length === 0 && stages.every((g) => g.status !== 'fail'),
  };
  await countGates(opts, root, config, stages);
  return report.passed ? ok(report) : failed(report);
}

/** One increment per gate that decided, and per gate that blocked or would have. A sink never throws. */
async function countGates(
  opts: CiGateOptions,
  root: string,
  config: Config,
  stages: CiGateReport['stages'],
): Promise<void> {
  if (!opts.makeSink) return;
  const sink = opts.makeSink(layoutFor(root, config.stateDir));
  const now = Date.now();
  const count = (name: Counter, attributes: Record<string, string>) =>
    sink.emit({ type: 'counter', taskId: null, name, value: 1, attributes, startMs: now, endMs: now });
  for (const g of stages) {
    if (g.mode !== 'off') count(Counter.gate_evaluations, { gate: g.gate, mode: g.mode });
    if (g.status === 'fail') count(Counter.gate_blocks, { gate: g.gate });
    if (g.status === 'would_block') count(Counter.gate_would_block, { gate: g.gate });
  }
  await sink.flush();
}

/** CI mode without pinned keys: every key a branch commits would count, so the gate does not run. */
function refuseWithoutTrustedKeys(): { ok: false; error: Refusal } {
  return refuse(
    ErrorCode.CONFIG_INVALID,
    "the gate runs in CI without trusted keys, so any key a branch commits would count: set AUTOPILOT_TRUSTED_KEYS to your team's key ids as a CI variable a branch cannot change (a repository variable on GitHub, a protected CI/CD variable on GitLab); `autopilot doctor` prints this installation's key id",
    { key: 'AUTOPILOT_TRUSTED_KEYS', reason: 'no trusted keys in CI mode', file: '(environment)' },
  );
}

/** The branch as the gate reads it: the checkout, the config committed at HEAD, the range and its bundles. */
interface Branch {
  readonly root: string;
  readonly head: string;
  readonly config: Config;
  /** The state folder, relative to the root ('' for the root itself). */
  readonly stateRel: string;
  readonly inState: (p: string) => string;
  readonly base: CiGateReport['base'];
  readonly bundles: { taskId: string; path: string }[];
  /** The problems found so far; every later check adds its own. */
  readonly problems: CiProblem[];
}

/** Reads the branch; a branch whose range touches no bundle at all is a change made without Autopilot (refused). */
async function readBranch(opts: CiGateOptions): Promise<Result<Branch>> {
  // The checkout, and the config committed at HEAD.
  const checkout = await checkoutOf(opts.cwd);
  if (!checkout.ok) return checkout;
  const { root, head } = checkout.value;
  const committed = await committedConfig(root, head);
  if (!committed.ok) return committed;
  const { config, stateRel } = committed.value;
  const inState = (p: string) => (stateRel === '' ? p : `${stateRel}/${p}`);

  // The range: from the merge-base with the base ref to HEAD.
  const base = await resolveBase(root, head, opts.base);
  if (!base.ok) return base;

  // The bundles the branch touched; none at all is a change made without Autopilot.
  const found = await findBundles(root, base.value.mergeBase, head, inState('attestations/'));
  if (!found.ok) return found;
  const { bundles, problems } = found.value;
  if (bundles.length === 0 && problems.length === 0) {
    return refuse(
      ErrorCode.EVIDENCE_MISSING,
      `no attestation bundle (${inState('attestations/<TASK>.jsonl')}) was added or changed between ${base.value.ref} (${base.value.mergeBase.slice(0, 12)}) and HEAD: this change was made without Autopilot. Take the work through Autopilot up to PR (autopilot task start …), then commit ${stateRel || '.'}/ with it`,
      { base: base.value, head, stateDir: stateRel },
    );
  }
  return ok({ root, head, config, stateRel, inState, base: base.value, bundles, problems });
}

/** The base branch's config, when it has a readable one. A base config that does not load is a problem. */
async function readBaseInputs(
  root: string,
  mergeBase: string,
  head: string,
  problems: CiProblem[],
): Promise<BaseConfig | null> {
  const baseConfig = await configAt(root, mergeBase);
  if (baseConfig && 'reason' in baseConfig) problems.push(baseConfig);
  const trustedBase = baseConfig && !('reason' in baseConfig) ? baseConfig : null;
  return trustedBase;
}

/**
 * The gate's own workflows as the base branch has them, or as a person allowed the branch's, with a passkey registered
 * under a key the branch did not bring. Runs after the decision checks: an allowance that did not verify counts for
 * none. A changed workflow no person allowed is a problem.
 */
async function allowedWorkflows(
  root: string,
  mergeBase: string,
  head: string,
  checked: readonly Checked[],
  problems: CiProblem[],
  trustedKeyIds: readonly string[],
): Promise<CiGateReport['inputs']['workflows']> {
  const flagged = new Set(problems.filter((p) => p.check === 'decision' && p.seq !== undefined).map((p) => p.seq!));
  const allowances = checked.filter((c) => c.state).flatMap((c) => gateInputsAllowedByPeople(c.entries, flagged));
  const wf = await changedWorkflows(root, mergeBase, head, allowances, new Set(trustedKeyIds));
  problems.push(...wf.problems);
  return wf.allowed;
}

/** The keys that signed the bundles: new to the branch or not, trusted or not when keys are pinned. */
function keyReport(
  keys: Awaited<ReturnType<typeof committedKeys>>,
  baseKeys: Awaited<ReturnType<typeof committedKeys>>,
  trustedKeys: readonly string[] | undefined,
): CiGateReport['keys'] {
  return [...keys.keys()].sort().map((keyId) => ({
    keyId,
    new: !baseKeys.has(keyId),
    ...(trustedKeys ? { trusted: trustedKeys.includes(keyId) } : {}),
  }));
}

/**
 * The configs the gate trusts, and a problem for each task started under another one and for a config the branch
 * changed without a person's adoption. Runs after the decision checks: an adoption whose decision did not verify
 * vouches for nothing.
 */
async function trustedConfigs(
  root: string,
  base: BaseConfig,
  headConfig: Config,
  checked: readonly Checked[],
  problems: CiProblem[],
): Promise<TrustedConfig[]> {
  const flagged = new Set(problems.filter((p) => p.check === 'decision' && p.seq !== undefined).map((p) => p.seq!));
  const adopted = checked.flatMap((c) => adoptedByPeople(c.entries, flagged));
  const trusted: TrustedConfig[] = [{ digest: base.digest, source: 'base', commit: base.commit }, ...adopted];
  for (const c of checked) {
    const started = c.entries[0];
    if (!started || c.contract?.source !== 'task') continue;
    const under = await baseConfigFor(root, base, started);
    if (under && 'reason' in under) {
      problems.push({ ...under, taskId: c.taskId });
      continue;
    }
    if (under && under.digest !== base.digest)
      trusted.push({ digest: under.digest, source: 'base', commit: under.commit });
    const p = untrustedStart(c.taskId, started, c.path, c.contract.digest, under ?? base, trusted);
    if (p) problems.push(p);
  }
  const head = { commit: 'HEAD', config: headConfig, digest: configDigest(headConfig) };
  const p = untrustedHeadConfig(head, base, trusted);
  if (p) problems.push(p);
  return trusted;
}

/** The repository root around `cwd` and the commit at HEAD. */
async function checkoutOf(cwd: string): Promise<Result<{ root: string; head: string }>> {
  const top = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (top.code !== 0)
    return refuse(ErrorCode.USAGE, `${cwd} is not inside a git repository: run the gate on a checkout of the branch`, {
      argument: 'cwd',
    });
  const root = top.stdout.trim();
  const head = await resolveCommit(root, 'HEAD');
  if (!head)
    return refuse(ErrorCode.USAGE, 'the repository has no commit at HEAD: check out the branch to gate', {
      argument: 'cwd',
    });
  return ok({ root, head });
}

/** The config committed at HEAD, and its state folder relative to the root. */
async function committedConfig(root: string, head: string): Promise<Result<{ config: Config; stateRel: string }>> {
  const configPath = `${CONFIG_DIR}/${CONFIG_FILE}`;
  const [configBlob] = await readCommitted(root, head, [configPath]);
  if (configBlob?.kind !== 'file') {
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `no ${configPath} is committed at HEAD: the branch is not set up with Autopilot (run \`autopilot init\` and commit ${CONFIG_DIR}/)`,
      {
        key: '(file)',
        reason: 'missing',
        file: configPath,
      },
    );
  }
  // With the policy files committed beside it, as the loader reads them: they are part of the config's digest.
  const config = await withCommittedPolicies(
    root,
    head,
    parseConfigText(configBlob.bytes.toString('utf8'), configPath),
  );
  const stateRel = stateFolder(config.stateDir);
  if (stateRel === undefined) {
    return refuse(ErrorCode.CONFIG_INVALID, `stateDir "${config.stateDir}" is not a folder inside the repository`, {
      key: 'stateDir',
      reason: 'outside the repository',
      file: configPath,
    });
  }
  return ok({ config, stateRel });
}

/** The bundles added or changed from `from` to `head`; a deleted one is a problem of its own. */
async function findBundles(
  root: string,
  from: string,
  head: string,
  attDir: string,
): Promise<Result<{ bundles: { taskId: string; path: string }[]; problems: CiProblem[] }>> {
  const diff = await git(root, ['diff', '--name-status', '--no-renames', '-z', `${from}..${head}`, '--', attDir]);
  if (diff.code !== 0)
    return refuse(ErrorCode.USAGE, `git diff ${from}..HEAD failed: ${diff.stderr.trim()}`, { argument: 'base' });
  const problems: CiProblem[] = [];
  const bundles: { taskId: string; path: string }[] = [];
  const fields = diff.stdout.split('\0').filter((f) => f !== '');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [status, path] = [fields[i]!, fields[i + 1]!];
    const name = path.slice(attDir.length);
    if (!path.startsWith(attDir) || name.includes('/') || !name.endsWith('.jsonl')) continue;
    const taskId = name.slice(0, -'.jsonl'.length);
    if (status.startsWith('D')) {
      problems.push({
        taskId,
        check: 'bundle',
        code: ErrorCode.LEDGER_TAMPERED,
        file: path,
        reason: 'the bundle was deleted on the branch: committed attestations are the audit trail',
      });
    } else {
      bundles.push({ taskId, path });
    }
  }
  return ok({ bundles, problems });
}

/**
 * One task's bundle: integrity first; only a sound chain is read further: the contract the task adopted, the process
 * replayed against that contract's phases, every move made under it, and the evidence against its digests.
 */
async function checkTask(ctx: GateContext, taskId: string, path: string): Promise<Checked> {
  const opened = await openBundle(ctx, taskId, path);
  const { entries, keyIds } = opened;
  const problems = [...opened.problems];
  const empty: Checked = {
    taskId,
    path,
    entries,
    keyIds,
    problems,
    state: undefined,
    contract: null,
    config: undefined,
    artifacts: 0,
    files: new Map(),
    verified: new Set(),
  };
  if (problems.length > 0 || !entries[0]) return empty;

  const adopted = await adoptedContract(ctx, entries[0]);
  problems.push(...adopted.problems);
  if (!adopted.config) return empty;
  // The contracts a person adopted for the task since its start: each judges the moves made after it.
  const contracts =
    adopted.contract.source === 'task'
      ? await contractVersions(ctx, taskId, entries, { config: adopted.config, contract: adopted.contract })
      : { versions: [], contract: adopted.contract, problems: [] };
  problems.push(...contracts.problems);
  const judged = { ...empty, contract: contracts.contract, config: adopted.config };

  const replayed = replayProcess(taskId, path, entries, adopted.config);
  problems.push(...replayed.problems);
  const { state } = replayed;
  if (!state) return judged;

  problems.push(...movesUnderContract(taskId, entries, adopted.contract, path, contracts.versions));
  const versions = contracts.versions.length
    ? contracts.versions
    : [{ seq: 0, digest: adopted.contract.digest, config: adopted.config, file: adopted.contract.file }];

  // People's decisions (approvals, aborts, adoptions): each a passkey assertion by a registered credential; each
  // approval a move relied on, valid, under the approval rules of the contract in force at that move.
  const decisions = await checkTaskDecisions(ctx, taskId, path, entries, (seq) => contractAt(versions, seq).config);
  problems.push(...decisions.problems);
  decisions.keyIds.forEach((k) => keyIds.add(k));

  const evidence = await checkEvidence(ctx, state, path);
  problems.push(...evidence.problems);
  // The agent's evidence of every passed phase, against the contract in force when the phase was passed.
  problems.push(...revalidatePassed(taskId, entries, state, versions, evidence.files, ctx.inState));
  // REVIEW is not self-review: the rubric that passed it was another hand's, under the contract in force then.
  problems.push(
    ...recheckReview(taskId, entries, state, versions, ctx.inState, {
      verified: decisions.verified,
      trustedKeyIds: ctx.trustedKeyIds,
    }),
  );
  // VERIFY is re-run under the contract in force when it was passed.
  const verifyConfig = replayed.verifyPass ? contractAt(versions, replayed.verifyPass.seq).config : adopted.config;
  return {
    ...judged,
    config: verifyConfig,
    state,
    artifacts: evidence.artifacts,
    files: evidence.files,
    verified: decisions.verified,
    ...(replayed.verifyPass ? { verifyPass: replayed.verifyPass } : {}),
  };
}

/** Re-runs VERIFY for the task whose VERIFY passed last, unless the gate already failed; its problems join `problems`. */
async function recheckAnchor(
  ctx: GateContext,
  checked: readonly Checked[],
  problems: CiProblem[],
  opts: CiGateOptions,
): Promise<{ anchor: Checked | undefined; rechecks: Map<string, TaskCiGate['verify']> }> {
  const anchor = checked.filter((c) => c.verifyPass).sort((a, b) => b.verifyPass!.seq - a.verifyPass!.seq)[0];
  const rechecks = new Map<string, TaskCiGate['verify']>();
  if (!anchor) return { anchor, rechecks };
  if (problems.length > 0) {
    rechecks.set(anchor.taskId, {
      skipped: 'the gate already failed on the checks above; a re-run would not change that',
    });
    return { anchor, rechecks };
  }
  opts.progress?.(`re-running VERIFY for ${anchor.taskId} (build, tests, coverage)…`);
  const r = await recheckVerify(
    ctx,
    { state: anchor.state!, verifyPass: anchor.verifyPass!, files: anchor.files, config: anchor.config! },
    opts,
  );
  problems.push(...r.problems);
  rechecks.set(anchor.taskId, r.recheck);
  return { anchor, rechecks };
}

/** One task's line of the report. */
function taskReport(
  c: Checked,
  { anchor, rechecks }: Awaited<ReturnType<typeof recheckAnchor>>,
  problems: readonly CiProblem[],
): TaskCiGate {
  return {
    taskId: c.taskId,
    bundle: c.path,
    entries: c.entries.length,
    fromSeq: c.entries[0]?.seq ?? null,
    toSeq: c.entries[c.entries.length - 1]?.seq ?? null,
    phase: c.state?.phase ?? null,
    status: c.state?.status ?? null,
    artifacts: c.artifacts,
    contract: c.contract,
    ...waiversOf(c),
    keys: [...c.keyIds].sort(),
    verify:
      rechecks.get(c.taskId) ??
      (c.problems.length > 0
        ? { skipped: 'the bundle did not pass the checks above' }
        : c.verifyPass
          ? {
              skipped: `VERIFY was re-run for ${anchor?.taskId}, whose VERIFY is later (entry ${anchor?.verifyPass?.seq}) and saw the latest code`,
            }
          : { skipped: 'the bundle records no passed VERIFY' }),
    passed: !problems.some((p) => p.taskId === c.taskId),
  };
}

/** The waived checks the task's transitions relied on, when there are any. */
function waiversOf(c: Checked): { waivers?: NonNullable<TaskCiGate['waivers']> } {
  const waivers = c.entries.flatMap((x) =>
    x.taskId === c.taskId && x.kind === 'transition' && Array.isArray(x.data['waivers'])
      ? (x.data['waivers'] as { check?: unknown; reason?: unknown }[]).map((w) => ({
          check: String(w.check ?? ''),
          reason: String(w.reason ?? ''),
          phase: x.fromPhase ?? '',
          seq: x.seq,
        }))
      : [],
  );
  return waivers.length ? { waivers } : {};
}

/** A failed gate as a refusal: LEDGER_TAMPERED when any integrity check failed, else the first problem's code. */
function failed(report: CiGateReport): Result<CiGateReport> {
  const { problems } = report;
  const code = problems.some((p) => p.code === ErrorCode.LEDGER_TAMPERED)
    ? ErrorCode.LEDGER_TAMPERED
    : problems[0]!.code;
  const lines = problems.slice(0, 20).map((p) => `  - ${describeProblem(p)}`);
  if (problems.length > 20) lines.push(`  … and ${problems.length - 20} more (see --json)`);
  return refuse(
    code,
    `the gate failed with ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
    { ...report },
  );
}

/** The state folder relative to the root, with forward slashes ('' for the root itself); undefined when it leaves the repository. */
function stateFolder(stateDir: string): string | undefined {
  const rel = stateDir
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  if (rel === '.' || rel === '') return '';
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel) || rel.split('/').includes('..')) return undefined;
  return rel;
}

async function resolveBase(
  root: string,
  head: string,
  given: string | undefined,
): Promise<Result<CiGateReport['base']>> {
  let found: { ref: string; commit: string; how: 'given' | 'default' } | undefined;
  if (given !== undefined) {
    const commit = await resolveCommit(root, given);
    if (!commit) {
      return refuse(
        ErrorCode.USAGE,
        `--base ${given} does not name a commit in this clone: fetch the whole history (actions/checkout with fetch-depth: 0) or give another ref`,
        {
          argument: 'base',
        },
      );
    }
    found = { ref: given, commit, how: 'given' };
  } else {
    for (const ref of DEFAULT_BASES) {
      const commit = await resolveCommit(root, ref);
      if (commit) {
        found = { ref, commit, how: 'default' };
        break;
      }
    }
    if (!found) {
      return refuse(
        ErrorCode.USAGE,
        `no --base given, and none of ${DEFAULT_BASES.join(', ')} exists in this clone: pass --base <ref>, the commit the branch is compared with`,
        {
          argument: 'base',
        },
      );
    }
  }
  const mb = await git(root, ['merge-base', found.commit, head]);
  if (mb.code !== 0) {
    return refuse(
      ErrorCode.USAGE,
      `${found.ref} and HEAD have no common history in this clone: fetch the whole history (fetch-depth: 0)`,
      { argument: 'base' },
    );
  }
  return ok({ ...found, mergeBase: mb.stdout.trim() });
}

/** A problem for each bundle signed by a key outside `trusted`, however well its signatures verify. */
function untrusted(checked: readonly Checked[], trusted: readonly string[]): CiProblem[] {
  const problems: CiProblem[] = [];
  const list = trusted.length ? trusted.join(', ') : 'none';
  for (const c of checked) {
    for (const keyId of [...c.keyIds].sort()) {
      if (trusted.includes(keyId)) continue;
      problems.push({
        taskId: c.taskId,
        check: 'signature',
        code: ErrorCode.LEDGER_TAMPERED,
        file: c.path,
        reason: `signed by key ${keyId}, which is not a trusted key (trusted: ${list}); if it is one of your team's installations, add it to AUTOPILOT_TRUSTED_KEYS`,
      });
    }
  }
  return problems;
}
