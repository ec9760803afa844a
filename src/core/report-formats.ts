/** @module The names of the report formats, as the config spells them. */

/** The test report formats, as the config names them. */
export const TEST_REPORT_FORMATS = ['junit', 'tap', 'go-json', 'jest-json'] as const;
/** A test report format name. */
export type TestReportFormat = (typeof TEST_REPORT_FORMATS)[number];

/** The coverage report formats, as the config names them. */
export const COVERAGE_FORMATS = ['lcov', 'cobertura', 'jacoco', 'istanbul', 'go'] as const;
/** A coverage report format name. */
export type CoverageFormat = (typeof COVERAGE_FORMATS)[number];
