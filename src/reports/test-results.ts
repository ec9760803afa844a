/** @module The runner-neutral shape of a test run's results, as every test-report parser returns it. */

/** One test as the report describes it. */
export interface TestCase {
  /** The class or suite the test belongs to; '' when the report gives none. */
  readonly suite: string;
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'error' | 'skipped';
  readonly durationMs: number;
  /** Failure, error or skip reason, at most 2000 characters; absent for passed tests. */
  readonly message?: string;
}

/** A whole report: totals counted from the cases themselves, and the cases in document order. */
export interface TestResults {
  /** The report format, e.g. 'junit'. */
  readonly format: string;
  readonly totals: {
    total: number;
    passed: number;
    failed: number;
    errors: number;
    skipped: number;
    durationMs: number;
  };
  readonly cases: TestCase[];
}
