/** @module What the CI gate reports: typed problems by the check that found them, each task's outcome, the branch's. */
import type { SignedMode } from './signed-modes.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { TestCase } from '../../reports/test-results.ts';
import type { CheckStatus, GateId, GateMode, GateStatus } from '../../core/gates.ts';

/** Which check found a problem. */
export type CiCheck =
  | 'bundle'
  | 'signature'
  | 'chain'
  | 'process'
  | 'config'
  | 'evidence'
  | 'decision'
  | 'verify'
  /** What the gate takes from outside the branch: the base branch's config, the trusted keys, the gate's workflow. */
  | 'inputs'
  /** Checks of the five gates beyond those above (see engine/ci/stages.ts): the gate each belongs to is core/gates.ts's. */
  | 'onboarding'
  | 'secrets'
  /** Gate 1's policy simulation of the branch's diff (engine/ci/policy-sim.ts). */
  | 'policy'
  | 'grounding'
  | 'tests'
  | 'safety'
  | 'hermetic'
  | 'supply'
  | 'owners'
  /** Gate 5's labels the pull request must carry, and the approvals its risk class needs (engine/ci/owners.ts). */
  | 'labels'
  | 'risk';

/** One CODEOWNERS rule that owns a changed path, as Gate 5 judged it: who satisfied it, and from where. */
export interface OwnerRuleOutcome {
  readonly line: number;
  readonly pattern: string;
  readonly owners: readonly string[];
  /** The changed paths the rule decides. */
  readonly paths: readonly string[];
  /** Who approved among the owners (a team's member named with the team), and where the approval came from. */
  readonly approvedBy: readonly { readonly who: string; readonly via: string; readonly from: 'forge' | 'decision' }[];
}

/** One policy's verdict on the branch's change, as the stage reports it. */
export interface PolicyOutcome {
  readonly policyId: string;
  readonly verdict: 'ask' | 'deny';
  readonly mode: 'enforce' | 'observe';
  /** `(diff)` or the changed paths it held on. */
  readonly on: readonly string[];
  /** For an enforced ask: the people whose verified approval on a task of the branch answers it. */
  readonly approvedBy?: readonly string[];
}

/** One check of a gate: its name, pass/fail/not evaluated, and what it saw (the evidence of the outcome). */
export interface GateCheck {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** Gate 1's `policy` check: each policy that asked or denied, with its mode, and the policy set's digest. */
  readonly policies?: readonly PolicyOutcome[];
  readonly policyDigest?: string;
  /** Gate 5's `owners` check: each CODEOWNERS rule of a changed path, with who approved it and from where. */
  readonly owners?: readonly OwnerRuleOutcome[];
}

/** One named stage of the report: a gate, its mode, its outcome and its checks. */
export interface GateStage {
  readonly gate: GateId;
  readonly title: string;
  readonly mode: GateMode;
  readonly status: GateStatus;
  readonly checks: readonly GateCheck[];
}

/** A problem a gate in observe (would have blocked) or off (not decided) left out of the verdict. */
export type RelaxedProblem = CiProblem & { readonly gate: GateId; readonly mode: 'observe' | 'off' };

/** A gate file a person allowed with a verified passkey decision, at the SHA-256 of the content allowed. */
export interface AllowedGateInput {
  readonly file: string;
  readonly sha256: string;
  readonly taskId: string;
  readonly seq: number;
  readonly by: string;
}

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

/** Test totals as a VERIFY run counts them. */
export type Totals = { total: number; failed: number; errors: number };

/** VERIFY run again on the checkout, beside what the ledger recorded. */
export interface VerifyRecheck {
  /** The entry that recorded the VERIFY results compared with. */
  readonly seq: number;
  readonly passed: boolean;
  readonly tests: Totals | null;
  readonly recorded: Totals | null;
  readonly coverage: { readonly percent: number; readonly threshold: number; readonly meetsThreshold: boolean } | null;
  readonly sameCode: boolean;
  /**
   * How the code was compared: the digest of the diff from the task's base (the base is on the branch), or the
   * patch-id of the branch's diff from the merge-base (the branch was rebased since VERIFY; `why` says how it shows).
   */
  readonly compared?: {
    readonly how: 'diff digest' | 'patch-id';
    readonly from: string;
    readonly role: 'task base' | 'merge-base';
    readonly why?: string;
  };
  /** When the re-run did not pass: the last lines of each command's output, build and test, in the order they ran. */
  readonly logs?: readonly { readonly command: 'build' | 'test'; readonly tail: string[]; readonly lines: number }[];
  /** When the re-run did not pass: the test cases that failed or erred (at most {@link MAX_FAILED_CASES}). */
  readonly failedCases?: readonly TestCase[];
}

/** How many lines of each command's output a failed re-run keeps. */
export const LOG_TAIL_LINES = 40;
/** How many failed test cases a failed re-run lists. */
export const MAX_FAILED_CASES = 20;

/** The contract a task was judged by. */
export interface TaskContract {
  /** `task`: the contract the task adopted at its start; `committed`: the config at HEAD, for a task that recorded none. */
  readonly source: 'task' | 'committed';
  /** Repository-relative: the task's contract.yaml, or the config file. */
  readonly file: string;
  /** The config digest, as task_started and every transition record it. */
  readonly digest: string;
  readonly note?: string;
  /** Contracts a person adopted for the task since its start, in order: each one judges the moves after it. */
  readonly adopted?: readonly {
    readonly seq: number;
    readonly file: string;
    readonly digest: string;
    readonly by: string;
  }[];
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
  /** The contract the task was judged by; null when its bundle could not be read that far. */
  readonly contract: TaskContract | null;
  /** The waived checks the task's moves relied on, as its entries record them (`data.waivers`). */
  readonly waivers?: readonly {
    readonly check: string;
    readonly reason: string;
    readonly phase: string;
    readonly seq: number;
  }[];
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
   * `trusted` is there when the gate was given its trusted keys.
   */
  readonly keys: { readonly keyId: string; readonly new: boolean; readonly trusted?: boolean }[];
  /**
   * The configs the gate trusts: the base branch's (null when the base has no Autopilot config yet, and the branch,
   * which installs it, is judged by its own) and those a person adopted for a task.
   */
  readonly inputs: {
    readonly base: { readonly commit: string; readonly digest: string } | null;
    readonly trusted: readonly {
      readonly digest: string;
      readonly source: 'base' | 'adopted';
      readonly taskId?: string;
      readonly seq?: number;
    }[];
    /** True when the gate ran in CI mode (`--ci` or `CI=true`), where it needs trusted keys. */
    readonly ci: boolean;
    /** The gate's own files the branch changes that a person allowed at the branch's content (entry `seq`). */
    readonly workflows: readonly AllowedGateInput[];
  };
  /** The problems that fail the gate: those of enforcing gates, and those no mode relaxes (integrity, process, contract). */
  readonly problems: CiProblem[];
  /** The five gates as named stages, Gate 0 to Gate 5, each with its mode, outcome and checks. */
  readonly stages: readonly GateStage[];
  /** Problems of gates in observe (would have blocked) or off: recorded, not blocking. */
  readonly relaxed: readonly RelaxedProblem[];
  /**
   * The modes a person changed for a task with a signed `change_modes` decision, which the gate applied over the base
   * branch's config: each with its task, entry, person, the gate it concerns, and whether it was applied.
   */
  readonly modes?: readonly SignedMode[];
  /** True when every gate is green: no gate failed (a gate in observe that would have blocked does not fail). */
  readonly mergeable: boolean;
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
