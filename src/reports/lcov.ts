/** @module Parses lcov tracefiles (node --test-reporter=lcov, c8, istanbul, lcov itself) into line coverage per file. */
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';

/** Line coverage of one source file. */
export interface FileCoverage {
  /** As in the report's SF record, made relative to `root` when it was under it, without a leading './'. */
  readonly path: string;
  /** Line number to hit count, for every line the report lists (its executable lines). */
  readonly lines: Record<number, number>;
  /** Number of lines listed. */
  readonly linesFound: number;
  /** Number of lines listed with a hit count above 0. */
  readonly linesHit: number;
}

/** A whole coverage report; `percent` is 100 when no line is executable. */
export interface CoverageReport {
  /** The report format, 'lcov'. */
  readonly format: string;
  readonly totals: { linesFound: number; linesHit: number; percent: number };
  readonly files: FileCoverage[];
}

/** `part / whole` as a percentage, rounded down to two decimals so it never overstates; 100 when `whole` is 0. */
export function percentOf(part: number, whole: number): number {
  return whole === 0 ? 100 : Math.floor((part * 10000) / whole) / 100;
}

/** `path` relative to `root` when it lies under it, without a leading './'. String operations only. */
function relativePath(path: string, root: string | undefined): string {
  let rel = path;
  if (root !== undefined && root !== '') {
    const prefix = `${root.replace(/\/+$/, '')}/`;
    if (rel.startsWith(prefix)) rel = rel.slice(prefix.length);
  }
  while (rel.startsWith('./')) rel = rel.slice(2);
  return rel;
}

const DA_RE = /^(\d+),(\d+(?:\.\d+)?(?:[eE]\+?\d+)?)(?:,.*)?$/;

/**
 * Parses an lcov tracefile. Only line data (DA records) is read: LF/LH are
 * recounted from the DA lines (line 0, which some tools write for an empty
 * file, is no line), and function and branch records are ignored.
 * Several records for the same file (concatenated or merged tracefiles) are
 * merged by adding their hit counts. Files keep the order of their first record.
 *
 * @param opts.root a POSIX absolute path; SF paths under it are made relative to it.
 * @throws ReportError when the input is over 50 MiB, has a line that is not an
 * lcov record, a DA record outside an SF record or with bad numbers, a record
 * not closed by end_of_record (a truncated report), or no SF record at all.
 */
export function parseLcov(text: string, opts: { root?: string } = {}): CoverageReport {
  assertReportSize(text, 'lcov report');
  const merged = new Map<string, Map<number, number>>();
  let current: { path: string; lines: Map<number, number>; startLine: number } | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (i === 0 ? (lines[i] ?? '').replace(/^\uFEFF/, '') : (lines[i] ?? '')).trim();
    const at = `lcov report line ${i + 1}`;
    if (line === '') continue;
    if (line === 'end_of_record') {
      current = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    const key = colon === -1 ? '' : line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (!/^[A-Z]+$/.test(key)) {
      throw new ReportError(`${at} is not an lcov record: ${JSON.stringify(line.slice(0, 80))}`);
    }
    if (key === 'SF') {
      if (current) {
        throw new ReportError(
          `${at}: SF record starts before the record for ${current.path} (line ${current.startLine}) ended with end_of_record`,
        );
      }
      const path = relativePath(value, opts.root);
      if (path === '') throw new ReportError(`${at}: SF record has an empty path`);
      let fileLines = merged.get(path);
      if (!fileLines) {
        fileLines = new Map();
        merged.set(path, fileLines);
      }
      current = { path, lines: fileLines, startLine: i + 1 };
    } else if (key === 'DA') {
      if (!current) throw new ReportError(`${at}: DA record outside an SF record`);
      const match = DA_RE.exec(value);
      if (!match)
        throw new ReportError(`${at}: bad DA record ${JSON.stringify(line.slice(0, 80))}, expected DA:<line>,<hits>`);
      const lineNo = Number(match[1]);
      const hits = Number(match[2]);
      // Lines count from 1. coverage.py (6.x) writes `DA:0,1` for an empty file: a line that does not exist.
      if (lineNo === 0) continue;
      current.lines.set(lineNo, (current.lines.get(lineNo) ?? 0) + hits);
    }
    // TN, VER, FN, FNDA, FNF, FNH, FNL, FNA, BRDA, BRF, BRH, LF, LH and newer keys: not needed.
  }
  if (current) {
    throw new ReportError(
      `lcov report ends inside the record for ${current.path} (line ${current.startLine}) without end_of_record; it may be truncated`,
    );
  }
  if (merged.size === 0) throw new ReportError('lcov report has no SF records: no file coverage found');
  const files: FileCoverage[] = [];
  let linesFound = 0;
  let linesHit = 0;
  for (const [path, fileLines] of merged) {
    const record: Record<number, number> = {};
    let hit = 0;
    for (const [lineNo, hits] of [...fileLines].sort((a, b) => a[0] - b[0])) {
      record[lineNo] = hits;
      if (hits > 0) hit++;
    }
    files.push({ path, lines: record, linesFound: fileLines.size, linesHit: hit });
    linesFound += fileLines.size;
    linesHit += hit;
  }
  return { format: 'lcov', totals: { linesFound, linesHit, percent: percentOf(linesHit, linesFound) }, files };
}
