/** @module Chooses the parser for a test or coverage report by its configured format name. */
import { parseCobertura } from './cobertura.ts';
import { ReportError } from './errors.ts';
import { parseGoCoverProfile } from './go-cover.ts';
import { parseGoTestJson } from './go-test-json.ts';
import { parseIstanbul } from './istanbul.ts';
import { parseJacoco } from './jacoco.ts';
import { parseJestJson } from './jest-json.ts';
import { parseJunit } from './junit.ts';
import { parseLcov, type CoverageReport } from './lcov.ts';
import { parseTap } from './tap.ts';
import type { TestResults } from './test-results.ts';
import {
  COVERAGE_FORMATS,
  TEST_REPORT_FORMATS,
  type CoverageFormat,
  type TestReportFormat,
} from '../core/report-formats.ts';

export {
  COVERAGE_FORMATS,
  TEST_REPORT_FORMATS,
  type CoverageFormat,
  type TestReportFormat,
} from '../core/report-formats.ts';

/** How the paths of a report map to repository-relative paths. */
export interface ReportPathOptions {
  /** Absolute path of the repository as the report's tool saw it; absolute paths under it become relative (lcov, cobertura, istanbul, jest-json, go). */
  readonly root?: string;
  /** Go module path whose files live in the repository (go): `example.com/mod/pkg/a.go` becomes `pkg/a.go`. */
  readonly modulePrefix?: string;
  /** Repository-relative directory the report's relative paths are under: JaCoCo's package paths (e.g. 'src/main/java'), or the Go module's directory. */
  readonly sourceRoot?: string;
}

/** True when `value` names a test report format. */
export function isTestReportFormat(value: unknown): value is TestReportFormat {
  return typeof value === 'string' && (TEST_REPORT_FORMATS as readonly string[]).includes(value);
}

/** True when `value` names a coverage report format. */
export function isCoverageFormat(value: unknown): value is CoverageFormat {
  return typeof value === 'string' && (COVERAGE_FORMATS as readonly string[]).includes(value);
}

/**
 * Parses a test report of the given format into `TestResults` (whose `format`
 * is the same name). `opts.root` is used by 'jest-json' to make test file
 * paths relative.
 *
 * @throws ReportError when the format is unknown or the report is malformed, truncated or over 50 MiB.
 */
export function parseTestReport(
  format: TestReportFormat,
  text: string,
  opts: Pick<ReportPathOptions, 'root'> = {},
): TestResults {
  switch (format) {
    case 'junit':
      return parseJunit(text);
    case 'tap':
      return parseTap(text);
    case 'go-json':
      return parseGoTestJson(text);
    case 'jest-json':
      return parseJestJson(text, opts.root === undefined ? {} : { root: opts.root });
    default:
      throw new ReportError(
        `unknown test report format ${JSON.stringify(format)}; expected one of ${TEST_REPORT_FORMATS.join(', ')}`,
      );
  }
}

/**
 * Parses a coverage report of the given format into a `CoverageReport` (whose
 * `format` is the same name), with file paths mapped by `opts`.
 *
 * @throws ReportError when the format is unknown or the report is malformed, truncated or over 50 MiB.
 */
export function parseCoverageReport(
  format: CoverageFormat,
  text: string,
  opts: ReportPathOptions = {},
): CoverageReport {
  const root = opts.root === undefined ? {} : { root: opts.root };
  switch (format) {
    case 'lcov':
      return parseLcov(text, root);
    case 'cobertura':
      return parseCobertura(text, root);
    case 'jacoco':
      return parseJacoco(text, opts.sourceRoot === undefined ? {} : { sourceRoot: opts.sourceRoot });
    case 'istanbul':
      return parseIstanbul(text, root);
    case 'go':
      return parseGoCoverProfile(text, {
        ...root,
        ...(opts.modulePrefix === undefined ? {} : { modulePrefix: opts.modulePrefix }),
        ...(opts.sourceRoot === undefined ? {} : { sourceRoot: opts.sourceRoot }),
      });
    default:
      throw new ReportError(
        `unknown coverage format ${JSON.stringify(format)}; expected one of ${COVERAGE_FORMATS.join(', ')}`,
      );
  }
}
