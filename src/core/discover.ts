/**
 * @module Policy discovery, the pure part: a repository's history as numbers (changed lines per commit, per file
 * touch), the expected size of a planned change, and the settings its history suggests (diff cap, test timeout,
 * coverage threshold), each with the facts it rests on.
 */

/** One commit of the history: the lines and files it changed (binary files count as files, not lines). */
export interface CommitStat {
  readonly lines: number;
  readonly files: number;
}

/** One file touched by one commit: its changed lines (additions and deletions). */
export interface FileTouch {
  readonly path: string;
  readonly lines: number;
}

/** The percentile `p` (0..100) of `values` by the nearest-rank method; undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** The history's diff sizes: percentiles of changed lines and files per commit. */
export interface HistorySizes {
  readonly commits: number;
  readonly lines: { readonly p50: number; readonly p90: number; readonly p95: number; readonly max: number } | null;
  readonly files: { readonly p50: number; readonly p90: number; readonly p95: number; readonly max: number } | null;
  /** Median changed lines of one file in one commit, over every touch. */
  readonly linesPerFileTouch: number | null;
}

function spread(values: readonly number[]) {
  if (values.length === 0) return null;
  return {
    p50: percentile(values, 50)!,
    p90: percentile(values, 90)!,
    p95: percentile(values, 95)!,
    max: Math.max(...values),
  };
}

/** The percentiles of a history's commits and file touches. */
export function historySizes(commits: readonly CommitStat[], touches: readonly FileTouch[]): HistorySizes {
  return {
    commits: commits.length,
    lines: spread(commits.map((c) => c.lines)),
    files: spread(commits.map((c) => c.files)),
    linesPerFileTouch:
      percentile(
        touches.map((t) => t.lines),
        50,
      ) ?? null,
  };
}

/** A planned file, as PLAN's file map names it, with what the repository knows of it. */
export interface PlannedFile {
  readonly path: string;
  readonly change: 'add' | 'modify' | 'delete' | 'rename' | 'unknown';
  /** Its line count in the working tree; null when it does not exist (or is not a text file). */
  readonly currentLines: number | null;
}

/** The expected changed lines of one planned file and what the estimate rests on. */
export interface FileEstimate {
  readonly lines: number;
  readonly basis: string;
}

/**
 * The expected changed lines of a planned file: a deletion removes the file's lines; a file with a history changes
 * by the median of its own past touches; any other by the median touch of the repository (10 lines when the history
 * has none). An estimate, and said to be one.
 */
export function estimateFile(
  file: PlannedFile,
  history: readonly FileTouch[],
  repoMedian: number | null,
): FileEstimate {
  if (file.change === 'delete' && file.currentLines !== null)
    return { lines: file.currentLines, basis: 'the lines the file has now' };
  const own = history.filter((t) => t.path === file.path).map((t) => t.lines);
  const median = percentile(own, 50);
  if (median !== undefined && file.change !== 'add')
    return { lines: median, basis: `median of its ${own.length} past change(s)` };
  if (repoMedian !== null)
    return { lines: repoMedian, basis: "median change of one file in this repository's history" };
  return { lines: 10, basis: 'no history: a guess of 10 lines' };
}

/** A setting the history suggests: the config key, what it is now, what it could be, and why. */
export interface Suggestion {
  /** Dotted config path: `approvals.maxLines`, `commands.test.timeoutSeconds`, `verify.coverageThreshold`. */
  readonly key: string;
  readonly path: readonly string[];
  readonly current: number | null;
  readonly suggested: number;
  readonly basis: string;
}

/** What the ledger says of past VERIFY runs: the test command's durations and the newest coverage measured. */
export interface VerifyHistory {
  /** Durations of the test command, milliseconds, newest first. */
  readonly testMs: readonly number[];
  /** The newest run that measured coverage: its total line coverage and its changed-lines coverage, percent. */
  readonly coverage: {
    readonly totalPercent: number | null;
    readonly changedPercent: number | null;
    readonly taskId: string;
    readonly seq: number;
  } | null;
}

/** The config values the suggestions are compared with. */
export interface CurrentSettings {
  readonly maxLines: number;
  /** null when no test command is configured (nothing to time out). */
  readonly testTimeoutSeconds: number | null;
  readonly coverageThreshold: number;
}

/** Fewer commits than this say too little about a typical diff to suggest a cap. */
export const MIN_COMMITS_FOR_CAP = 5;

const roundUp = (n: number, step: number) => Math.ceil(n / step) * step;

/**
 * The settings the history suggests:
 * - `approvals.maxLines`: the 95th percentile of changed lines per commit, rounded up to tens (at least 50), so that
 *   a change larger than nineteen in twenty of this repository's commits asks a person;
 * - `commands.test.timeoutSeconds`: three times the slowest recorded test run, rounded up to tens (at least 60);
 * - `verify.coverageThreshold`: the total line coverage last measured, rounded down to fives: new lines held to the
 *   level the repository's tests reach.
 * A setting without the facts for it is left out.
 */
export function suggestSettings(sizes: HistorySizes, verify: VerifyHistory, current: CurrentSettings): Suggestion[] {
  const out: Suggestion[] = [];
  if (sizes.lines && sizes.commits >= MIN_COMMITS_FOR_CAP) {
    out.push({
      key: 'approvals.maxLines',
      path: ['approvals', 'maxLines'],
      current: current.maxLines,
      suggested: Math.max(50, roundUp(sizes.lines.p95, 10)),
      basis: `95th percentile of changed lines per commit over ${sizes.commits} commits is ${sizes.lines.p95} (median ${sizes.lines.p50})`,
    });
  }
  if (current.testTimeoutSeconds !== null && verify.testMs.length > 0) {
    const slowest = Math.max(...verify.testMs);
    out.push({
      key: 'commands.test.timeoutSeconds',
      path: ['commands', 'test', 'timeoutSeconds'],
      current: current.testTimeoutSeconds,
      suggested: Math.max(60, roundUp((3 * slowest) / 1000, 10)),
      basis: `the slowest of the last ${verify.testMs.length} recorded test run(s) took ${(slowest / 1000).toFixed(1)} s`,
    });
  }
  const cov = verify.coverage;
  if (cov && cov.totalPercent !== null) {
    out.push({
      key: 'verify.coverageThreshold',
      path: ['verify', 'coverageThreshold'],
      current: current.coverageThreshold,
      suggested: Math.min(100, Math.max(0, Math.floor(cov.totalPercent / 5) * 5)),
      basis: `total line coverage was ${cov.totalPercent.toFixed(1)}% in the newest VERIFY that measured it (${cov.taskId}, entry ${cov.seq})`,
    });
  }
  return out;
}
