/** @module Parses TAP 13 and TAP 14 streams (node --test-reporter=tap, node-tap, prove and others) into `TestResults`. */
import { parse as parseYaml } from 'yaml';
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';
import { buildResults, dedent, makeCase, toMs } from './results-builder.ts';
import type { TestCase, TestResults } from './test-results.ts';

const KIND = 'TAP report';
// A plan larger than this is not believed: it would make the parser invent that many missing tests.
const MAX_PLANNED = 1_000_000;

const POINT_RE = /^(not ok|ok)(?=\s|$)\s*(\d+)?\s*(?:-(?=\s|$))?\s*(.*)$/;
const PLAN_RE = /^1\.\.(\d+)\s*(?:#\s*(.*))?$/;
const SUBTEST_RE = /^#\s*Subtest(?::\s*(.*))?$/i;
const BAIL_RE = /^Bail out!\s*(.*)$/i;
const DIRECTIVE_RE = /^(skip|todo)\S*(?:\s+([\s\S]*))?$/i;
const VERSION_RE = /^TAP version \d+$/i;
const TIME_RE = /^time=(\d+(?:\.\d+)?)(ms|s)?$/;

interface Point {
  readonly ok: boolean;
  readonly number: number;
  readonly name: string;
  readonly directive?: { kind: 'skip' | 'todo'; reason: string };
  durationMs: number;
  diagnostics?: Record<string, unknown>;
  rawDiagnostics?: string;
  children?: Frame;
}

interface Frame {
  indent: number;
  readonly points: Point[];
  // Closed subtest blocks that no test point claimed (a stream cut short, or a producer that writes none).
  readonly orphans: Frame[];
  plan?: number;
  subtestName?: string;
  // A '# Subtest' comment at this level, naming the next deeper block.
  nextSubtestName?: string;
  // A closed deeper block waiting for the test point that ends it.
  pending?: Frame;
}

const newFrame = (indent: number, subtestName?: string): Frame =>
  subtestName === undefined ? { indent, points: [], orphans: [] } : { indent, points: [], orphans: [], subtestName };

// Splits "desc # directive" at the first '#' not escaped by a backslash, and unescapes '\\' and '\#'.
function splitDescription(text: string): { name: string; directive?: string } {
  let name = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === '\\' || text[i + 1] === '#')) {
      name += text[i + 1];
      i++;
    } else if (c === '#') {
      return { name: name.trim(), directive: text.slice(i + 1).trim() };
    } else name += c;
  }
  return { name: name.trim() };
}

function parsePoint(content: string, fallbackNumber: number): Point | undefined {
  const m = POINT_RE.exec(content);
  if (!m) return undefined;
  const { name, directive } = splitDescription(m[3] ?? '');
  const point: Point = {
    ok: m[1] === 'ok',
    number: m[2] === undefined ? fallbackNumber : Number(m[2]),
    name,
    durationMs: 0,
  };
  if (directive !== undefined) {
    const d = DIRECTIVE_RE.exec(directive);
    const t = TIME_RE.exec(directive);
    if (d)
      return {
        ...point,
        directive: { kind: (d[1] ?? '').toLowerCase() === 'skip' ? 'skip' : 'todo', reason: (d[2] ?? '').trim() },
      };
    if (t) point.durationMs = toMs(Number(t[1]) * (t[2] === 's' ? 1000 : 1));
  }
  return point;
}

const leading = (line: string): number => /^[ \t]*/.exec(line)?.[0].length ?? 0;

// The YAML block after the test point at lines[from - 1], if one follows: its text and the index of its last line.
function readYamlBlock(lines: string[], from: number, pointIndent: number): { text: string; end: number } | undefined {
  let j = from;
  while (j < lines.length && (lines[j] ?? '').trim() === '') j++;
  const open = lines[j] ?? '';
  const indent = leading(open);
  if (j >= lines.length || open.trim() !== '---' || indent <= pointIndent) return undefined;
  const body: string[] = [];
  let k = j + 1;
  for (; k < lines.length; k++) {
    const line = lines[k] ?? '';
    if (line.trim() === '...' && leading(line) === indent) break;
    body.push(line.slice(Math.min(indent, leading(line))));
  }
  return { text: body.join('\n'), end: Math.min(k, lines.length - 1) };
}

