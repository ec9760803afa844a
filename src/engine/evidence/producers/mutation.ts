/**
 * @module VERIFY's mutation run: a sample of the changed lines that the tests run, each mutated in turn (negated
 * condition, changed return value, removed statement) in a scratch copy of the working tree, with the configured
 * test command re-run in the sandbox per mutant. A mutant the tests pass on survived: the tests run that line but
 * check nothing it does. The repository itself is never changed.
 */
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { Config, TestCommandSpec } from '../../../core/config.ts';
import { plural } from '../../../core/phrasing.ts';
import { sampleMutants, type MutantPlan } from '../../../reports/line-mutants.ts';
import { parseTestReport, type TestReportFormat } from '../../../reports/parse.ts';
import type { TestFinding } from '../../../reports/test-inventory.ts';
import type { Engine } from '../../context.ts';
import { cacheEnv, commandEnv } from './run-commands.ts';

export type MutantStatus = 'killed' | 'survived' | 'timeout' | 'error';

/** One mutant and what the tests made of it, whichever engine made it. */
export interface MutantResult {
  readonly file: string;
  readonly line: number;
  /** The line as it is. */
  readonly original: string;
  /** What made the mutant: one of Autopilot's operators, or Stryker's mutator name. */
  readonly operator: string;
  /** The line as the mutant has it. */
  readonly replacement: string;
  /** Where on the line the mutated code starts (Stryker's mutants; Autopilot's change the whole line). */
  readonly column?: number;
  /** A survivor that no test runs at all (Stryker's NoCoverage), rather than one the tests run and do not check. */
  readonly uncovered?: boolean;
  readonly status: MutantStatus;
  readonly durationMs: number;
  /** What decided the status: the failing tests, or why the mutant could not be judged. */
  readonly detail: string;
}

/** Who made the mutants: Autopilot's own line mutations, or StrykerJS. */
export type MutationEngine = 'autopilot' | 'stryker';

/** What `mutation_report.json` holds. */
export interface MutationReport {
  readonly engine: MutationEngine;
  /** Why this engine made the mutants: the setting, the language and test runner, or why Stryker could not run. */
  readonly engineReason?: string;
  /** The Stryker that ran: its version, where it came from, and its test-runner plugin. */
  readonly stryker?: { readonly version: string; readonly source: 'repository' | 'autopilot'; readonly runner: string };
  readonly enabled: boolean;
  readonly budget: { readonly maxMutants: number; readonly timeoutSeconds: number };
  readonly threshold: number;
  /** Why no mutant ran, when none did. */
  readonly skipped?: string;
  /** Changed lines that tests run and that a mutation applies to. */
  readonly candidates: number;
  readonly mutants: MutantResult[];
  /** Mutants of the sample that the time budget left unrun. */
  readonly notRun: number;
  readonly killed: number;
  readonly survived: number;
  readonly timedOut: number;
  readonly errors: number;
  /** Percent of the judged mutants (killed, timed out, survived) that the tests detected; null when none was judged. */
  readonly score: number | null;
  readonly meetsThreshold: boolean;
}

/** Top-level folders a scratch copy links to instead of copying: installed dependencies, never changed by a mutant. */
const LINKED = ['node_modules', '.venv', 'venv', '.git'];

/** A scratch copy of the working tree without the state folder; dependencies linked, not copied. Removed with its parent folder. */
export function scratchCopy(root: string, stateDir: string): string {
  const scratch = mkdtempSync(join(tmpdir(), 'autopilot-mutants-'));
  const dir = join(scratch, 'ws');
  const skip = new Set([stateDir, ...LINKED.map((l) => join(root, l))]);
  cpSync(root, dir, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !skip.has(src),
  });
  // To the real folder, not through a link of the repository's own: a sandbox shows the link's real target at its
  // real path, but not a repository's link under /tmp (a private tmpfs there), and the copy's link would lead nowhere.
  for (const l of LINKED) if (existsSync(join(root, l))) symlinkSync(realpathSync(join(root, l)), join(dir, l));
  return dir;
}

/** The report of a VERIFY whose mutants did not run, with the reason. */
export function skippedMutation(config: Config, reason: string): MutationReport {
  return skippedReport(
    config.verify.mutation,
    config.verify.mutation.enabled ? reason : 'verify.mutation.enabled is false',
  );
}

function skippedReport(settings: Config['verify']['mutation'], reason: string, candidates = 0): MutationReport {
  return {
    engine: 'autopilot',
    enabled: settings.enabled,
    budget: { maxMutants: settings.maxMutants, timeoutSeconds: settings.timeoutSeconds },
    threshold: settings.threshold,
    skipped: reason,
    candidates,
    mutants: [],
    notRun: 0,
    killed: 0,
    survived: 0,
    timedOut: 0,
    errors: 0,
    score: null,
    meetsThreshold: true,
  };
}

export interface MutationInput {
  readonly test: TestCommandSpec;
  readonly report: { readonly format: TestReportFormat; readonly path: string };
  /** Other files the test command writes (the coverage report), which must be writable in the sandbox. */
  readonly outputs: readonly string[];
  /** Changed lines of source files that the tests ran, with their text, in diff order. */
  readonly lines: readonly { file: string; line: number; text: string }[];
  /** How long the test command took in VERIFY's own run. */
  readonly baselineMs: number;
  /** Time of the mutation budget already spent (by a Stryker run that failed), which this run has less of. */
  readonly spentMs?: number;
}

