/** @module The checks a config can leave unconfigured, and so can waive (`waive:`): their names, nothing else. */

/** Every check that is a configured command (or report) and that a config may waive with a reason. */
export const CHECKS = ['build', 'coverage', 'lint', 'ci', 'smoke'] as const;

export type CheckName = (typeof CHECKS)[number];
