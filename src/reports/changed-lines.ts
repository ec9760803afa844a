/** @module Coverage of the lines a change added, in the manner of diff-cover: a diff joined with a coverage report. */
import type { ChangedFile } from './diff.ts';
import { executableLines } from './executable.ts';
import type { FileKind } from './file-kinds.ts';
import { percentOf, type CoverageReport } from './lcov.ts';

/** Changed-lines coverage of a diff; `percent` is 100 when no added line is executable. */
export interface ChangedLinesCoverage {
  readonly threshold: number;
  /** Added lines that the coverage report lists (lines it does not list, such as blanks and comments, are not executable). */
  readonly executable: number;
  /** Executable added lines with a hit count above 0. */
  readonly covered: number;
  readonly percent: number;
  /** `covered / executable` is at least `threshold` percent (always true when nothing is executable). */
  readonly meetsThreshold: boolean;
  /**
   * Per counted file with added lines, in diff order; `uncovered` lists the executable added lines with 0 hits.
   * `inReport: false` marks a source file the report does not list: no test loaded it, so each of its executable
   * added lines (by {@link executableLines}) is uncovered.
   */
  readonly files: {
    path: string;
    executable: number;
    covered: number;
    percent: number;
    uncovered: number[];
    /** The executable added lines that tests ran. */
    coveredLines: number[];
    inReport: boolean;
  }[];
  /**
   * Changed files with added lines that the report does not mention and that were not counted: with `kindOf`,
   * source files whose text could not be read; without it, every such file.
   */
  readonly notInReport: string[];
  /** Changed test files and other files (docs, config): never counted for or against the threshold. */
  readonly excluded: { readonly tests: string[]; readonly other: string[] };
}

function normalize(path: string): string {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  return p;
}

/**
 * Joins a diff with a coverage report whose paths are relative to the same
 * root (use `parseLcov(text, { root })`). For each changed file with added
 * lines that `include` accepts (default: all), an added line is executable when
 * the report lists it for that file, and covered when its hit count is above 0.
 * With `kindOf`, only source files count: test files and other files are listed
 * in `excluded`, and a source file the report does not list counts every
 * executable added line (read through `textOf`) as uncovered.
 * Binary and deleted files have no added lines and are skipped.
 *
 * @param threshold required percentage of covered executable added lines, 0 to 100.
 * @throws RangeError when `threshold` is not a number from 0 to 100.
 */
export function changedLinesCoverage(
  changed: ChangedFile[],
  coverage: CoverageReport,
  threshold: number,
  opts: {
    include?: (path: string) => boolean;
    /** Source, test or other: only source files count, and a source file the report lacks counts as unrun. */
    kindOf?: (path: string) => FileKind;
    /** The new text of a changed file, for the executable lines of a source file the report lacks. */
    textOf?: (path: string) => string | undefined;
  } = {},
): ChangedLinesCoverage {
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100) {
    throw new RangeError(`changed-lines coverage threshold must be a number from 0 to 100, got ${String(threshold)}`);
  }
  // A file may appear more than once (paths that normalize alike): its hits add up. Lines are looked up, never copied.
  const byPath = new Map<string, Record<number, number>[]>();
  for (const file of coverage.files) {
    const key = normalize(file.path);
    const list = byPath.get(key);
    if (list) list.push(file.lines);
    else byPath.set(key, [file.lines]);
  }
  const hitsAt = (records: readonly Record<number, number>[], lineNo: number): number | undefined => {
    let sum: number | undefined;
    for (const r of records) {
      const h = r[lineNo];
      if (h !== undefined) sum = (sum ?? 0) + h;
    }
    return sum;
  };
  const files: ChangedLinesCoverage['files'] = [];
  const notInReport: string[] = [];
  const excluded = { tests: [] as string[], other: [] as string[] };
  let executable = 0;
  let covered = 0;
  for (const change of changed) {
    if (change.binary || change.addedLines.length === 0) continue;
    if (opts.include && !opts.include(change.path)) continue;
    const kind = opts.kindOf?.(change.path) ?? 'source';
    if (kind !== 'source') {
      excluded[kind === 'test' ? 'tests' : 'other'].push(change.path);
      continue;
    }
    const lines = byPath.get(normalize(change.path));
    if (!lines) {
      const text = opts.kindOf ? opts.textOf?.(change.path) : undefined;
      if (text === undefined) {
        notInReport.push(change.path);
        continue;
      }
      // No test loaded the file: every executable line it adds is a line no test ran.
      const isExecutable = executableLines(change.path, text);
      const uncovered = [...new Set(change.addedLines)].sort((a, b) => a - b).filter((n) => isExecutable[n - 1]);
      files.push({
        path: change.path,
        executable: uncovered.length,
        covered: 0,
        percent: percentOf(0, uncovered.length),
        uncovered,
        coveredLines: [],
        inReport: false,
      });
      executable += uncovered.length;
      continue;
    }
    let fileExecutable = 0;
    let fileCovered = 0;
    const uncovered: number[] = [];
    const coveredLines: number[] = [];
    for (const lineNo of [...new Set(change.addedLines)].sort((a, b) => a - b)) {
      const hits = hitsAt(lines, lineNo);
      if (hits === undefined) continue;
      fileExecutable++;
      if (hits > 0) {
        fileCovered++;
        coveredLines.push(lineNo);
      } else uncovered.push(lineNo);
    }
    files.push({
      path: change.path,
      executable: fileExecutable,
      covered: fileCovered,
      percent: percentOf(fileCovered, fileExecutable),
      uncovered,
      coveredLines,
      inReport: true,
    });
    executable += fileExecutable;
    covered += fileCovered;
  }
  return {
    threshold,
    executable,
    covered,
    percent: percentOf(covered, executable),
    meetsThreshold: covered * 100 >= threshold * executable,
    files,
    notInReport,
    excluded,
  };
}
