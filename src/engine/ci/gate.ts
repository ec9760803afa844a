/**
 * @module Use case: the CI gate of a branch. Without the local store or private
 * key, it checks every attestation bundle committed on the branch (signatures,
 * hashes, chain), the phase order it records, the evidence files it names, and
 * re-runs VERIFY on the checkout to compare with what was recorded.
 */
import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { AutopilotError, ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { GENESIS_HASH, checkChain, type LedgerEntry } from '../../core/ledger.ts';
import { applyEntry, type TaskState } from '../../core/task.ts';
import { nextPhase, phaseIndex } from '../../core/phases.ts';
import type { Config } from '../../core/config.ts';
import type { Store } from '../../ports/store.ts';
import type { CommandRunner } from '../../ports/runner.ts';
import { noopSink } from '../../ports/events.ts';
import { systemClock } from '../../ports/clock.ts';
import { produceVerify, type VerifyOutput } from '../evidence/producers/verify.ts';
import { bundlePhase, envelopeVerifier } from '../ledger/bundle.ts';
import { chainCrypto, keyIdOf, type Signer } from '../ledger/keys.ts';
import { sha256Hex } from '../repo/files.ts';
import { configDigest } from '../repo/config-digest.ts';
import { parseConfigText } from '../repo/config-file.ts';
import { EMPTY_TREE, git, resolveCommit } from '../repo/git.ts';
import { CONFIG_DIR, CONFIG_FILE, evidenceRel, layoutFor, type Layout } from '../repo/layout.ts';
import type { Engine } from '../context.ts';

/** Which check found a problem. */
export type CiCheck = 'bundle' | 'signature' | 'chain' | 'process' | 'config' | 'evidence' | 'verify';

/** One reason the gate fails: the task, the ledger entry, the file (repository-relative) and what is wrong. */
export interface CiProblem {
  readonly taskId: string | null;
  readonly check: CiCheck;
  /** LEDGER_TAMPERED for signature, hash, chain and evidence-digest problems (exit 3); a process code otherwise (exit 2). */
  readonly code: ErrorCode;
  readonly seq?: number;
  readonly file?: string;
  /** Line of the bundle, for bundle, signature and chain problems. */
  readonly line?: number;
  readonly reason: string;
}

type Totals = { total: number; failed: number; errors: number };

/** VERIFY run again on the checkout, beside what the ledger recorded. */
export interface VerifyRecheck {
  /** The entry that recorded the VERIFY results compared with. */
  readonly seq: number;
  readonly passed: boolean;
  readonly tests: Totals | null;
  readonly recorded: Totals | null;
  readonly coverage: { readonly percent: number; readonly threshold: number; readonly meetsThreshold: boolean } | null;
  readonly sameCode: boolean;
}

/** What the gate found for one task's bundle. */
export interface TaskCiGate {
  readonly taskId: string;
  /** The bundle, repository-relative. */
  readonly bundle: string;
  readonly entries: number;
  readonly fromSeq: number | null;
  readonly toSeq: number | null;
  /** The phase the bundle leaves the task in, and its status. */
  readonly phase: string | null;
  readonly status: string | null;
  /** Evidence files compared with their ledger digests. */
  readonly artifacts: number;
  readonly keys: string[];
  /** The re-run, or why there was none for this task. */
  readonly verify: VerifyRecheck | { readonly skipped: string };
  readonly passed: boolean;
}

export interface CiGateReport {
  readonly passed: boolean;
  /** `ref` as given (or found), the commit it names, and the merge-base with HEAD the branch is compared from. */
  readonly base: {
    readonly ref: string;
    readonly commit: string;
    readonly mergeBase: string;
    readonly how: 'given' | 'default';
  };
  readonly head: string;
  readonly stateDir: string;
  readonly tasks: TaskCiGate[];
  /**
   * Committed public keys; `new` ones were added on the branch and deserve a reviewer's look.
   * `trusted` is there when the gate was given its trusted keys ({@link CiGateOptions.trustedKeys}).
   */
  readonly keys: { readonly keyId: string; readonly new: boolean; readonly trusted?: boolean }[];
  readonly problems: CiProblem[];
}

export interface CiGateOptions {
  readonly cwd: string;
  /** The ref the branch is compared from; the merge-base with {@link DEFAULT_BASES} when absent. */
  readonly base?: string;
  /** The store the re-run's engine gets (it writes nothing there): the composition root picks it. */
  readonly openStore: (layout: Layout, config: Config) => Promise<Store>;
  /** The runner of VERIFY's commands for the config (the composition root picks the sandbox). */
  readonly makeRunner: (layout: Layout, config: Config) => CommandRunner;
  /** Progress for a person watching: the re-run takes as long as the tests. */
  readonly progress?: (line: string) => void;
  /**
   * The key ids whose signatures count, from outside the branch (a CI variable): anyone who can
   * push can also commit a key of their own and sign a bundle with it. Absent: every committed key counts.
   */
  readonly trustedKeys?: readonly string[];
}

/** Refs tried, in order, for the merge-base when no base is given. */
export const DEFAULT_BASES = ['origin/main', 'main', 'origin/master', 'master'] as const;

/** The re-run's engine signs nothing: the gate records nothing. */
const NO_SIGNER: Signer = {
  keyId: 'ci-gate',
  publicKeyPem: '',
  sign: () => {
    throw new AutopilotError(ErrorCode.INTERNAL, 'the CI gate signs nothing');
  },
  signBytes: () => {
    throw new AutopilotError(ErrorCode.INTERNAL, 'the CI gate signs nothing');
  },
};

/**
 * Runs the gate on the checkout around `opts.cwd`. A report that passes is a value;
 * a failed gate is a refusal whose details are the report: LEDGER_TAMPERED when
 * any signature, hash, chain or evidence digest is wrong, else the first problem's code.
 */
export async function runGate(opts: CiGateOptions): Promise<Result<CiGateReport>> {
  const top = await git(opts.cwd, ['rev-parse', '--show-toplevel']);
  if (top.code !== 0)
    return refuse(
      ErrorCode.USAGE,
      `${opts.cwd} is not inside a git repository: run the gate on a checkout of the branch`,
      { argument: 'cwd' },
    );
  const root = top.stdout.trim();
  const head = await resolveCommit(root, 'HEAD');
  if (!head)
    return refuse(ErrorCode.USAGE, 'the repository has no commit at HEAD: check out the branch to gate', {
      argument: 'cwd',
    });

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
  const config = parseConfigText(configBlob.bytes.toString('utf8'), configPath);
  const stateRel = stateFolder(config.stateDir);
  if (stateRel === undefined) {
    return refuse(ErrorCode.CONFIG_INVALID, `stateDir "${config.stateDir}" is not a folder inside the repository`, {
      key: 'stateDir',
      reason: 'outside the repository',
      file: configPath,
    });
  }
  const inState = (p: string) => (stateRel === '' ? p : `${stateRel}/${p}`);

  const base = await resolveBase(root, head, opts.base);
  if (!base.ok) return base;

  // The bundles the branch touched.
  const attDir = inState('attestations/');
  const diff = await git(root, [
    'diff',
    '--name-status',
    '--no-renames',
    '-z',
    `${base.value.mergeBase}..${head}`,
    '--',
    attDir,
  ]);
  if (diff.code !== 0)
    return refuse(ErrorCode.USAGE, `git diff ${base.value.mergeBase}..HEAD failed: ${diff.stderr.trim()}`, {
      argument: 'base',
    });
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
  if (bundles.length === 0 && problems.length === 0) {
    return refuse(
      ErrorCode.EVIDENCE_MISSING,
      `no attestation bundle (${inState('attestations/<TASK>.jsonl')}) was added or changed between ${base.value.ref} (${base.value.mergeBase.slice(0, 12)}) and HEAD: this change was made without Autopilot. Take the work through Autopilot up to PR (autopilot task start …), then commit ${stateRel || '.'}/ with it`,
      { base: base.value, head, stateDir: stateRel },
    );
  }

  const keys = await committedKeys(root, head, inState('attestations/keys/'));
  const baseKeys = await committedKeys(root, base.value.mergeBase, inState('attestations/keys/'));
  const ctx: BundleContext = { root, head, config, keys, inState };
  const checked: Checked[] = [];
  for (const b of bundles) checked.push(await checkBundle(ctx, b.taskId, b.path));
  for (const c of checked) problems.push(...c.problems);
  if (opts.trustedKeys) problems.push(...untrusted(checked, opts.trustedKeys));

  // VERIFY is re-run once, for the task whose VERIFY was passed last: its run saw the latest code.
  const anchor = checked.filter((c) => c.verifyPass).sort((a, b) => b.verifyPass!.seq - a.verifyPass!.seq)[0];
  const rechecks = new Map<string, TaskCiGate['verify']>();
  if (anchor) {
    if (problems.length > 0) {
      rechecks.set(anchor.taskId, {
        skipped: 'the gate already failed on the checks above; a re-run would not change that',
      });
    } else {
      opts.progress?.(`re-running VERIFY for ${anchor.taskId} (build, tests, coverage)…`);
      const r = await recheckVerify(ctx, anchor, opts);
      problems.push(...r.problems);
      rechecks.set(anchor.taskId, r.recheck);
    }
  }

  const tasks: TaskCiGate[] = checked.map((c) => ({
    taskId: c.taskId,
    bundle: c.path,
    entries: c.entries.length,
    fromSeq: c.entries[0]?.seq ?? null,
    toSeq: c.entries[c.entries.length - 1]?.seq ?? null,
    phase: c.state?.phase ?? null,
    status: c.state?.status ?? null,
    artifacts: c.artifacts,
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
  }));
  const report: CiGateReport = {
    passed: problems.length === 0,
    base: base.value,
    head,
    stateDir: stateRel,
    tasks,
    keys: [...keys.keys()].sort().map((keyId) => ({
      keyId,
      new: !baseKeys.has(keyId),
      ...(opts.trustedKeys ? { trusted: opts.trustedKeys.includes(keyId) } : {}),
    })),
    problems,
  };
  if (report.passed) return ok(report);
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

/** One problem on one line: task, entry, file and reason. */
export function describeProblem(p: CiProblem): string {
  const where = [
    p.taskId ?? '-',
    p.seq !== undefined ? `entry ${p.seq}` : '',
    p.file ? `${p.file}${p.line !== undefined ? `:${p.line}` : ''}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `${where}: ${p.reason}`;
}

interface BundleContext {
  readonly root: string;
  readonly head: string;
  readonly config: Config;
  readonly keys: Map<string, string>;
  readonly inState: (p: string) => string;
}

interface Checked {
  readonly taskId: string;
  readonly path: string;
  readonly entries: LedgerEntry[];
  readonly state: TaskState | undefined;
  readonly keyIds: Set<string>;
  readonly problems: CiProblem[];
  readonly artifacts: number;
  /** The last transition out of VERIFY. */
  readonly verifyPass?: LedgerEntry;
  /** Committed evidence read for the digest check, by path relative to the state folder. */
  readonly files: Map<string, Buffer>;
}

async function checkBundle(ctx: BundleContext, taskId: string, path: string): Promise<Checked> {
  const problems: CiProblem[] = [];
  const entries: LedgerEntry[] = [];
  const keyIds = new Set<string>();
  const files = new Map<string, Buffer>();
  const result = (extra: Partial<Checked> = {}): Checked => ({
    taskId,
    path,
    entries,
    state: undefined,
    keyIds,
    problems,
    artifacts: 0,
    files,
    ...extra,
  });
  const tampered = (p: Omit<CiProblem, 'taskId' | 'code' | 'file'>) =>
    problems.push({ taskId, code: ErrorCode.LEDGER_TAMPERED, file: path, ...p });

  const [blob] = await readCommitted(ctx.root, ctx.head, [path]);
  if (blob?.kind !== 'file') {
    tampered({ check: 'bundle', reason: 'the bundle is not a committed file at HEAD' });
    return result();
  }
  const lines = blob.bytes.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) tampered({ check: 'bundle', reason: 'the bundle is empty' });

  // Integrity: each envelope, each entry's hash and signature, and the links between entries.
  const open = envelopeVerifier(ctx.keys);
  const crypto = chainCrypto(ctx.keys);
  let prev: LedgerEntry | undefined;
  lines.forEach((text, i) => {
    const line = open(text, i + 1);
    line.keyIds.forEach((k) => keyIds.add(k));
    for (const p of line.problems)
      tampered({
        check: p.kind === 'signature' ? 'signature' : 'bundle',
        line: line.line,
        reason: p.reason,
        ...(line.entry ? { seq: line.entry.seq } : {}),
      });
    const entry = line.entry;
    if (!entry) return;
    keyIds.add(entry.keyId);
    const at = { line: line.line, seq: entry.seq };
    if (prev && entry.seq !== prev.seq + 1)
      tampered({ check: 'chain', ...at, reason: `sequence gap: entry ${prev.seq} is followed by entry ${entry.seq}` });
    else if (prev && entry.prevHash !== prev.hash)
      tampered({ check: 'chain', ...at, reason: `prevHash does not match the hash of entry ${prev.seq}` });
    else if (!prev && entry.seq === 1 && entry.prevHash !== GENESIS_HASH)
      tampered({ check: 'chain', ...at, reason: 'the first entry of the ledger must link to the genesis hash' });
    // The entry on its own: its hash over the canonical payload, and its ed25519 signature.
    const own = checkChain([entry], entry.seq === 1 ? null : { seq: entry.seq - 1, hash: entry.prevHash }, crypto);
    if (own)
      tampered({
        check: /signature/.test(own.reason) ? 'signature' : 'chain',
        ...at,
        reason: own.reason.replace('signature does not verify', "the entry's signature does not verify"),
      });
    entries.push(entry);
    prev = entry;
  });
  const first = entries[0];
  if (first && (first.taskId !== taskId || first.kind !== 'task_started')) {
    tampered({
      check: 'chain',
      seq: first.seq,
      line: 1,
      reason: `the bundle must start with the task's first entry (task_started of ${taskId}), not a ${first.kind} of ${first.taskId ?? 'no task'}`,
    });
  }
  if (problems.length > 0) return result();

  // The process: every phase passed in order up to PR, backtracks allowed.
  const { phases } = ctx.config;
  const target = bundlePhase(phases);
  let state: TaskState | undefined;
  let verifyPass: LedgerEntry | undefined;
  let lastTransition: LedgerEntry | undefined;
  const refused = (entry: LedgerEntry | undefined, reason: string, code: ErrorCode = ErrorCode.PHASE_SKIP) =>
    problems.push({ taskId, check: 'process', code, file: path, ...(entry ? { seq: entry.seq } : {}), reason });
  for (const entry of entries) {
    if (entry.taskId !== taskId) continue;
    if (entry.kind === 'task_started') {
      if (state) refused(entry, `${taskId} is started a second time`);
      else if (entry.toPhase !== phases[0]) refused(entry, `${taskId} starts in ${entry.toPhase}, not in ${phases[0]}`);
    } else if (state && entry.kind === 'transition') {
      const next = nextPhase(phases, state.phase) ?? null;
      const to = entry.toPhase;
      if (entry.fromPhase !== state.phase || to !== next) {
        const move = `the transition ${entry.fromPhase} → ${to ?? 'DONE'} does not follow`;
        const skipped =
          to && phaseIndex(phases, to) > phaseIndex(phases, state.phase) + 1
            ? phases.slice(phaseIndex(phases, state.phase) + 1, phaseIndex(phases, to))
            : [];
        refused(
          entry,
          entry.fromPhase !== state.phase
            ? `${move}: the task was in ${state.phase}, and no transition passed ${state.phase}`
            : `${move}: the next phase after ${state.phase} is ${next ?? 'the end'}${skipped.length ? `; ${skipped.join(', ')} skipped` : ''}`,
        );
      }
      lastTransition = entry;
      if (entry.fromPhase === 'VERIFY') verifyPass = entry;
    } else if (state && entry.kind === 'backtrack') {
      const to = entry.toPhase ?? '';
      if (
        entry.fromPhase !== state.phase ||
        phaseIndex(phases, to) < 0 ||
        phaseIndex(phases, to) >= phaseIndex(phases, state.phase)
      ) {
        refused(entry, `the backtrack ${entry.fromPhase} → ${to} does not follow: the task was in ${state.phase}`);
      }
      if (phaseIndex(phases, to) <= phaseIndex(phases, 'VERIFY')) verifyPass = undefined;
    } else if (state && entry.kind === 'task_aborted') {
      refused(entry, `${taskId} was aborted`, ErrorCode.TASK_DONE);
    }
    state = applyEntry(state, entry);
  }
  if (!state) {
    refused(undefined, `the bundle holds no task_started entry of ${taskId}`);
    return result();
  }
  if (state.status !== 'done' && phaseIndex(phases, state.phase) < phaseIndex(phases, target)) {
    refused(
      entries[entries.length - 1],
      `the bundle leaves ${taskId} in ${state.phase}: every phase up to ${target} must be passed (${phases.slice(phaseIndex(phases, state.phase), phaseIndex(phases, target)).join(', ')} missing)`,
    );
  }

  // The contract the task was checked against is the one committed.
  const recordedConfig = lastTransition?.data['configDigest'];
  if (lastTransition && typeof recordedConfig === 'string' && recordedConfig !== configDigest(ctx.config)) {
    problems.push({
      taskId,
      check: 'config',
      code: ErrorCode.EVIDENCE_INVALID,
      seq: lastTransition.seq,
      file: `${CONFIG_DIR}/${CONFIG_FILE}`,
      reason: `the committed config is not the one entry ${lastTransition.seq} checked the task against (config digest ${recordedConfig.slice(0, 12)}…, committed ${configDigest(ctx.config).slice(0, 12)}…): restore it, or pass the task's phases again under the new config`,
    });
  }

  // Every live artifact, as committed, against the digest the ledger recorded.
  const live = Object.values(state.artifacts).sort((a, b) => a.path.localeCompare(b.path));
  const safe = live.filter((a) => {
    const ok =
      !a.path.includes('\n') && !a.path.startsWith('/') && !a.path.split('/').includes('..') && !a.path.includes('\\');
    if (!ok)
      refused(
        undefined,
        `entry ${a.seq} names the artifact path ${JSON.stringify(a.path)}, outside the evidence folder`,
        ErrorCode.PATH_OUTSIDE_EVIDENCE,
      );
    return ok;
  });
  const blobs = await readCommitted(
    ctx.root,
    ctx.head,
    safe.map((a) => ctx.inState(a.path)),
  );
  safe.forEach((a, i) => {
    const b = blobs[i]!;
    const file = ctx.inState(a.path);
    if (b.kind !== 'file') {
      problems.push({
        taskId,
        check: 'evidence',
        code: ErrorCode.LEDGER_TAMPERED,
        seq: a.seq,
        file,
        reason: `recorded by entry ${a.seq} but not committed at HEAD: commit the evidence folder with the work`,
      });
    } else if (b.sha256 !== a.sha256) {
      problems.push({
        taskId,
        check: 'evidence',
        code: ErrorCode.LEDGER_TAMPERED,
        seq: a.seq,
        file,
        reason: `changed after entry ${a.seq} recorded it (sha256 ${a.sha256.slice(0, 12)}… recorded, ${b.sha256.slice(0, 12)}… committed)`,
      });
    } else {
      files.set(a.path, b.bytes);
    }
  });
  return result({ state, artifacts: safe.length, files, ...(verifyPass ? { verifyPass } : {}) });
}

