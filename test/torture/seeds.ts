/**
 * @module The seeds every random suite runs in `npm test`, one list a suite. A run
 * of `npm test` (CI or not) uses exactly these, so that it passes or fails the
 * same way every time; `npm run torture` adds fresh seeds and prints them.
 *
 * Every seed that ever failed stays in its list, with the date and what it
 * found: the list only grows. When a fresh seed fails, fix what it found, then
 * add it here.
 */

/** The random suites, by the name their seeds are filed under. */
export type Suite =
  | 'tamper-store'
  | 'tamper-evidence'
  | 'crash-points'
  | 'crash-torture'
  | 'leases'
  | 'moves'
  | 'moves-postgres'
  | 'fuzz-cli'
  | 'fuzz-hooks'
  | 'fuzz-hooks-binary'
  | 'fuzz-mcp'
  | 'fuzz-cedar';

export const SEEDS: Record<Suite, readonly number[]> = {
  'tamper-store': [
    20261207,
    // 2026-12: a flip turned the public key's column from text into a blob of the same bytes, and verify
    // passed; key rows of the wrong type are now corrupt rows (src/adapters/shared/rows.ts).
    1765674051,
  ],
  'tamper-evidence': [20261207],
  'crash-points': [20261207],
  'crash-torture': [20261207],
  leases: [20261207],
  moves: [20261207, 7],
  'moves-postgres': [20261207],
  'fuzz-cli': [20261207],
  'fuzz-hooks': [20261207],
  'fuzz-hooks-binary': [20261207],
  'fuzz-mcp': [20261207],
  'fuzz-cedar': [20261207, 1],
};
