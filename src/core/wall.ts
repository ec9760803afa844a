/**
 * @module The wall's names, shared by the side that raises it and the command line inside it: how a process knows it
 * runs behind the wall, and which verbs of the command line belong to a person and are refused there.
 */

/** Set to `1` in the environment of every command run behind the wall. */
export const WALL_ENV = 'AUTOPILOT_WALL';

/**
 * A file mounted read-only inside the wall: its presence says "behind the wall" even when the command unset
 * {@link WALL_ENV} (a mount point cannot be removed from inside). It does not exist outside.
 */
export const WALL_MARKER = '/run/autopilot-wall';

/** Verbs (with their sub-verb where it matters) that only a person may run: refused behind the wall and by the guard. */
export const PERSON_VERBS: ReadonlyMap<string, readonly string[] | 'all'> = new Map<string, readonly string[] | 'all'>([
  ['approve', 'all'],
  ['reject', 'all'],
  ['init', 'all'],
  ['store', 'all'],
  ['attest', ['baseline', 'update']],
  // An agent that could drop or retry the outbox's rows could undo or repeat what the process decided.
  ['outbox', ['retry', 'drop']],
]);

/** True when `autopilot <verb> <sub>` is a person's verb. */
export function isPersonVerb(verb: string, sub: string | undefined): boolean {
  const v = PERSON_VERBS.get(verb);
  return v === 'all' || (v !== undefined && sub !== undefined && v.includes(sub));
}

/** What the wall seals for the commands inside it (read from {@link WALL_MARKER}): git's hooks there judge by it. */
export interface WallFacts {
  readonly phase: string;
  readonly taskId: string | null;
  readonly holder: string;
  /** The capabilities the phase allows. */
  readonly capabilities: readonly string[];
  /** The ledger head when the run began, for the commit-msg trailer; null when the phase cannot commit. */
  readonly ledgerHead: string | null;
  /**
   * That head's `Autopilot-Entry` trailer (`<seq> <key id>`), which lets `ledger verify` hold this user's store to the
   * commit; null (or absent, from an older version) when there is none.
   */
  readonly ledgerEntry?: string | null;
}
