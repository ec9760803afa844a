/** @module Parses Jest's `--json` report and Vitest's jest-compatible `json` reporter output into `TestResults`. */
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';
import { repoRelative } from './coverage-builder.ts';
import { buildResults, dedent, makeCase, toMs } from './results-builder.ts';
import type { TestCase, TestResults } from './test-results.ts';

const KIND = 'Jest/Vitest JSON report';
const ANSI_RE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const SUITE_FAILED = 'Test suite failed to run';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cleanMessage(text: string): string {
  const lines = text.replace(ANSI_RE, '').replace(/\r\n?/g, '\n').split('\n');
  while (lines.length > 0 && (lines[0] ?? '').trim() === '') lines.shift();
  if (/^\s*●\s*Test suite failed to run\s*$/.test(lines[0] ?? '')) lines.shift();
  return dedent(lines.join('\n'));
}

function statusOf(raw: unknown): { status: TestCase['status']; note?: string } {
  switch (raw) {
    case 'passed':
      return { status: 'passed' };
    case 'failed':
      return { status: 'failed' };
    case 'pending':
    case 'skipped':
    case 'disabled':
      return { status: 'skipped' };
    case 'todo':
      return { status: 'skipped', note: 'TODO' };
    default:
      return { status: 'error', note: `unknown test status ${JSON.stringify(raw)} in the report` };
  }
}

/**
 * Parses the JSON report of `jest --json` or of Vitest's `json` reporter (the
 * same shape): `testResults[]`, one per test file, each with
 * `assertionResults[]`. Every assertion result is a case whose `suite` is the
 * test file (relative to `opts.root` when under it) and whose name is its
 * `ancestorTitles` and `title` joined with ' > '. Status: passed → 'passed',
 * failed → 'failed', pending, skipped and disabled → 'skipped', todo →
 * 'skipped' with the message "TODO"; any other status is an 'error'. The
 * message of a failed test is its `failureMessages` joined, without ANSI
 * colours; durations come from `duration` (absent for skipped tests).
 *
 * A test file whose `status` is 'failed' while none of its tests failed (it
 * did not load, or a hook such as afterAll threw) adds an 'error' case named
 * "Test suite failed to run" with the file's `message`. The report's own
 * counters (numTotalTests and so on) are not trusted; totals are counted from
 * the cases.
 *
 * @param opts.root a POSIX absolute path; test file paths under it are made relative to it.
 * @throws ReportError when the input is over 50 MiB, is not JSON, has no
 * `testResults` array, or a test file or test entry is not an object, or a
 * test has no string `title`.
 */
export function parseJestJson(text: string, opts: { root?: string } = {}): TestResults {
  assertReportSize(text, KIND);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new ReportError(`${KIND} is empty`);
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new ReportError(`${KIND} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(doc) || !Array.isArray(doc['testResults'])) {
    throw new ReportError(`not a ${KIND}: expected an object with a testResults array`);
  }
  const cases: TestCase[] = [];
  doc['testResults'].forEach((file: unknown, fileIndex: number) => {
    if (!isObject(file)) throw new ReportError(`${KIND}: testResults[${fileIndex}] is not an object`);
    const suite = typeof file['name'] === 'string' ? repoRelative(file['name'], opts.root) : '';
    const assertions = Array.isArray(file['assertionResults']) ? file['assertionResults'] : [];
    const before = cases.length;
    assertions.forEach((test: unknown, testIndex: number) => {
      const where = `testResults[${fileIndex}].assertionResults[${testIndex}]`;
      if (!isObject(test) || typeof test['title'] !== 'string')
        throw new ReportError(`${KIND}: ${where} is not a test with a title`);
      const ancestors = Array.isArray(test['ancestorTitles'])
        ? test['ancestorTitles'].filter((t): t is string => typeof t === 'string')
        : [];
      const name = [...ancestors, test['title']].join(' > ');
      const { status, note } = statusOf(test['status']);
      let message = note;
      if (status === 'failed') {
        const failures = Array.isArray(test['failureMessages'])
          ? test['failureMessages'].filter((m): m is string => typeof m === 'string')
          : [];
        message = cleanMessage(failures.join('\n\n'));
      }
      cases.push(makeCase(suite, name, status, toMs(test['duration']), message));
    });
    const failedHere = cases.slice(before).some((c) => c.status === 'failed' || c.status === 'error');
    if (file['status'] === 'failed' && !failedHere) {
      const execError =
        isObject(file['testExecError']) && typeof file['testExecError']['message'] === 'string'
          ? file['testExecError']['message']
          : '';
      const raw = typeof file['message'] === 'string' && file['message'].trim() !== '' ? file['message'] : execError;
      cases.push(
        makeCase(suite, SUITE_FAILED, 'error', 0, cleanMessage(raw) || 'the test file failed without a message'),
      );
    }
  });
  return buildResults('jest-json', cases);
}
