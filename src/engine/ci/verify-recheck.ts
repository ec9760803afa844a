/**
 * @module VERIFY run again on the checkout, with the commands of the contract, and
 * compared with the run the ledger recorded: the same tests with the same outcome,
 * the coverage threshold met, and the same code.
 */
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import type { Config } from '../../core/config.ts';
import type { Store } from '../../ports/store.ts';
import type { CommandRunner } from '../../ports/runner.ts';
import { noopSink } from '../../ports/events.ts';
import { systemClock } from '../../ports/clock.ts';
import { produceVerify, type VerifyOutput } from '../evidence/producers/verify.ts';
import type { CommandFailure, FailureKind } from '../evidence/producers/run-commands.ts';
import type { Signer } from '../ledger/keys.ts';
import { EMPTY_TREE, isAncestor, resolveCommit } from '../repo/git.ts';
import { evidenceRel, layoutFor, type Layout } from '../repo/layout.ts';
import type { Engine } from '../context.ts';
import { readJson } from './committed.ts';
import type { GateContext } from './check-bundle.ts';
import {
  LOG_TAIL_LINES,
  MAX_FAILED_CASES,
  type CiProblem,
  type TaskCiGate,
  type Totals,
  type VerifyRecheck,
} from './report.ts';

/** How the re-run gets its store and runner: the composition root picks them. */
export interface RecheckDeps {
  /** The store the re-run's engine gets (it writes nothing there). */
  readonly openStore: (layout: Layout, config: Config) => Promise<Store>;
  /** The runner of VERIFY's commands for the config (the sandbox). */
  readonly makeRunner: (layout: Layout, config: Config) => CommandRunner;
}

/** The task whose VERIFY is run again: its state, the transition out of VERIFY, its committed evidence. */
export interface RecheckTask {
  readonly state: TaskState;
  readonly verifyPass: LedgerEntry;
  /** Committed evidence by path relative to the state folder. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** The contract the task is judged by: its VERIFY commands and coverage threshold. */
  readonly config: Config;
}

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

/** Runs VERIFY's commands on the checkout, as Autopilot did, and compares with the recorded run. */
export async function recheckVerify(
  ctx: GateContext,
  task: RecheckTask,
  deps: RecheckDeps,
): Promise<{ recheck: TaskCiGate['verify']; problems: CiProblem[] }> {
  const { state } = task;
  const seq = task.verifyPass.seq;
  const problems: CiProblem[] = [];
  // The phase the recorded run passed (a transition always has one): the verify role's phase when it was recorded.
  const verifyPhase = task.verifyPass.fromPhase as string;
  // The CI gate speaks through the command line only, so its advice names the command; the phase is the contract's.
  const backTo = task.config.roles.implement ?? 'the phase where the code changes';
  const rel = (name: string) => evidenceRel(state.taskId, verifyPhase, name);
  const fail = (name: string, reason: string, code: ErrorCode = ErrorCode.VERIFY_FAILED) =>
    problems.push({
      taskId: state.taskId,
      check: 'verify',
      code,
      seq: state.artifacts[rel(name)]?.seq ?? seq,
      file: ctx.inState(rel(name)),
      reason,
    });
  const recordedTests = readJson(task.files.get(rel('test_results.json'))) as { totals?: Partial<Totals> } | undefined;
  const recordedRun = readJson(task.files.get(rel('verify_run.json'))) as
    { treeDigest?: unknown; patchId?: unknown } | undefined;
  const recordedPatch = typeof recordedRun?.patchId === 'string' ? recordedRun.patchId : undefined;

  // Where the task's change starts on this branch: its base, or, after a rebase, the merge-base.
  const from = await changeBase(ctx, state.baseCommit, recordedPatch !== undefined);
  if (!from) {
    fail(
      'verify_run.json',
      `the task's base commit ${state.baseCommit?.slice(0, 12)} is not in this clone: fetch the whole history (actions/checkout with fetch-depth: 0, GIT_DEPTH: 0)`,
      ErrorCode.USAGE,
    );
    return { recheck: { skipped: 'the base commit is missing' }, problems };
  }
  const out = await runVerify(ctx, task.config, { ...state, baseCommit: from.commit }, deps);
  const recorded = recordedTests?.totals
    ? {
        total: Number(recordedTests.totals.total ?? 0),
        failed: Number(recordedTests.totals.failed ?? 0),
        errors: Number(recordedTests.totals.errors ?? 0),
      }
    : null;
  const tests = out.tests ? { total: out.tests.total, failed: out.tests.failed, errors: out.tests.errors } : null;
  for (const f of out.failures) fail(FAILURE_EVIDENCE[f.kind](f), `the re-run on this checkout fails: ${f.message}`);
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
  // The same code: the same diff from the task's base, byte for byte; after a rebase, the same patch.
  const sameCode =
    from.role === 'task base' ? recordedRun?.treeDigest === out.treeDigest : recordedPatch === out.patchId;
  if (!sameCode && from.role === 'task base') {
    fail(
      'verify_run.json',
      `the code on the branch is not the code VERIFY ran on: its diff from the task's base ${from.commit.slice(0, 12)} has sha256 ${out.treeDigest.slice(0, 12)}…, the recorded run ${String(recordedRun?.treeDigest ?? 'none').slice(0, 12)}…. Code changed after VERIFY (or files are uncommitted${recordedPatch ? '' : ', or the branch was rebased since: this run was recorded before VERIFY recorded patch-ids'}): take the task back with autopilot backtrack ${state.taskId} --to ${backTo} and pass the phases again`,
    );
  } else if (!sameCode && from.role === 'merge-base') {
    fail(
      'verify_run.json',
      `the task's change on the branch is not the patch VERIFY checked: the branch's diff from the merge-base ${from.commit.slice(0, 12)} (the task's base ${state.baseCommit?.slice(0, 12)} ${from.why}) has patch-id ${out.patchId?.slice(0, 12) ?? 'none (no change)'}…, VERIFY's diff had ${recordedPatch?.slice(0, 12)}…. A rebase that changed the task's lines, or code changed after VERIFY: take the task back with autopilot backtrack ${state.taskId} --to ${backTo} and pass the phases again`,
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
      compared: {
        how: from.role === 'task base' ? 'diff digest' : 'patch-id',
        from: from.commit,
        role: from.role,
        ...(from.role === 'merge-base' ? { why: from.why } : {}),
      },
      ...(problems.length > 0 ? failedOutput(out) : {}),
    },
  };
}

