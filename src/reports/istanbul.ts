/** @module Parses Istanbul JSON coverage (coverage-final.json from nyc, Jest, Vitest, c8) into line coverage per file. */
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';
import type { CoverageReport } from './lcov.ts';
import { buildCoverage, recordFile, recordMax, repoRelative, type LineHits } from './coverage-builder.ts';

const KIND = 'Istanbul JSON coverage report';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function startLine(location: unknown): number | undefined {
  if (!isObject(location) || !isObject(location['start'])) return undefined;
  const line = location['start']['line'];
  return typeof line === 'number' && Number.isInteger(line) && line > 0 ? line : undefined;
}

/**
 * Parses an Istanbul coverage map, the JSON object that `coverage-final.json`
 * holds: one entry per file with `statementMap` (statement id to location) and
 * `s` (statement id to execution count); entries wrapped as `{ data: … }`
 * are unwrapped. A line is executable when a statement starts on it, and its
 * hit count is the largest count of the statements starting there (the rule
 * of istanbul-lib-coverage's `getLineCoverage`). The file path is the entry's
 * `path`, else its key. Function and branch data are ignored.
 *
 * @param opts.root a POSIX absolute path; file paths under it are made relative to it.
 * @throws ReportError when the input is over 50 MiB, is not JSON, is not an
 * object of file entries, an entry has no `statementMap` or `s` object, a
 * count is not a non-negative number, a statement has no start line, or there
 * is no entry at all.
 */
export function parseIstanbul(json: string, opts: { root?: string } = {}): CoverageReport {
  assertReportSize(json, KIND);
  const text = json.charCodeAt(0) === 0xfeff ? json.slice(1) : json;
  if (text.trim() === '') throw new ReportError(`${KIND} is empty`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ReportError(`${KIND} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(doc))
    throw new ReportError(
      `not an Istanbul JSON coverage report: expected an object of file entries, got ${Array.isArray(doc) ? 'an array' : typeof doc}`,
    );
  const files: LineHits = new Map();
  for (const [key, raw] of Object.entries(doc)) {
    const entry = isObject(raw) && isObject(raw['data']) ? raw['data'] : raw;
    if (!isObject(entry) || !isObject(entry['statementMap']) || !isObject(entry['s'])) {
      throw new ReportError(
        `${KIND}: the entry for ${JSON.stringify(key)} has no statementMap and s objects; it is not Istanbul file coverage`,
      );
    }
    const statementMap = entry['statementMap'];
    const counts = entry['s'];
    const rawPath = typeof entry['path'] === 'string' && entry['path'] !== '' ? entry['path'] : key;
    const path = repoRelative(rawPath, opts.root);
    recordFile(files, path);
    for (const [id, count] of Object.entries(counts)) {
      if (!Object.hasOwn(statementMap, id)) continue;
      if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) {
        throw new ReportError(`${KIND}: statement ${id} of ${rawPath} has a bad count ${JSON.stringify(count)}`);
      }
      const line = startLine(statementMap[id]);
      if (line === undefined) throw new ReportError(`${KIND}: statement ${id} of ${rawPath} has no start line`);
      recordMax(files, path, line, count);
    }
  }
  return buildCoverage('istanbul', KIND, files);
}