function readDiagnostics(point: Point, text: string): void {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100, uniqueKeys: false });
  } catch {
    point.rawDiagnostics = text;
    return;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    point.rawDiagnostics = text;
    return;
  }
  const diagnostics = doc as Record<string, unknown>;
  point.diagnostics = diagnostics;
  const ms = diagnostics['duration_ms'];
  if (typeof ms === 'number') point.durationMs = toMs(ms);
}

function failureMessage(point: Point): string | undefined {
  const d = point.diagnostics;
  if (d) {
    const error = d['error'];
    if (typeof error === 'string' && error.trim() !== '') return dedent(error);
    if (
      typeof error === 'object' &&
      error !== null &&
      typeof (error as Record<string, unknown>)['message'] === 'string'
    ) {
      return (error as Record<string, unknown>)['message'] as string;
    }
    for (const key of ['message', 'failure', 'reason']) {
      const value = d[key];
      if (typeof value === 'string' && value.trim() !== '') return value;
    }
    return undefined;
  }
  return point.rawDiagnostics === undefined ? undefined : dedent(point.rawDiagnostics);
}

function statusOf(point: Point): TestCase['status'] {
  if (point.directive) return 'skipped';
  return point.ok ? 'passed' : 'failed';
}

function caseOf(point: Point, suite: string): TestCase {
  const status = statusOf(point);
  let message: string | undefined;
  if (point.directive?.kind === 'todo')
    message = point.directive.reason === '' ? 'TODO' : `TODO: ${point.directive.reason}`;
  else if (point.directive?.kind === 'skip') message = point.directive.reason;
  else if (status === 'failed') message = failureMessage(point);
  return makeCase(suite, point.name, status, point.durationMs, message);
}

const hasContent = (frame: Frame | undefined): frame is Frame =>
  frame !== undefined && (frame.points.length > 0 || frame.orphans.length > 0 || (frame.plan ?? 0) > 0);

function emit(frame: Frame, path: readonly string[], cases: TestCase[]): void {
  const suite = path.join(' > ');
  const seen = new Set<number>();
  for (const point of frame.points) {
    seen.add(point.number);
    if (hasContent(point.children)) {
      const before = cases.length;
      emit(point.children, [...path, point.name], cases);
      const childFailed = cases.slice(before).some((c) => c.status === 'failed' || c.status === 'error');
      if (statusOf(point) === 'failed' && !childFailed) cases.push(caseOf(point, suite));
    } else if (point.diagnostics?.['type'] === 'suite' && statusOf(point) === 'passed') {
      // node:test's empty describe(): a suite with no tests, not a test.
    } else {
      cases.push(caseOf(point, suite));
    }
  }
  for (const orphan of frame.orphans)
    emit(orphan, orphan.subtestName === undefined ? path : [...path, orphan.subtestName], cases);
  if (frame.plan !== undefined) {
    const plan = frame.plan;
    for (let n = 1; n <= plan; n++) {
      if (seen.has(n)) continue;
      cases.push(
        makeCase(
          suite,
          `#${n} (not reported)`,
          'failed',
          0,
          `planned by 1..${plan} but never reported; the run may have stopped early`,
        ),
      );
    }
    const outside = [...seen].filter((n) => n < 1 || n > plan);
    if (outside.length > 0) {
      const list = outside.slice(0, 20).join(', ') + (outside.length > 20 ? ', …' : '');
      cases.push(
        makeCase(
          suite,
          `test points outside the plan 1..${plan}`,
          'failed',
          0,
          `test point number${outside.length > 1 ? 's' : ''} ${list} outside the plan 1..${plan}`,
        ),
      );
    }
  }
}

/**
 * Parses a TAP 13 or TAP 14 stream. Test points are `ok`/`not ok` lines with
 * an optional number and description (`\#` and `\\` unescaped). A `# SKIP` or
 * `# TODO` directive (any case, with an optional reason) makes a test
 * 'skipped', with the reason as message ("TODO: reason" for TODO), whether the
 * line says ok or not ok; otherwise ok is 'passed' and not ok 'failed'. A YAML
 * block (`---` … `...`) after a test point gives the failure message (its
 * `error`, `error.message`, `message`, `failure` or `reason`, or the block's
 * text when it is not YAML) and the duration (`duration_ms`; a `# time=12ms`
 * directive also counts).
 *
 * Subtests are indented blocks (optionally announced by `# Subtest: name`)
 * closed by the parent's test point. Only leaf tests are cases, with `suite`
 * the parent names joined with ' > '; a parent is a case of its own only when
 * it failed while none of its subtests did (a hook or the parent's own code
 * failed). A node:test suite with no tests that passed is not a case.
 *
 * Each `1..N` plan, at the top level or in a subtest, must be met: a planned
 * number with no test point becomes a 'failed' case named `#n (not reported)`,
 * and test point numbers outside the plan add one 'failed' case.
 * `Bail out!` ends the stream: it becomes an 'error' case, and the tests it
 * left unrun count as missing. Lines that are not TAP (comments, program
 * output) are ignored.
 *
 * @throws ReportError when the input is over 50 MiB, has no test point and no
 * plan (not TAP), has no top-level plan (it may be truncated) unless it bailed
 * out, or plans more than 1,000,000 tests.
 */
