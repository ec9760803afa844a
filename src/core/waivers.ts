/**
 * @module Unconfigured checks and their waivers, pure part. A check the config leaves unconfigured (no
 * `commands.lint`, no CI commands, …) never passes silently: it blocks its phase unless `waive:` names it with a
 * reason, and a move that relies on a waiver records it and, by default, needs a person.
 */
import type { Config } from './config.ts';
import type { PhaseRoles } from './phases.ts';
import { CHECKS, type CheckName } from './checks.ts';
import { isForgeKind } from './forge.ts';

export { CHECKS, type CheckName } from './checks.ts';

/**
 * Where each check's result is recorded: the role whose phase's producer runs it, the artifact, and the field of that
 * document the check's result sits under (the whole document when absent). The producers are keyed by the same roles
 * (evidence/producers/index.ts); this is the one table that ties checks to them.
 */
export const CHECK_EVIDENCE: Readonly<
  Record<CheckName, { role: Exclude<keyof PhaseRoles, 'seal' | 'implement'>; artifact: string; field?: string }>
> = {
  build: { role: 'verify', artifact: 'verify_run.json', field: 'build' },
  coverage: { role: 'verify', artifact: 'coverage_report.json', field: 'changedLines' },
  lint: { role: 'review', artifact: 'code_quality_score.json' },
  ci: { role: 'ci', artifact: 'ci_results.json' },
  smoke: { role: 'monitor', artifact: 'smoke_test_results.json' },
};

/** The phase of `config` whose producer runs `check`; null when the process has no such phase. */
export function checkPhase(config: Config, check: CheckName): string | null {
  return config.roles[CHECK_EVIDENCE[check].role];
}

/** What to configure for each check. */
const CONFIGURE: Readonly<Record<CheckName, string>> = {
  build: 'commands.build',
  coverage: 'commands.test.coverage (or lcov)',
  lint: 'commands.lint',
  ci: 'commands.ci',
  smoke: 'commands.smoke',
};

/** A waiver a move relies on: the check and the config's reason. */
export interface Waiver {
  readonly check: CheckName;
  readonly reason: string;
}

/**
 * True when the config leaves `check` unconfigured. Coverage counts only where there is a test command to write a
 * report and a threshold to meet: `verify.coverageThreshold: 0` says, in the config, that coverage is not required.
 */
export function isUnconfigured(config: Config, check: CheckName): boolean {
  const c = config.commands;
  switch (check) {
    case 'build':
      return !c.build;
    case 'coverage':
      return !!c.test && !c.test.coverage && c.test.lcov === undefined && config.verify.coverageThreshold > 0;
    case 'lint':
      return !c.lint;
    case 'ci':
      // With a forge, CI is the forge's checks of the pull request (pr.requiredChecks), read when PR is left.
      return c.ci.length === 0 && !isForgeKind(config.pr?.mode);
    case 'smoke':
      return c.smoke.length === 0;
  }
}

/** The reason the config waives `check` with, if it does. */
export function waiverReason(config: Config, check: CheckName): string | undefined {
  return config.waive?.[check];
}

/** The checks of `phase` the config leaves unconfigured: those it waives (with the reason), and those it does not. */
export function phaseWaivers(config: Config, phase: string): { waived: Waiver[]; missing: CheckName[] } {
  const waived: Waiver[] = [];
  const missing: CheckName[] = [];
  if (!config.phases.includes(phase)) return { waived, missing };
  for (const check of CHECKS) {
    if (checkPhase(config, check) !== phase || !isUnconfigured(config, check)) continue;
    const reason = waiverReason(config, check);
    if (reason) waived.push({ check, reason });
    else missing.push(check);
  }
  return { waived, missing };
}

/** How to make an unconfigured check pass: configure it, or waive it with a reason. */
export function waiverFix(check: CheckName): string {
  return `configure ${CONFIGURE[check]} in .autopilot/config.yaml, or waive it with a reason: waive: {${check}: "why this repository has none"}`;
}

/** Whether a move relying on a waiver needs a person: `approvals.waivers`, `person` unless it says `none`. */
export function waiversNeedPerson(config: Config): boolean {
  return (config.approvals.waivers ?? 'person') === 'person';
}

/** What a producer records for an unconfigured check: never `passed: true`; the waiver's reason, or null. */
export function unconfiguredRecord(config: Config, check: CheckName): Record<string, unknown> {
  const reason = waiverReason(config, check);
  return {
    configured: false,
    waived: reason ?? null,
    ...(reason ? {} : { passed: false }),
    note: reason
      ? `not configured (${CONFIGURE[check]}); waived: ${reason}`
      : `not configured (${CONFIGURE[check]}) and not waived: ${waiverFix(check)}`,
  };
}

/**
 * The check whose waived result `artifact` of `phase` records, when the config waives it: the gate then reads the
 * file's `waived` reason instead of its pass/fail assertions (those under the check's field, or all of them).
 */
export function waivedCheckOf(
  config: Config,
  phase: string,
  artifact: string,
): { check: CheckName; reason: string; field?: string } | undefined {
  for (const check of CHECKS) {
    const where = CHECK_EVIDENCE[check];
    if (checkPhase(config, check) !== phase || where.artifact !== artifact || !isUnconfigured(config, check)) continue;
    const reason = waiverReason(config, check);
    if (reason) return { check, reason, ...(where.field ? { field: where.field } : {}) };
  }
  return undefined;
}

/** The refusal's message and details for a check of `phase` that is neither configured nor waived. */
export function waiverRequired(
  taskId: string,
  phase: string,
  check: CheckName,
): { message: string; details: { check: CheckName; phase: string; fix: string } } {
  const fix = waiverFix(check);
  return {
    message: `${phase} of ${taskId} relies on the ${check} check, which is not configured: nothing would run, and nothing passes on nothing. ${fix[0]!.toUpperCase()}${fix.slice(1)}; then try again`,
    details: { check, phase, fix },
  };
}
