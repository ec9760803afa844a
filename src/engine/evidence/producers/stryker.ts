/**
 * @module VERIFY's mutants made by StrykerJS: for JavaScript/TypeScript tested by vitest, jest or mocha, Stryker
 * mutates only a sample of the changed lines that the tests run (its `mutate` line ranges), in a scratch copy of the
 * working tree, inside the sandbox like every VERIFY command, within the mutation budget; its JSON report becomes
 * `mutation_report.json`. When Stryker cannot run, the caller falls back to Autopilot's own mutations, with the reason.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Config } from '../../../core/config.ts';
import { readStrykerReport } from '../../../reports/stryker-report.ts';
import type { Engine } from '../../context.ts';
import { scratchCopy, type MutantResult, type MutationInput, type MutationReport } from './mutation.ts';
import { cacheEnv, commandEnv } from './run-commands.ts';

/** The test runners Stryker has a plugin for, by the name of their plugin (`@stryker-mutator/<name>-runner`). */
export const STRYKER_RUNNERS = ['vitest', 'jest', 'mocha'] as const;
export type StrykerRunnerName = (typeof STRYKER_RUNNERS)[number];

/** Files Stryker mutates: JavaScript and TypeScript, modules and JSX included. */
export const STRYKER_FILES = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/** Package managers whose `test` (or `run NAME`) runs a script of package.json. */
const SCRIPT_RUNNERS = new Set(['npm', 'pnpm', 'yarn', 'bun']);

/** The runner a word of a command line starts: `vitest`, `node_modules/.bin/jest`, `mocha/bin/mocha.js`. */
function runnerWord(word: string): StrykerRunnerName | undefined {
  const base = word.split('/').pop() ?? '';
  const parent = word.split('/').slice(-3, -2)[0];
  for (const r of STRYKER_RUNNERS) {
    if (base === r || base === `${r}.js` || base === `${r}.mjs` || base === `${r}.cjs`) return r;
    // node_modules/jest/bin/jest.js, node_modules/mocha/bin/_mocha
    if (parent === r && /^_?[a-z]+(\.[cm]?js)?$/.test(base)) return r;
  }
  return undefined;
}

/**
 * The test runner a test command runs, when Stryker has a plugin for it: named on the command line, or in the
 * package.json script that `npm test` (`pnpm run NAME`, ...) runs.
 */
export function strykerRunnerOf(argv: readonly string[], root: string): StrykerRunnerName | undefined {
  for (const w of argv) {
    const r = runnerWord(w);
    if (r) return r;
  }
  const tool = argv[0]?.split('/').pop() ?? '';
  if (!SCRIPT_RUNNERS.has(tool)) return undefined;
  const args = argv.slice(1).filter((a) => !a.startsWith('-'));
  const name = args[0] === 'run' || args[0] === 'run-script' ? args[1] : args[0];
  if (!name) return undefined;
  let script: unknown;
  try {
    script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> })
      .scripts?.[name];
  } catch {
    return undefined;
  }
  if (typeof script !== 'string') return undefined;
  for (const w of script.split(/\s+/)) {
    const r = runnerWord(w);
    if (r) return r;
  }
  return undefined;
}

/** A Stryker that can run: its command-line script, its runner plugin's entry (an absolute path), its version. */
export interface StrykerInstall {
  readonly bin: string;
  readonly plugin: string;
  readonly version: string;
  readonly source: 'repository' | 'autopilot';
}

/** The ESM entry of a package whose package.json is at `pkgJson`: Stryker imports plugins. */
function moduleEntry(pkgJson: string): string | undefined {
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports?: unknown; main?: unknown };
  const dot =
    typeof pkg.exports === 'object' && pkg.exports !== null
      ? (pkg.exports as Record<string, unknown>)['.']
      : pkg.exports;
  const entry =
    typeof dot === 'string'
      ? dot
      : typeof dot === 'object' && dot !== null && typeof (dot as Record<string, unknown>)['import'] === 'string'
        ? ((dot as Record<string, unknown>)['import'] as string)
        : typeof pkg.main === 'string'
          ? pkg.main
          : undefined;
  if (!entry) return undefined;
  const path = join(dirname(pkgJson), entry);
  return existsSync(path) ? path : undefined;
}