/** Runs the mutants of a VERIFY, within the configured budget. */
export async function runMutants(engine: Engine, input: MutationInput): Promise<MutationReport> {
  const settings = engine.config.verify.mutation;
  if (!settings.enabled) return skippedReport(settings, 'verify.mutation.enabled is false');
  const plans = sampleMutants(input.lines, settings.maxMutants);
  if (plans.length === 0) {
    return skippedReport(
      settings,
      input.lines.length === 0
        ? 'no changed line of a source file is run by the tests: nothing to mutate'
        : 'no changed line that the tests run is a statement these mutations apply to',
    );
  }
  const budgetMs = settings.timeoutSeconds * 1000 - (input.spentMs ?? 0);
  if (input.baselineMs > budgetMs) {
    return skippedReport(
      settings,
      `the test command took ${Math.round(input.baselineMs / 1000)} s, longer than ${input.spentMs ? `the ${Math.max(0, Math.round(budgetMs / 1000))} s left of` : 'the whole'} mutation budget (verify.mutation.timeoutSeconds: ${settings.timeoutSeconds}): the tests are too slow to re-run per mutant`,
      plans.length,
    );
  }
  const dir = scratchCopy(engine.layout.root, engine.layout.stateDir);
  const results: MutantResult[] = [];
  let notRun = 0;
  const started = Date.now();
  try {
    for (const plan of plans) {
      const left = budgetMs - (Date.now() - started);
      // A mutant that could not finish in what is left of the budget is not started.
      if (left < input.baselineMs) {
        notRun++;
        continue;
      }
      results.push(await runOne(engine, dir, plan, input, Math.min(left, input.test.timeoutSeconds * 1000)));
    }
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
  const count = (s: MutantStatus) => results.filter((r) => r.status === s).length;
  const killed = count('killed');
  const survived = count('survived');
  const timedOut = count('timeout');
  const judged = killed + survived + timedOut;
  const score = judged === 0 ? null : Math.round(((killed + timedOut) * 1000) / judged) / 10;
  return {
    engine: 'autopilot',
    enabled: true,
    budget: { maxMutants: settings.maxMutants, timeoutSeconds: settings.timeoutSeconds },
    threshold: settings.threshold,
    ...(results.length === 0
      ? { skipped: `the mutation budget of ${settings.timeoutSeconds} s ran out before the first mutant` }
      : {}),
    candidates: input.lines.length,
    mutants: results,
    notRun,
    killed,
    survived,
    timedOut,
    errors: count('error'),
    score,
    meetsThreshold: score === null || score >= settings.threshold,
  };
}

async function runOne(
  engine: Engine,
  dir: string,
  plan: MutantPlan,
  input: MutationInput,
  timeoutMs: number,
): Promise<MutantResult> {
  const path = join(dir, ...plan.file.split('/'));
  const original = readFileSync(path, 'utf8');
  const lines = original.split('\n');
  lines[plan.line - 1] = plan.replacement;
  writeFileSync(path, lines.join('\n'));
  const reportRel = relative(engine.layout.root, join(engine.layout.root, input.report.path)).split(sep).join('/');
  try {
    const result = await engine.runner.run({
      argv: input.test.run,
      cwd: dir,
      env: { ...cacheEnv(engine.layout.cacheDir, input.test), ...commandEnv(input.test) },
      timeoutMs,
      maxOutputBytes: engine.config.limits.maxLogBytes,
      network: input.test.network,
      outputs: [reportRel, ...input.outputs],
    });
    try {
      const base = { ...plan, durationMs: result.durationMs };
      if (result.timedOut)
        return { ...base, status: 'timeout', detail: `the tests did not finish in ${Math.round(timeoutMs / 1000)} s` };
      if (result.spawnError)
        return { ...base, status: 'error', detail: `the test command could not start: ${result.spawnError}` };
      let failing: string[] = [];
      let total = 0;
      try {
        const parsed = parseTestReport(input.report.format, await readFile(join(result.workspace, reportRel), 'utf8'), {
          root: dir,
        });
        total = parsed.totals.total;
        failing = parsed.cases.filter((c) => c.status === 'failed' || c.status === 'error').map((c) => c.name);
      } catch (err) {
        if (result.exitCode === 0)
          return {
            ...base,
            status: 'error',
            detail: `the tests passed without a usable report: ${(err as Error).message}`,
          };
      }
      if (failing.length > 0)
        return {
          ...base,
          status: 'killed',
          detail: `${plural(failing.length, 'test')} failed: ${failing.slice(0, 3).join('; ')}`,
        };
      if (result.exitCode !== 0)
        return {
          ...base,
          status: 'error',
          detail: `the test command failed (exit ${result.exitCode ?? result.signal}) without a failing test: the mutant did not load or compile`,
        };
      if (total === 0) return { ...base, status: 'error', detail: 'the tests ran no test' };
      return { ...base, status: 'survived', detail: `all ${plural(total, 'test')} passed with the mutant` };
    } finally {
      await engine.runner.release?.(result);
    }
  } finally {
    writeFileSync(path, original);
  }
}

/** A finding for each surviving mutant: a changed line the tests run but do not check. */
export function mutationFindings(report: MutationReport): TestFinding[] {
  return report.mutants
    .filter((m) => m.status === 'survived')
    .map((m) => ({
      kind: 'mutant-survived' as const,
      file: m.file,
      line: m.line,
      detail: `the tests pass with ${m.file}:${m.line} mutated (${m.operator}: ${JSON.stringify(m.original.trim())} became ${JSON.stringify(m.replacement.trim())}): ${m.uncovered ? 'no test runs the mutated code' : 'they run the line but check nothing it does'}`,
    }));
}