/** Runs VERIFY's commands on the checkout, as Autopilot did, and compares with the recorded run. */
async function recheckVerify(
  ctx: BundleContext,
  task: Checked,
  opts: CiGateOptions,
): Promise<{ recheck: TaskCiGate['verify']; problems: CiProblem[] }> {
  const state = task.state!;
  const seq = task.verifyPass!.seq;
  const problems: CiProblem[] = [];
  const rel = (name: string) => evidenceRel(state.taskId, 'VERIFY', name);
  const fail = (name: string, reason: string, code: ErrorCode = ErrorCode.VERIFY_FAILED) =>
    problems.push({
      taskId: state.taskId,
      check: 'verify',
      code,
      seq: state.artifacts[rel(name)]?.seq ?? seq,
      file: ctx.inState(rel(name)),
      reason,
    });
  if (state.baseCommit && state.baseCommit !== EMPTY_TREE && !(await resolveCommit(ctx.root, state.baseCommit))) {
    fail(
      'verify_run.json',
      `the task's base commit ${state.baseCommit.slice(0, 12)} is not in this clone: fetch the whole history (actions/checkout with fetch-depth: 0, GIT_DEPTH: 0)`,
      ErrorCode.USAGE,
    );
    return { recheck: { skipped: 'the base commit is missing' }, problems };
  }
  const layout = layoutFor(ctx.root, ctx.config.stateDir);
  const store = await opts.openStore(layout, ctx.config);
  let out: VerifyOutput;
  try {
    const engine: Engine = {
      layout,
      config: ctx.config,
      store,
      signer: NO_SIGNER,
      clock: systemClock,
      sink: noopSink,
      runner: opts.makeRunner(layout, ctx.config),
    };
    out = await produceVerify(engine, state);
  } finally {
    await store.close();
  }
  const recordedTests = readJson(task.files.get(rel('test_results.json'))) as { totals?: Partial<Totals> } | undefined;
  const recordedRun = readJson(task.files.get(rel('verify_run.json'))) as { treeDigest?: unknown } | undefined;
  const recorded = recordedTests?.totals
    ? {
        total: Number(recordedTests.totals.total ?? 0),
        failed: Number(recordedTests.totals.failed ?? 0),
        errors: Number(recordedTests.totals.errors ?? 0),
      }
    : null;
  const tests = out.tests ? { total: out.tests.total, failed: out.tests.failed, errors: out.tests.errors } : null;
  for (const p of out.problems)
    fail(
      /coverage/.test(p) ? 'coverage_report.json' : /build/.test(p) ? 'build_output.log' : 'test_results.json',
      `the re-run on this checkout fails: ${p}`,
    );
  if (!recorded) fail('test_results.json', 'the recorded test results are missing or unreadable');
  else if (
    tests &&
    (tests.total !== recorded.total || tests.failed + tests.errors !== recorded.failed + recorded.errors)
  ) {
    fail(
      'test_results.json',
      `the re-run ran ${tests.total} tests with ${tests.failed + tests.errors} failing; the recorded run had ${recorded.total} with ${recorded.failed + recorded.errors} failing`,
    );
  }
  const sameCode = recordedRun?.treeDigest === out.treeDigest;
  if (!sameCode) {
    fail(
      'verify_run.json',
      `the code on the branch is not the code VERIFY ran on: its diff from the task's base ${state.baseCommit?.slice(0, 12)} has sha256 ${out.treeDigest.slice(0, 12)}…, the recorded run ${String(recordedRun?.treeDigest ?? 'none').slice(0, 12)}…. Code changed after VERIFY (or files are uncommitted, or the branch was rebased since): take the task back with autopilot backtrack ${state.taskId} --to IMPLEMENT and pass the phases again`,
    );
  }
  return {
    problems,
    recheck: {
      seq,
      passed: problems.length === 0,
      tests,
      recorded,
      coverage: out.coverage
        ? {
            percent: out.coverage.percent,
            threshold: out.coverage.threshold,
            meetsThreshold: out.coverage.meetsThreshold,
          }
        : null,
      sameCode,
    },
  };
}