/** Core and runner plugin as `from` (a file of the project, or of Autopilot) resolves them; undefined if either is missing. */
function installFrom(
  from: string,
  runner: StrykerRunnerName,
  source: StrykerInstall['source'],
): StrykerInstall | undefined {
  const require = createRequire(from);
  let core: string;
  let pluginPkg: string;
  try {
    core = require.resolve('@stryker-mutator/core/package.json');
    pluginPkg = require.resolve(`@stryker-mutator/${runner}-runner/package.json`);
  } catch {
    return undefined;
  }
  const bin = join(dirname(core), 'bin', 'stryker.js');
  const plugin = moduleEntry(pluginPkg);
  if (!existsSync(bin) || !plugin) return undefined;
  const version = (JSON.parse(readFileSync(core, 'utf8')) as { version?: unknown }).version;
  return { bin, plugin, version: typeof version === 'string' ? version : 'unknown', source };
}

/**
 * Where Stryker comes from: the repository's own `@stryker-mutator/core` with its runner plugin when it has both
 * (its devDependency, the version its people chose), else the copy installed with Autopilot.
 */
export function locateStryker(root: string, runner: StrykerRunnerName): StrykerInstall | undefined {
  return (
    installFrom(join(root, 'package.json'), runner, 'repository') ??
    installFrom(import.meta.filename, runner, 'autopilot')
  );
}

/** The changed lines Stryker is to mutate: at most `max`, spread evenly over them like Autopilot's own sample. */
export function sampleLines<T>(lines: readonly T[], max: number): T[] {
  if (lines.length <= max) return [...lines];
  return Array.from({ length: max }, (_, i) => lines[Math.floor((i * lines.length) / max)]!);
}

/** Stryker's `mutate` entries for lines: one `file:start-end` range for each run of consecutive lines of a file. */
export function mutateRanges(lines: readonly { file: string; line: number }[]): string[] {
  const byFile = new Map<string, number[]>();
  for (const l of lines) byFile.set(l.file, [...(byFile.get(l.file) ?? []), l.line]);
  const out: string[] = [];
  for (const [file, nums] of byFile) {
    const sorted = [...new Set(nums)].sort((a, b) => a - b);
    let start = sorted[0]!;
    let prev = start;
    for (const n of [...sorted.slice(1), Number.NaN]) {
      if (n === prev + 1) {
        prev = n;
        continue;
      }
      out.push(`${file}:${start}-${prev}`);
      start = prev = n;
    }
  }
  return out;
}

/** The folder of the scratch copy that Stryker writes to (its report, its own sandbox): writable in the sandbox. */
const OUT_DIR = '.autopilot-stryker';
const REPORT = `${OUT_DIR}/mutation.json`;
const CONFIG_FILE = '.autopilot-stryker.config.json';

/** Stryker's configuration for one VERIFY. */
function strykerConfig(
  runner: StrykerRunnerName,
  install: StrykerInstall,
  mutate: readonly string[],
  settings: Config['verify']['mutation'],
): Record<string, unknown> {
  return {
    testRunner: runner,
    plugins: [install.plugin],
    mutate,
    reporters: ['json'],
    jsonReporter: { fileName: REPORT },
    tempDirName: `${OUT_DIR}/tmp`,
    cleanTempDir: 'always',
    ignorePatterns: [OUT_DIR, CONFIG_FILE],
    // One test-runner process: the machine's cores are shared with the agent, and the order stays reproducible.
    concurrency: 1,
    coverageAnalysis: 'perTest',
    incremental: false,
    allowEmpty: true,
    dryRunTimeoutMinutes: Math.max(1, Math.ceil(settings.timeoutSeconds / 60)),
    logLevel: 'warn',
    fileLogLevel: 'off',
  };
}

/** What a Stryker run gave: a report, or why Stryker could not make one (the caller falls back). */
export type StrykerOutcome =
  { readonly report: MutationReport } | { readonly failed: string; readonly spentMs: number };

/** What a failed run said: Stryker's ERROR lines (its own words on what went wrong), else its last lines. */
function tail(output: string): string {
  const lines = output
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = [
    ...new Set(lines.flatMap((l) => /^\S+ \(\d+\) ERROR \S+ (.*)$/.exec(l)?.[1] ?? []).map((m) => m.slice(0, 300))),
  ];
  return (errors.length > 0 ? errors.slice(0, 2) : lines.slice(-4)).join(' | ').slice(0, 600);
}

