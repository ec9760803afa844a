/** @module Parses JUnit XML test reports (node:test, pytest, Surefire, Gradle, jest-junit, vitest, go-junit-report) into `TestResults`. */
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';
import { buildResults, cutMessage } from './results-builder.ts';
import type { TestCase, TestResults } from './test-results.ts';
import { attr, childElements, parseXmlRoots, tagOf, textOf, type XmlNode } from './xml-tree.ts';

/** node:test's junit reporter writes this classname on every case. */
const NODE_TEST_CLASSNAME = 'test';

/** The message of a failure, error or skipped element: its `message` attribute, else its text, else its `type`. */
function messageOf(element: XmlNode): string | undefined {
  return cutMessage(attr(element, 'message')) ?? cutMessage(textOf(element)) ?? cutMessage(attr(element, 'type'));
}

/**
 * Seconds as JUnit writes them ("0.0042", "12", and Surefire's "1,234.5") to
 * milliseconds with microsecond precision; anything unreadable is 0.
 */
function durationMs(time: string | undefined): number {
  if (time === undefined) return 0;
  let text = time.trim();
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) text = text.replaceAll(',', '');
  else if (/^\d+,\d+$/.test(text)) text = text.replace(',', '.');
  const seconds = Number(text);
  if (text === '' || !Number.isFinite(seconds) || seconds < 0) return 0;
  return Math.round(seconds * 1e6) / 1e3;
}

function toCase(node: XmlNode, suitePath: readonly string[]): TestCase {
  const classname = attr(node, 'classname') ?? attr(node, 'class') ?? '';
  const suite = classname !== '' && classname !== NODE_TEST_CLASSNAME ? classname : suitePath.join(' > ');
  const children = childElements(node);
  let status: TestCase['status'] = 'passed';
  let message: string | undefined;
  for (const [tag, verdict] of [
    ['failure', 'failed'],
    ['error', 'error'],
    ['skipped', 'skipped'],
  ] as const) {
    const element = children.find((child) => tagOf(child) === tag);
    if (element) {
      status = verdict;
      message = messageOf(element);
      break;
    }
  }
  const base = { suite, name: attr(node, 'name') ?? '', status, durationMs: durationMs(attr(node, 'time')) };
  return message === undefined ? base : { ...base, message };
}

function collect(children: XmlNode[], suitePath: readonly string[], cases: TestCase[]): void {
  for (const child of children) {
    const tag = tagOf(child);
    if (tag === 'testcase') cases.push(toCase(child, suitePath));
    else if (tag === 'testsuite') collect(childElements(child), [...suitePath, attr(child, 'name') ?? ''], cases);
    else if (tag === 'testsuites') collect(childElements(child), suitePath, cases);
  }
}

/**
 * Parses a JUnit XML report. The root must be `<testsuites>` or `<testsuite>`;
 * `<testsuite>`s may nest, and `<testcase>`s may sit directly under the root
 * (node:test does that for top-level tests). Totals are counted from the
 * `<testcase>` elements, never from the suites' attributes; totals.durationMs is
 * the sum of the cases' times. A case with a `<failure>` is 'failed', else with
 * an `<error>` 'error', else with a `<skipped>` 'skipped' (Surefire's
 * `<flakyFailure>` alone is a pass). `suite` is the `classname` attribute, or
 * the enclosing suite names joined with ' > ' when the classname is missing or
 * node:test's constant "test". An empty `<testsuites/>` gives zero totals.
 *
 * @throws ReportError when the input is over 50 MiB, is not well-formed XML, or
 * its root element is neither `<testsuites>` nor `<testsuite>`.
 */
export function parseJunit(xml: string): TestResults {
  assertReportSize(xml, 'JUnit XML report');
  const cases: TestCase[] = [];
  for (const root of parseXmlRoots(xml, 'JUnit XML report')) {
    const tag = tagOf(root) ?? '';
    if (tag === 'testsuites') collect(childElements(root), [], cases);
    else if (tag === 'testsuite') collect([root], [], cases);
    else
      throw new ReportError(
        `not a JUnit XML report: the root element is <${tag}>, expected <testsuites> or <testsuite>`,
      );
  }
  return buildResults('junit', cases);
}
