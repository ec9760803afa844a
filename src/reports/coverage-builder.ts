/** @module Helpers shared by the coverage parsers: path normalisation and building a `CoverageReport` from line hits. */
import { ReportError } from './errors.ts';
import { percentOf, type CoverageReport, type FileCoverage } from './lcov.ts';

/** Line hits per file path, in the order the files were first seen. */
export type LineHits = Map<string, Map<number, number>>;

/** Resolves '.' and '..' segments and repeated slashes of a POSIX path, string operations only. */
export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (segment !== '..' || !absolute) out.push(segment);
  }
  return (absolute ? '/' : '') + out.join('/');
}

/** `path` normalised and made relative to `root` when it lies under it, without a leading './'. */
export function repoRelative(path: string, root: string | undefined): string {
  const normal = normalizePath(path);
  if (root !== undefined && root !== '') {
    const base = normalizePath(root);
    const prefix = base.endsWith('/') ? base : `${base}/`;
    if (normal.startsWith(prefix)) return normal.slice(prefix.length);
  }
  return normal;
}

/** `path` under the repository-relative directory `dir` (none when `dir` is empty or undefined). */
export function underDir(dir: string | undefined, path: string): string {
  if (dir === undefined || normalizePath(dir) === '') return path;
  return normalizePath(`${dir}/${path}`);
}

/** Records `hits` for a line of `path`, keeping the larger count when the line is already known. */
export function recordMax(files: LineHits, path: string, line: number, hits: number): void {
  let lines = files.get(path);
  if (!lines) {
    lines = new Map();
    files.set(path, lines);
  }
  const previous = lines.get(line);
  if (previous === undefined || hits > previous) lines.set(line, hits);
}

/** Makes sure `path` is listed, even with no executable lines. */
export function recordFile(files: LineHits, path: string): void {
  if (!files.has(path)) files.set(path, new Map());
}

/**
 * Builds the report: lines sorted per file, found/hit counts and the
 * percentage recounted from the lines.
 *
 * @throws ReportError naming `kind` when no file was recorded.
 */
export function buildCoverage(format: string, kind: string, files: LineHits): CoverageReport {
  if (files.size === 0) throw new ReportError(`${kind} lists no source files: no file coverage found`);
  const out: FileCoverage[] = [];
  let linesFound = 0;
  let linesHit = 0;
  for (const [path, lineHits] of files) {
    const record: Record<number, number> = {};
    let hit = 0;
    for (const [lineNo, hits] of [...lineHits].sort((a, b) => a[0] - b[0])) {
      record[lineNo] = hits;
      if (hits > 0) hit++;
    }
    out.push({ path, lines: record, linesFound: lineHits.size, linesHit: hit });
    linesFound += lineHits.size;
    linesHit += hit;
  }
  return { format, totals: { linesFound, linesHit, percent: percentOf(linesHit, linesFound) }, files: out };
}