function readJson(bytes: Buffer | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
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

/** Public keys committed under `dir` at `commit`, by key id; a key filed under another key's id is left out. */
async function committedKeys(root: string, commit: string, dir: string): Promise<Map<string, string>> {
  const listing = await git(root, ['ls-tree', '-r', '-z', '--name-only', commit, '--', dir]);
  const names =
    listing.code === 0
      ? listing.stdout.split('\0').filter((p) => p.startsWith(dir) && /^[^/]+\.pub\.pem$/.test(p.slice(dir.length)))
      : [];
  const blobs = await readCommitted(root, commit, names);
  const keys = new Map<string, string>();
  names.forEach((name, i) => {
    const b = blobs[i]!;
    const keyId = name.slice(dir.length, -'.pub.pem'.length);
    if (b.kind !== 'file') return;
    try {
      if (keyIdOf(createPublicKey(b.bytes)) === keyId) keys.set(keyId, b.bytes.toString('utf8'));
    } catch {
      // not a public key: it verifies nothing
    }
  });
  return keys;
}

type Blob =
  | { readonly kind: 'file'; readonly bytes: Buffer; readonly sha256: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'not-a-file' };

/** Reads files as committed at `commit`, byte for byte, with one `git cat-file --batch`. */
async function readCommitted(root: string, commit: string, paths: readonly string[]): Promise<Blob[]> {
  if (paths.length === 0) return [];
  const out = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    const chunks: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(chunks))
        : reject(
            new AutopilotError(
              ErrorCode.INTERNAL,
              `git cat-file failed: ${Buffer.concat(err).toString('utf8').trim()}`,
              { commit },
            ),
          ),
    );
    child.stdin.end(paths.map((p) => `${commit}:${p}\n`).join(''));
  });
  const blobs: Blob[] = [];
  let pos = 0;
  for (let i = 0; i < paths.length; i++) {
    const nl = out.indexOf(10, pos);
    const header = out.subarray(pos, nl < 0 ? out.length : nl).toString('utf8');
    pos = nl + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) {
      blobs.push({ kind: 'missing' });
      continue;
    }
    const size = Number(m[2]);
    const bytes = Buffer.from(out.subarray(pos, pos + size));
    pos += size + 1;
    blobs.push(m[1] === 'blob' ? { kind: 'file', bytes, sha256: sha256Hex(bytes) } : { kind: 'not-a-file' });
  }
  return blobs;
}
