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
