/** @module Helpers shared by the test-report parsers: message cutting, durations, and totals counted from the cases. */
import type { TestCase, TestResults } from './test-results.ts';

const MAX_MESSAGE_CHARS = 2000;

/** Trims a message and cuts it to 2000 characters (ending in '…'); undefined when nothing is left. */
export function cutMessage(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length <= MAX_MESSAGE_CHARS) return trimmed;
  let head = trimmed.slice(0, MAX_MESSAGE_CHARS - 1);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return `${head}…`;
}

/** Milliseconds rounded to microseconds; anything negative, non-finite or not a number is 0. */
export function toMs(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return 0;
  return Math.round(value * 1e3) / 1e3;
}

/** Removes the indentation common to all non-blank lines. */
export function dedent(text: string): string {
  const lines = text.split('\n');
  let common = Infinity;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const indent = /^[ \t]*/.exec(line)?.[0].length ?? 0;
    if (indent < common) common = indent;
  }
  if (common === Infinity || common === 0) return text;
  return lines.map((line) => line.slice(Math.min(common, /^[ \t]*/.exec(line)?.[0].length ?? 0))).join('\n');
}

/** A case, leaving `message` out when there is none and always for passed tests. */
export function makeCase(
  suite: string,
  name: string,
  status: TestCase['status'],
  durationMs: number,
  message?: string,
): TestCase {
  const cut = status === 'passed' ? undefined : cutMessage(message);
  const base = { suite, name, status, durationMs };
  return cut === undefined ? base : { ...base, message: cut };
}

/** Counts the totals from the cases; totals.durationMs is their sum, added in microseconds so it does not drift. */
export function buildResults(format: string, cases: TestCase[]): TestResults {
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
  return { format, totals, cases };
}
