/** @module The phase list and the pure rules of moving between phases. */

/** The default process, in order. */
export const DEFAULT_PHASES = [
  'STRATEGIZE',
  'SPEC',
  'PLAN',
  'THINK',
  'IMPLEMENT',
  'VERIFY',
  'REVIEW',
  'PR',
  'MONITOR',
] as const;

export type Phase = string;

/**
 * The phases with a part of their own in the process, named once so that the engine never special-cases a phase by
 * its name: `implement` is the phase whose evidence is the task's diff (Autopilot records it from git) and where a
 * failure of the code is fixed, null in a process without such a phase; `verify` runs the build, the tests and
 * coverage (`autopilot verify`, the CI gate's re-run), null in a process without such a phase; `seal` is the phase
 * whose entry writes the attestation bundle the CI gate requires. The checks after VERIFY have a phase each too:
 * `review` runs the lint command (`code_quality_score.json`), `ci` reads the CI results (the forge's checks or
 * `commands.ci`, `ci_results.json`), `monitor` runs the smoke commands (`smoke_test_results.json`,
 * `deployment_status.json`); each is null in a process without such a phase.
 */
export interface PhaseRoles {
  readonly implement: Phase | null;
  readonly verify: Phase | null;
  readonly review: Phase | null;
  readonly ci: Phase | null;
  readonly monitor: Phase | null;
  readonly seal: Phase;
}

/** The roles that are a phase or none, each defaulting to the phase of the default process that plays it. */
export const OPTIONAL_ROLES = {
  implement: 'IMPLEMENT',
  verify: 'VERIFY',
  review: 'REVIEW',
  ci: 'PR',
  monitor: 'MONITOR',
} as const satisfies Record<Exclude<keyof PhaseRoles, 'seal'>, Phase>;

export type OptionalRole = keyof typeof OPTIONAL_ROLES;

/**
 * The roles a process gets when its config names none: IMPLEMENT, VERIFY, REVIEW, PR (CI results) and MONITOR where it
 * has them, else none; PR seals where it is there, else the last phase.
 */
export function defaultRoles(phases: readonly Phase[]): PhaseRoles {
  const at = (role: OptionalRole): Phase | null =>
    phases.includes(OPTIONAL_ROLES[role]) ? OPTIONAL_ROLES[role] : null;
  return {
    implement: at('implement'),
    verify: at('verify'),
    review: at('review'),
    ci: at('ci'),
    monitor: at('monitor'),
    seal: phases.includes('PR') ? 'PR' : (phases[phases.length - 1] as Phase),
  };
}

/** Evidence folder name of a phase: lower case (`evidence/T-1/strategize/`). */
export function phaseDir(phase: Phase): string {
  return phase.toLowerCase();
}

/** Accepts any case ("spec", "Spec") and returns the canonical name, or undefined. */
export function normalizePhase(phases: readonly Phase[], input: string): Phase | undefined {
  const upper = input.trim().toUpperCase();
  return phases.find((p) => p === upper);
}

export function phaseIndex(phases: readonly Phase[], phase: Phase): number {
  return phases.indexOf(phase);
}

export function nextPhase(phases: readonly Phase[], phase: Phase): Phase | undefined {
  const i = phases.indexOf(phase);
  return i >= 0 ? phases[i + 1] : undefined;
}