export function parseTap(text: string): TestResults {
  assertReportSize(text, KIND);
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  const root = newFrame(0);
  const stack: Frame[] = [root];
  const top = (): Frame => stack[stack.length - 1] ?? root;
  let sawTap = false;
  let sawVersion = false;
  let bail: { reason: string; path: string[] } | undefined;

  const orphanPending = (frame: Frame): void => {
    if (frame.pending) frame.orphans.push(frame.pending);
    frame.pending = undefined;
  };
  const closeTop = (): void => {
    const closed = stack.pop();
    if (!closed) return;
    orphanPending(closed);
    const parent = top();
    orphanPending(parent);
    if (closed.subtestName === undefined && parent.nextSubtestName !== undefined)
      closed.subtestName = parent.nextSubtestName;
    parent.nextSubtestName = undefined;
    parent.pending = closed;
  };
  const suitePath = (): string[] => {
    const names: string[] = [];
    for (const frame of stack.slice(1)) names.push(frame.subtestName ?? '');
    return names.filter((n) => n !== '');
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const content = raw.trim();
    if (content === '') continue;
    const indent = leading(raw);
    // The top level is as indented as the version line, or else as the first TAP line.
    if (!sawTap && VERSION_RE.test(content)) {
      root.indent = indent;
      sawVersion = true;
    }
    const isPoint = POINT_RE.test(content);
    const plan = PLAN_RE.exec(content);
    const subtest = SUBTEST_RE.exec(content);
    const bailOut = BAIL_RE.exec(content);
    if (!isPoint && !plan && !subtest && !bailOut) continue;
    if (!sawTap && !sawVersion) root.indent = indent;
    sawTap = true;
    while (indent < top().indent && stack.length > 1) closeTop();
    let opened = false;
    if (indent > top().indent) {
      const parent = top();
      stack.push(newFrame(indent, parent.nextSubtestName));
      parent.nextSubtestName = undefined;
      opened = true;
    }
    const frame = top();
    if (bailOut) {
      bail = { reason: (bailOut[1] ?? '').trim(), path: suitePath() };
      break;
    }
    if (subtest) {
      orphanPending(frame);
      const name = splitDescription(subtest[1] ?? '').name;
      // TAP 14 puts '# Subtest' inside the block it names; node:test puts it one level up.
      if (opened && frame.subtestName === undefined) frame.subtestName = name;
      else frame.nextSubtestName = name;
      continue;
    }
    if (plan) {
      orphanPending(frame);
      const count = Number(plan[1]);
      if (count > MAX_PLANNED)
        throw new ReportError(`${KIND} line ${i + 1}: plan 1..${count} is more than ${MAX_PLANNED} tests`);
      if (frame.plan === undefined) frame.plan = count;
      continue;
    }
    const point = parsePoint(content, frame.points.length + 1);
    if (!point) continue;
    if (frame.pending) point.children = frame.pending;
    frame.pending = undefined;
    frame.nextSubtestName = undefined;
    frame.points.push(point);
    const yaml = readYamlBlock(lines, i + 1, indent);
    if (yaml) {
      readDiagnostics(point, yaml.text);
      i = yaml.end;
    }
  }
  while (stack.length > 1) closeTop();
  orphanPending(root);

  if (!sawTap) throw new ReportError(`not a TAP report: no test line ("ok", "not ok") or plan ("1..N") found`);
  if (root.plan === undefined && !bail) {
    throw new ReportError(
      `${KIND} has no top-level plan ("1..N"); the run may have stopped before the end, or the output is truncated`,
    );
  }
  const cases: TestCase[] = [];
  emit(root, [], cases);
  if (bail)
    cases.push(
      makeCase(bail.path.join(' > '), 'Bail out!', 'error', 0, bail.reason === '' ? 'the run bailed out' : bail.reason),
    );
  return buildResults('tap', cases);
}
