/** @module Parses JUnit XML test reports (node:test, pytest, Surefire, Gradle, jest-junit, vitest, go-junit-report) into `TestResults`. */
import { XMLParser, XMLValidator, type EntityDecoderOptions } from 'fast-xml-parser';
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';
import type { TestCase, TestResults } from './test-results.ts';

const MAX_MESSAGE_CHARS = 2000;
const MAX_NESTING = 256;
/** node:test's junit reporter writes this classname on every case. */
const NODE_TEST_CLASSNAME = 'test';

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ENTITY_RE = /&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/g;

/**
 * Decodes the five XML entities and numeric character references in one pass,
 * so `&amp;quot;` becomes `&quot;` and nothing more. Entities declared in a
 * DOCTYPE are never expanded (no entity-expansion attacks); they stay as written.
 */
const entityDecoder: EntityDecoderOptions = {
  setExternalEntities: () => {},
  addInputEntities: () => {},
  reset: () => {},
  setXmlVersion: () => {},
  decode: (text) =>
    text.indexOf('&') === -1
      ? text
      : text.replace(ENTITY_RE, (whole, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
          if (named !== undefined) return XML_ENTITIES[named] ?? whole;
          const code = hex !== undefined ? parseInt(hex, 16) : parseInt(dec ?? '', 10);
          const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
          return valid ? String.fromCodePoint(code) : '\uFFFD';
        }),
};

/** A node of fast-xml-parser's `preserveOrder` output: `{ tag: children, ':@': attributes }` or `{ '#text': text }`. */
type XmlNode = Record<string, unknown>;

function tagOf(node: XmlNode): string | undefined {
  for (const key of Object.keys(node)) if (key !== ':@') return key;
  return undefined;
}

function childrenOf(node: XmlNode, tag: string): XmlNode[] {
  const children = node[tag];
  return Array.isArray(children) ? (children as XmlNode[]) : [];
}

function attr(node: XmlNode, name: string): string | undefined {
  const attrs = node[':@'];
  if (typeof attrs !== 'object' || attrs === null || !Object.hasOwn(attrs, name)) return undefined;
  const value: unknown = (attrs as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function textOf(children: XmlNode[]): string {
  let text = '';
  for (const child of children) {
    const value = child['#text'];
    if (typeof value === 'string') text += value;
  }
  return text;
}

function cut(text: string): string {
  if (text.length <= MAX_MESSAGE_CHARS) return text;
  let head = text.slice(0, MAX_MESSAGE_CHARS - 1);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return `${head}…`;
}

/** The message of a failure, error or skipped element: its `message` attribute, else its text, else its `type`. */
function messageOf(element: XmlNode, tag: string): string | undefined {
  const candidates = [attr(element, 'message'), textOf(childrenOf(element, tag)), attr(element, 'type')];
  for (const candidate of candidates) {
    const trimmed = candidate?.trim();
    if (trimmed) return cut(trimmed);
  }
  return undefined;
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
  const children = childrenOf(node, 'testcase');
  const first = (tag: string): XmlNode | undefined => children.find((child) => tagOf(child) === tag);
  let status: TestCase['status'] = 'passed';
  let message: string | undefined;
  for (const [tag, verdict] of [['failure', 'failed'], ['error', 'error'], ['skipped', 'skipped']] as const) {
    const element = first(tag);
    if (element) {
      status = verdict;
      message = messageOf(element, tag);
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
    else if (tag === 'testsuite') collect(childrenOf(child, tag), [...suitePath, attr(child, 'name') ?? ''], cases);
    else if (tag === 'testsuites') collect(childrenOf(child, tag), suitePath, cases);
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
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  if (text.trim() === '') throw new ReportError('JUnit XML report is empty');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new ReportError(`JUnit XML report is not well-formed XML (line ${line}${col === undefined ? '' : `, column ${col}`}): ${msg}`);
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    entityDecoder,
    maxNestedTags: MAX_NESTING,
  });
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw new ReportError(`JUnit XML report could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const roots = (Array.isArray(doc) ? (doc as XmlNode[]) : []).filter((node) => {
    const tag = tagOf(node);
    return tag !== undefined && tag !== '#text' && !tag.startsWith('?');
  });
  if (roots.length === 0) throw new ReportError('JUnit XML report has no root element');
  const cases: TestCase[] = [];
  for (const root of roots) {
    const tag = tagOf(root) ?? '';
    if (tag === 'testsuites') collect(childrenOf(root, tag), [], cases);
    else if (tag === 'testsuite') collect([root], [], cases);
    else throw new ReportError(`not a JUnit XML report: the root element is <${tag}>, expected <testsuites> or <testsuite>`);
  }
  const totals = { total: cases.length, passed: 0, failed: 0, errors: 0, skipped: 0, durationMs: 0 };
  let micros = 0;
  for (const c of cases) {
    if (c.status === 'passed') totals.passed++;
    else if (c.status === 'failed') totals.failed++;
    else if (c.status === 'error') totals.errors++;
    else totals.skipped++;
    micros += Math.round(c.durationMs * 1e3);
  }
  totals.durationMs = micros / 1e3;
  return { format: 'junit', totals, cases };
}
