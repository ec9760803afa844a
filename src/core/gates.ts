/**
 * @module The five gates of `autopilot gate`, the pure part: their ids and titles, the `gates` config section (a mode
 * per gate), which gate each kind of problem belongs to, which problems no mode can relax, and how a gate's checks
 * and mode make its outcome.
 */
import { z } from 'zod';

/** The gates in the order they run: onboarding, secrets and policy, grounding, tests, re-run, owners and approvals. */
export const GATE_IDS = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'] as const;
export type GateId = (typeof GATE_IDS)[number];

/** What each gate covers, as the report titles it. */
export const GATE_TITLES: Readonly<Record<GateId, string>> = {
  g0: 'onboarding',
  g1: 'secrets and policy',
  g2: 'grounding',
  g3: 'tests and change safety',
  g4: 'hermetic re-run and supply chain',
  g5: 'code owners and approvals',
};

/** `enforce` blocks; `observe` decides and records what it would have blocked, never blocks; `off` does not decide. */
export const GATE_MODES = ['enforce', 'observe', 'off'] as const;
export type GateMode = (typeof GATE_MODES)[number];

/**
 * The `gates` config section: a mode per gate, `enforce` when left out, which is how the gate behaved before it had
 * modes. Optional without defaults, so that a config without it keeps its digest; with it, the modes are part of the
 * contract a task adopts, and changing one mid-task is a contract change like any other key.
 */
const mode = z.enum(GATE_MODES).optional();

/** Risk levels (a change at least this risky) and risk classes (a reason of that class), as core/risk.ts assesses. */
export const RISK_SELECTORS = [
  'low',
  'medium',
  'high',
  'size',
  'migration',
  'ci-config',
  'dependencies',
  'auth',
  'configured-path',
  'new-dependency',
  'secret',
] as const;

const ownerRef = z.string().regex(/^@[\w.-]+(\/[\w.-]+)?$/, 'an owner as CODEOWNERS writes it: @user or @org/team');

/**
 * Gate 5's forge rules: labels the pull request must carry, and approvals a risk level or class needs (`approvals`
 * people among `from`, a team counting each member), counted from forge reviews and people's signed decisions alike.
 */
export const reviewGateSchema = z
  .object({
    labels: z.array(z.string().min(1).max(100)).max(50).optional(),
    risk: z
      .array(
        z
          .object({
            class: z.enum(RISK_SELECTORS),
            approvals: z.number().int().min(1).max(20),
            from: z.array(ownerRef).min(1).max(50),
          })
          .strict(),
      )
      .max(20)
      .optional(),
  })
  .strict();
export type ReviewGateConfig = z.infer<typeof reviewGateSchema>;

export const gatesConfigSchema = z
  .object({ g0: mode, g1: mode, g2: mode, g3: mode, g4: mode, g5: mode, review: reviewGateSchema.optional() })
  .strict();
export type GatesConfig = z.infer<typeof gatesConfigSchema>;

/** Every gate's mode, `enforce` for those the config leaves out. */
export function gateModes(config: GatesConfig | undefined): Record<GateId, GateMode> {
  return Object.fromEntries(GATE_IDS.map((g) => [g, config?.[g] ?? 'enforce'])) as Record<GateId, GateMode>;
}

/** What a problem needs to be placed: the check that found it, its code and file. */
export interface PlacedProblem {
  readonly check: string;
  readonly code: string;
  readonly file?: string;
}

/** Evidence files of VERIFY whose re-run problems belong to Gate 1 (secrets) and Gate 3 (tests, coverage). */
const SECRETS_FILES = ['secrets_scan.json'];
const TEST_FILES = ['test_results.json', 'coverage_report.json', 'mutation_report.json'];

const baseName = (file: string | undefined) => (file ?? '').slice((file ?? '').lastIndexOf('/') + 1);

/**
 * The gate a problem belongs to. The checks the gate made before it had stages map as: the bundle, its signatures
 * and chain, the phase order, the contract and the gate's inputs to Gate 0; the re-validated evidence of passed
 * phases to Gate 3; the VERIFY re-run to Gate 4, except its secrets findings (Gate 1) and its tests and coverage
 * (Gate 3); people's decisions and approvals to Gate 5.
 */
export function gateOf(p: PlacedProblem): GateId {
  switch (p.check) {
    case 'secrets':
    case 'policy':
      return 'g1';
    case 'grounding':
      return 'g2';
    case 'evidence':
    case 'tests':
    case 'safety':
      return 'g3';
    case 'hermetic':
    case 'supply':
      return 'g4';
    case 'verify': {
      const name = baseName(p.file);
      if (SECRETS_FILES.includes(name)) return 'g1';
      if (TEST_FILES.includes(name)) return 'g3';
      return 'g4';
    }
    case 'decision':
    case 'owners':
    case 'labels':
    case 'risk':
      return 'g5';
    default:
      return 'g0';
  }
}

/** Checks that are the gate's own footing: a mode cannot relax them (a tampered ledger, or the rules being judged by). */
const FOOTING_CHECKS = new Set(['bundle', 'signature', 'chain', 'process', 'config', 'inputs']);

/**
 * True when no mode relaxes the problem: integrity failures (LEDGER_TAMPERED, committed evidence missing), the
 * bundle's process, and the contract and inputs the gate judges by, which include the modes themselves.
 */
export function isFooting(p: PlacedProblem): boolean {
  // Committed evidence the ledger names and the commit lacks is a hole in the audit trail, not a quality finding.
  const missingEvidence = p.check === 'evidence' && p.code === 'EVIDENCE_MISSING';
  return p.code === 'LEDGER_TAMPERED' || FOOTING_CHECKS.has(p.check) || missingEvidence;
}

/** A check's result: it passed, it failed, or it could not be evaluated (no input for it, or its gate is off). */
export type CheckStatus = 'pass' | 'fail' | 'not_evaluated';

/**
 * A gate's outcome: `pass` (every check it evaluated passed), `fail` (a check failed and the gate enforces, or the
 * failure is one no mode relaxes), `would_block` (a check failed under observe), `off`, or `not_evaluated` (no check
 * had anything to evaluate).
 */
export type GateStatus = 'pass' | 'fail' | 'would_block' | 'off' | 'not_evaluated';

/** The outcome of a gate from its checks' statuses, its mode, and whether a failure is one no mode relaxes. */
export function gateStatus(mode: GateMode, checks: readonly CheckStatus[], footingFailed: boolean): GateStatus {
  if (footingFailed) return 'fail';
  if (mode === 'off') return 'off';
  if (checks.includes('fail')) return mode === 'observe' ? 'would_block' : 'fail';
  if (checks.length > 0 && checks.every((c) => c === 'not_evaluated')) return 'not_evaluated';
  return 'pass';
}
