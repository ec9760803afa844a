/**
 * @module StrykerJS's JSON report (the mutation-testing-report-schema its `json` reporter writes) read into mutants
 * of changed lines: where each is, which mutator made it, the line as mutated and what the tests made of it.
 */

/** What became of a mutant: the same words as Autopilot's own mutants, and `not-run` for those Stryker left out. */
export type StrykerMutantStatus = 'killed' | 'survived' | 'timeout' | 'error' | 'not-run';

/** One mutant of the report. */
export interface StrykerMutant {
  /** Repository-relative path, with forward slashes. */
  readonly file: string;
  readonly line: number;
  /** 1-based column where the mutated code starts. */
  readonly column: number;
  /** Stryker's mutator name (EqualityOperator, ConditionalExpression, BlockStatement, ...). */
  readonly operator: string;
  /** The line as it is. */
  readonly original: string;
  /** The line as the mutant has it (a mutation over several lines is shown on one). */
  readonly replacement: string;
  readonly status: StrykerMutantStatus;
  /** No test runs the mutated code: it survives because nothing runs it, not because nothing checks it. */
  readonly uncovered: boolean;
  /** What decided the status: the tests that killed it, or why it could not be judged. */
  readonly detail: string;
  readonly durationMs: number;
}

/** The report's mutants, or why the document is not a report that can be read. */
export type StrykerReadResult =
  { readonly ok: true; readonly mutants: StrykerMutant[] } | { readonly ok: false; readonly error: string };

interface Location {
  start: { line: number; column: number };
  end: { line: number; column: number };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function location(v: unknown): Location | undefined {
  if (!isObject(v) || !isObject(v['start']) || !isObject(v['end'])) return undefined;
  const n = (o: Record<string, unknown>, k: string) => (Number.isInteger(o[k]) ? (o[k] as number) : undefined);
  const [sl, sc, el, ec] = [n(v['start'], 'line'), n(v['start'], 'column'), n(v['end'], 'line'), n(v['end'], 'column')];
  if (sl === undefined || sc === undefined || el === undefined || ec === undefined || sl < 1 || el < sl)
    return undefined;
  return { start: { line: sl, column: sc }, end: { line: el, column: ec } };
}

/** A report path relative to the project root, with forward slashes. */
function relativePath(path: string, projectRoot: string | undefined): string {
  const p = path.split('\\').join('/');
  const root = projectRoot?.split('\\').join('/').replace(/\/+$/, '');
  if (root && p.startsWith(`${root}/`)) return p.slice(root.length + 1);
  return p.replace(/^\.\//, '');
}

/** The first line as the mutant has it: the text before the mutated code, the replacement, the text after it. */
function mutatedLine(lines: readonly string[], loc: Location, replacement: string): string {
  const first = lines[loc.start.line - 1] ?? '';
  const last = lines[loc.end.line - 1] ?? '';
  const flat = replacement.replace(/\s*\n\s*/g, ' ');
  return first.slice(0, loc.start.column - 1) + flat + last.slice(loc.end.column - 1);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The mutants of a Stryker JSON report (schema version 1 or 2). `Killed` and `Timeout` are the tests at work;
 * `Survived` and `NoCoverage` are survivors (Stryker's mutation score counts both as undetected); `CompileError` and
 * `RuntimeError` are errors; `Ignored` and `Pending` did not run.
 */
export function readStrykerReport(doc: unknown): StrykerReadResult {
  if (!isObject(doc)) return { ok: false, error: 'the report is not a JSON object' };
  const version = doc['schemaVersion'];
  if (typeof version !== 'string' || !/^[12](\.|$)/.test(version))
    return { ok: false, error: `schemaVersion ${JSON.stringify(version)} is not one this reader knows (1 or 2)` };
  const files = doc['files'];
  if (!isObject(files)) return { ok: false, error: 'the report has no files object' };
  const root = typeof doc['projectRoot'] === 'string' ? doc['projectRoot'] : undefined;
  const testNames = new Map<string, string>();
  if (isObject(doc['testFiles']))
    for (const tf of Object.values(doc['testFiles'])) {
      if (!isObject(tf) || !Array.isArray(tf['tests'])) continue;
      for (const t of tf['tests'])
        if (isObject(t) && typeof t['id'] === 'string' && typeof t['name'] === 'string')
          testNames.set(t['id'], t['name']);
    }
  const mutants: StrykerMutant[] = [];
  for (const [path, file] of Object.entries(files)) {
    if (!isObject(file) || typeof file['source'] !== 'string' || !Array.isArray(file['mutants']))
      return { ok: false, error: `${path}: a file needs its source and a mutants list` };
    const lines = file['source'].split('\n');
    for (const m of file['mutants']) {
      const loc = isObject(m) ? location(m['location']) : undefined;
      if (!isObject(m) || !loc || typeof m['mutatorName'] !== 'string' || typeof m['status'] !== 'string')
        return { ok: false, error: `${path}: a mutant without its mutatorName, status or location` };
      const replacement = typeof m['replacement'] === 'string' ? m['replacement'] : '';
      const ids = (k: string) => (Array.isArray(m[k]) ? (m[k] as unknown[]).filter((x) => typeof x === 'string') : []);
      const reason = typeof m['statusReason'] === 'string' ? m['statusReason'].split('\n')[0]!.slice(0, 300) : '';
      const judged = judge(m['status'], ids('killedBy'), ids('coveredBy').length, testNames, reason);
      if (!judged) return { ok: false, error: `${path}: mutant status ${JSON.stringify(m['status'])} is not known` };
      mutants.push({
        file: relativePath(path, root),
        line: loc.start.line,
        column: loc.start.column,
        operator: m['mutatorName'],
        original: lines[loc.start.line - 1] ?? '',
        replacement: mutatedLine(lines, loc, replacement),
        ...judged,
        durationMs: typeof m['duration'] === 'number' && m['duration'] >= 0 ? m['duration'] : 0,
      });
    }
  }
  mutants.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
  return { ok: true, mutants };
}

function judge(
  status: string,
  killedBy: readonly string[],
  covering: number,
  names: ReadonlyMap<string, string>,
  reason: string,
): Pick<StrykerMutant, 'status' | 'uncovered' | 'detail'> | undefined {
  const because = reason ? `: ${reason}` : '';
  switch (status) {
    case 'Killed': {
      const tests = killedBy.map((id) => names.get(id) ?? id);
      return {
        status: 'killed',
        uncovered: false,
        detail: tests.length
          ? `${plural(tests.length, 'test')} failed: ${tests.slice(0, 3).join('; ')}${because}`
          : `the tests failed${because}`,
      };
    }
    case 'Timeout':
      return {
        status: 'timeout',
        uncovered: false,
        detail: 'the tests did not finish with the mutant (a hang counts as caught)',
      };
    case 'Survived':
      return {
        status: 'survived',
        uncovered: false,
        detail: `all ${covering > 0 ? plural(covering, 'test') + ' that run it' : 'the tests'} passed with the mutant`,
      };
    case 'NoCoverage':
      return { status: 'survived', uncovered: true, detail: 'no test runs the mutated code' };
    case 'CompileError':
    case 'RuntimeError':
      return { status: 'error', uncovered: false, detail: `the mutant did not load (${status})${because}` };
    case 'Ignored':
    case 'Pending':
      return { status: 'not-run', uncovered: false, detail: `Stryker did not run it (${status})${because}` };
    default:
      return undefined;
  }
}