/** Where the task's change starts on the branch, and why there. */
type ChangeBase =
  | { readonly commit: string; readonly role: 'task base' }
  | { readonly commit: string; readonly role: 'merge-base'; readonly why: string };

/**
 * The task's change is the diff from its base commit to the tree VERIFY ran on. On the branch it starts at the task's
 * base while that commit lies on the branch (between the merge-base and HEAD). When it does not, the branch was
 * rebased (or merged with) a newer base, or the base was rewritten: then the branch's own change starts at the
 * merge-base, and only a run that recorded its patch-id can be matched there. Undefined when the base is needed but
 * missing from the clone.
 */
async function changeBase(
  ctx: GateContext,
  base: string | null,
  patchRecorded: boolean,
): Promise<ChangeBase | undefined> {
  if (!base || base === EMPTY_TREE) return { commit: base ?? EMPTY_TREE, role: 'task base' };
  const present = await resolveCommit(ctx.root, base);
  if (present && (await isAncestor(ctx.root, ctx.mergeBase, base)) && (await isAncestor(ctx.root, base, ctx.head)))
    return { commit: base, role: 'task base' };
  if (!patchRecorded) return present ? { commit: base, role: 'task base' } : undefined;
  const why = !present
    ? 'is not in this clone: the branch was rebased'
    : (await isAncestor(ctx.root, base, ctx.mergeBase))
      ? 'is behind it: the branch was rebased onto, or merged with, a newer base'
      : 'is not on the branch any more: the branch was rebased';
  return { commit: ctx.mergeBase, role: 'merge-base', why };
}

/** The VERIFY evidence file that shows each kind of failure. */
const FAILURE_EVIDENCE: Record<FailureKind, (f: CommandFailure) => string> = {
  build: () => 'build_output.log',
  // A command that could not start, crashed, or was set up wrong: the log of the build, else the test results.
  spawn: (f) => (f.command === 'build' ? 'build_output.log' : 'test_results.json'),
  crash: (f) => (f.command === 'build' ? 'build_output.log' : 'test_results.json'),
  config: (f) =>
    f.command === 'build'
      ? 'build_output.log'
      : f.command.startsWith('supplyChain')
        ? 'vulnerabilities.json'
        : 'test_results.json',
  tests: () => 'test_results.json',
  coverage: () => 'coverage_report.json',
  untested: () => 'coverage_report.json',
  mutation: () => 'mutation_report.json',
  lint: () => 'build_output.log',
  lockfile: () => 'dependency_diff.json',
  vulnerabilities: () => 'vulnerabilities.json',
  licenses: () => 'licenses.json',
  secrets: () => 'secrets_scan.json',
};

/** What a person needs to see of a failed re-run: each command's last lines and the failed cases. */
function failedOutput(out: VerifyOutput): Pick<VerifyRecheck, 'logs' | 'failedCases'> {
  return {
    logs: out.outputs.map(({ command, output }) => {
      const lines = output.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      return { command, tail: lines.slice(-LOG_TAIL_LINES), lines: lines.length };
    }),
    failedCases: (out.failedCases ?? []).slice(0, MAX_FAILED_CASES),
  };
}

/** VERIFY's producer on an engine of its own: the contract's commands, a store it writes nothing to, no key. */
async function runVerify(ctx: GateContext, config: Config, state: TaskState, deps: RecheckDeps): Promise<VerifyOutput> {
  // The files are where the committed config puts them; the commands and the threshold are the contract's.
  const layout = layoutFor(ctx.root, ctx.config.stateDir);
  const store = await deps.openStore(layout, config);
  try {
    const engine: Engine = {
      layout,
      config,
      store,
      signer: NO_SIGNER,
      clock: systemClock,
      sink: noopSink,
      runner: deps.makeRunner(layout, config),
    };
    return await produceVerify(engine, state);
  } finally {
    await store.close();
  }
}
