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
 * whose entry writes the attestation bundle the CI gate requires.
 */
export interface PhaseRoles {
  readonly implement: Phase | null;
  readonly verify: Phase | null;
  readonly seal: Phase;
}

/**
 * The roles a process gets when its config names none: IMPLEMENT, VERIFY and PR where it has them, else no implement
 * and no verify phase, and the last phase seals.
 */
export function defaultRoles(phases: readonly Phase[]): PhaseRoles {
  return {
    implement: phases.includes('IMPLEMENT') ? 'IMPLEMENT' : null,
    verify: phases.includes('VERIFY') ? 'VERIFY' : null,
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