/** Runs Stryker on the sampled lines within the mutation budget, in the sandbox. */
export async function runStryker(
  e: Engine,
  input: MutationInput,
  runner: StrykerRunnerName,
  install: StrykerInstall,
  engineReason: string,
): Promise<StrykerOutcome> {
  const settings = e.config.verify.mutation;
  const budget = { maxMutants: settings.maxMutants, timeoutSeconds: settings.timeoutSeconds };
  const lines = sampleLines(
    input.lines.filter((l) => STRYKER_FILES.test(l.file)),
    settings.maxMutants,
  );
  const started = Date.now();
  const dir = scratchCopy(e.layout.root, e.layout.stateDir);
  try {
    writeFileSync(
      join(dir, CONFIG_FILE),
      JSON.stringify(strykerConfig(runner, install, mutateRanges(lines), settings)),
    );
    const result = await e.runner.run({
      argv: [process.execPath, install.bin, 'run', CONFIG_FILE],
      cwd: dir,
      env: { ...cacheEnv(e.layout.cacheDir, input.test), ...commandEnv(input.test) },
      timeoutMs: settings.timeoutSeconds * 1000,
      maxOutputBytes: e.config.limits.maxLogBytes,
      network: input.test.network,
      outputs: [REPORT],
    });
    try {
      const spentMs = Date.now() - started;
      const base = {
        engine: 'stryker' as const,
        engineReason,
        stryker: { version: install.version, source: install.source, runner },
        enabled: true,
        budget,
        threshold: settings.threshold,
        candidates: input.lines.length,
      };
      if (result.spawnError) return { failed: `Stryker could not start: ${result.spawnError}`, spentMs };
      if (result.timedOut)
        // The budget is spent: nothing is left for another engine. Recorded, never passed over in silence.
        return {
          report: {
            ...base,
            skipped: `Stryker did not finish within the mutation budget (verify.mutation.timeoutSeconds: ${settings.timeoutSeconds}) and was stopped: raise the budget, or lower verify.mutation.maxMutants`,
            mutants: [],
            notRun: lines.length,
            killed: 0,
            survived: 0,
            timedOut: 0,
            errors: 0,
            score: null,
            meetsThreshold: true,
          },
        };
      if (result.exitCode !== 0)
        return {
          failed: `Stryker failed (exit ${result.exitCode ?? result.signal}): ${tail(result.output) || 'no output'}`,
          spentMs,
        };
      let doc: unknown;
      try {
        doc = JSON.parse(await readFile(join(result.workspace, REPORT), 'utf8'));
      } catch (err) {
        return { failed: `Stryker ran but its JSON report cannot be read: ${(err as Error).message}`, spentMs };
      }
      const read = readStrykerReport(doc);
      if (!read.ok) return { failed: `Stryker's JSON report is not one Autopilot can read: ${read.error}`, spentMs };
      const ran = read.mutants.filter((m) => m.status !== 'not-run');
      const mutants: MutantResult[] = ran.map((m) => ({
        file: m.file,
        line: m.line,
        column: m.column,
        original: m.original,
        operator: m.operator,
        replacement: m.replacement,
        ...(m.uncovered ? { uncovered: true } : {}),
        status: m.status as MutantResult['status'],
        durationMs: m.durationMs,
        detail: m.detail,
      }));
      const count = (s: MutantResult['status']) => mutants.filter((m) => m.status === s).length;
      const killed = count('killed');
      const survived = count('survived');
      const timedOut = count('timeout');
      const judged = killed + survived + timedOut;
      const score = judged === 0 ? null : Math.round(((killed + timedOut) * 1000) / judged) / 10;
      return {
        report: {
          ...base,
          ...(read.mutants.length === 0
            ? { skipped: 'Stryker made no mutant of the changed lines that the tests run: nothing on them to mutate' }
            : {}),
          mutants,
          notRun: read.mutants.length - ran.length,
          killed,
          survived,
          timedOut,
          errors: count('error'),
          score,
          meetsThreshold: score === null || score >= settings.threshold,
        },
      };
    } finally {
      await e.runner.release?.(result);
    }
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}
