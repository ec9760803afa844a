/** @module Running configured commands for evidence, with a clean environment and a timeout, and reading back the reports they write. */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandSpec } from '../../../core/config.ts';
import type { Remedy } from '../../../core/errors.ts';
import type { RunResult } from '../../../ports/runner.ts';
import type { Engine } from '../../context.ts';
import { FORGE_TOKEN_VARS } from '../../repo/forge.ts';

/** Variables every command gets, so that tools can find themselves; everything else must be named. */
const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'USER', 'SHELL'];

/**
 * The environment of an evidence command: the base variables and those its spec names, never a forge token (a test
 * the agent wrote could send it anywhere), even when the spec names one.
 */
export function commandEnv(spec: CommandSpec): Record<string, string> {
  const env: Record<string, string> = { CI: 'true', AUTOPILOT: '1' };
  for (const name of [...BASE_ENV, ...spec.env]) {
    if (FORGE_TOKEN_VARS.includes(name)) continue;
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  return env;
}

/**
 * Each ecosystem's cache, a folder under the state folder's `cache/`: persistent across runs, and writable
 * in the sandbox, where the home folder's caches (`~/.cache/go-build`) are read-only.
 */
export const CACHE_VARS: Readonly<Record<string, string>> = {
  GOCACHE: 'go-build',
  GOMODCACHE: 'go-mod',
  PIP_CACHE_DIR: 'pip',
  npm_config_cache: 'npm',
  npm_config_store_dir: 'pnpm-store',
};

/** Variables only some programs know, given to the commands that run them: npm warns of a store-dir it does not know. */
const CACHE_VAR_PROGRAMS: Readonly<Record<string, RegExp>> = { npm_config_store_dir: /\bpnpm\b/ };

/**
 * The cache variables a command gets, each folder made when missing (pnpm's store only for a command that
 * runs pnpm). A variable the command names in its `env` (and that is set) keeps the caller's value.
 */
export function cacheEnv(cacheDir: string, spec: CommandSpec): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, folder] of Object.entries(CACHE_VARS)) {
    if (spec.env.includes(name) && process.env[name] !== undefined) continue;
    const program = CACHE_VAR_PROGRAMS[name];
    if (program && !spec.run.some((a) => program.test(a))) continue;
    const dir = join(cacheDir, folder);
    mkdirSync(dir, { recursive: true });
    env[name] = dir;
  }
  return env;
}

export interface CommandRecord {
  readonly name: string;
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly startMs: number;
  readonly isolation: string;
  readonly spawnError?: string;
  readonly truncated: boolean;
}

/** A report the command was to write: its text, or why it could not be read. */
export type OutputFile = { readonly text: string } | { readonly error: string };

/**
 * Runs one configured command. `outputs` (paths relative to the repository) are
 * removed before it starts and read back, after it ends, from the workspace it
 * ran in, which may be a sandbox's scratch copy rather than the repository.
 */
export async function runCommand(
  engine: Engine,
  name: string,
  spec: CommandSpec,
  outputs: readonly string[] = [],
): Promise<{ record: CommandRecord; result: RunResult; outputs: Map<string, OutputFile> }> {
  const startMs = Date.now();
  const result = await engine.runner.run({
    argv: spec.run,
    cwd: engine.layout.root,
    env: { ...cacheEnv(engine.layout.cacheDir, spec), ...commandEnv(spec) },
    timeoutMs: spec.timeoutSeconds * 1000,
    maxOutputBytes: engine.config.limits.maxLogBytes,
    network: spec.network,
    ...(outputs.length > 0 ? { outputs } : {}),
  });
  const files = new Map<string, OutputFile>();
  try {
    for (const rel of outputs) {
      try {
        files.set(rel, { text: await readFile(join(result.workspace, rel), 'utf8') });
      } catch (err) {
        files.set(rel, { error: (err as Error).message });
      }
    }
  } finally {
    await engine.runner.release?.(result);
  }
  return {
    result,
    outputs: files,
    record: {
      name,
      argv: spec.run,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      startMs,
      isolation: result.isolation,
      truncated: result.truncated,
      ...(result.spawnError ? { spawnError: result.spawnError } : {}),
    },
  };
}

/**
 * Why a command's step failed, by whose fault: `spawn` the program could not start (missing, not executable,
 * a module not installed), `config` it ran but its report is missing or unusable (a wrong path, a plugin not
 * installed), `crash` a linter that failed without judging the code; `build`, `tests`, `coverage`, `untested`
 * (source changed and no test ran any of it), `mutation` (a mutation score under the threshold) and `lint` are the
 * code's.
 */
export type FailureKind =
  | 'spawn'
  | 'config'
  | 'crash'
  | 'build'
  | 'tests'
  | 'coverage'
  | 'untested'
  | 'mutation'
  | 'lint'
  | 'lockfile'
  | 'vulnerabilities'
  | 'licenses'
  | 'secrets';

/** One failed step of a producer, for the refusal's details and its advice. */
export interface CommandFailure {
  readonly kind: FailureKind;
  /** The config key of the command: `test`, `build`, `lint`, `ci.NAME`; `supplyChain` or `supplyChain.osv` for that check, `secrets` for the secret scan. */
  readonly command: string;
  readonly message: string;
  /** The last lines of the command's output, where they say what went wrong outside the code. */
  readonly outputTail?: string;
}

/** Kinds that the config or the machine must fix, not the code: no backtrack helps. */
export const SETUP_KINDS: ReadonlySet<FailureKind> = new Set(['spawn', 'config', 'crash']);

/** The last `lines` lines of a command's output (at most `chars` characters). */
export function outputTail(output: string, lines = 12, chars = 1500): string {
  const tail = output.trimEnd().split('\n').slice(-lines).join('\n');
  return tail.length > chars ? `…${tail.slice(-chars)}` : tail;
}

/**
 * Whether the command never got to run its program: a spawn error, the shell's or exec's 127 (not found) and
 * 126 (not executable), or `python -m X` without X. Inside the sandbox a missing program is exec's 127.
 */
export function couldNotStart(argv: readonly string[], r: RunResult): string | undefined {
  if (r.spawnError) return r.spawnError;
  if (r.exitCode === 127) return `${argv[0]} or a program it runs was not found (exit 127)`;
  if (r.exitCode === 126) return `${argv[0]} or a program it runs cannot be executed (exit 126)`;
  const module = argv[1] === '-m' ? argv[2] : undefined;
  if (module && r.exitCode !== 0 && new RegExp(`No module named '?${module.replace(/\./g, '\\.')}'?`).test(r.output))
    return `${argv[0]} has no module ${module}`;
  return undefined;
}

/**
 * The advice a refusal gives for failed steps: the setup's failures (fix the config or install the tool, then
 * `retry`), and the code's (`backtrack`), each with what failed.
 */
export function failureAdvice(failures: readonly CommandFailure[], opts: { retry: string; backtrack: string }): string {
  const setup = failures.filter((f) => SETUP_KINDS.has(f.kind));
  const code = failures.filter((f) => !SETUP_KINDS.has(f.kind));
  // What the tool itself said, after the advice: the cause is in its own words.
  const said = (list: readonly CommandFailure[]) =>
    list
      .filter((f) => f.outputTail)
      .map((f) => `\n${f.command} said:\n${f.outputTail}`)
      .join('');
  const parts: string[] = [];
  if (setup.length > 0) {
    // A command's key is under `commands.`; the supply-chain check names its own key (`supplyChain.osv`).
    const keyOf = (f: CommandFailure) => (f.command.startsWith('supplyChain') ? f.command : `commands.${f.command}`);
    const keys = [...new Set(setup.map(keyOf))].join(', ');
    parts.push(
      `${setup.map((f) => f.message).join('; ')}. That is the config or the machine, not the code: fix ${keys} in .autopilot/config.yaml or install what is missing, then ${opts.retry}${said(setup)}`,
    );
  }
  if (code.length > 0) parts.push(`${code.map((f) => f.message).join('; ')}. ${opts.backtrack}${said(code)}`);
  return parts.join('\n');
}

/**
 * The step back for a failure of the code: to the implement phase (`roles.implement`), where source may change. The
 * surfaces add how to take it (`details.remedy.backtrackTo`).
 */
export function backtrackAdvice(implement: string | null): string {
  return implement ? `Fix it in ${implement}: backtrack to it` : 'Fix the code';
}

/**
 * The remedy of failed steps (`details.remedy`): run `retry` again once the setup is fixed, and go back to the
 * implement phase for a failure of the code.
 */
export function failureRemedy(
  failures: readonly CommandFailure[],
  retry: 'verify' | 'advance',
  implement: string | null,
): Remedy {
  const setup = failures.some((f) => SETUP_KINDS.has(f.kind));
  const code = failures.some((f) => !SETUP_KINDS.has(f.kind));
  return { ...(setup ? { retry } : {}), ...(code && implement ? { backtrackTo: implement } : {}) };
}

export function passed(r: RunResult): boolean {
  return r.exitCode === 0 && !r.timedOut && !r.spawnError;
}

/** Why a command did not pass, for a list of problems: `could not start: …`, `timed out`, `exit 1`. */
export function failure(r: RunResult): string {
  return r.spawnError
    ? `could not start: ${r.spawnError}`
    : r.timedOut
      ? 'timed out'
      : `exit ${r.exitCode ?? r.signal}`;
}

/** The isolation the commands ran under, as one line: each distinct one, in order. */
export function isolationOf(records: readonly CommandRecord[]): string {
  const all = [...new Set(records.map((r) => r.isolation))];
  return all.length === 0 ? 'no command ran' : all.join('; ');
}

/** The opening lines of a command log: how the commands were isolated, loudly when they were not. */
export function logHeader(records: readonly CommandRecord[]): string {
  const lines = [`# isolation: ${isolationOf(records)}`];
  if (records.some((r) => r.isolation.startsWith('none'))) {
    lines.push(
      '# WARNING: NOT SANDBOXED. These commands ran with every right of the user running Autopilot: network, home folder, the whole file system.',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A readable log section for one command. */
export function logSection(name: string, spec: CommandSpec, r: RunResult): string {
  const status = r.spawnError
    ? `could not start: ${r.spawnError}`
    : r.timedOut
      ? `timed out after ${spec.timeoutSeconds}s`
      : `exit ${r.exitCode ?? r.signal}`;
  return `=== ${name}: ${JSON.stringify(spec.run)} (${status}, ${r.durationMs} ms, isolation: ${r.isolation})${r.truncated ? ' [output truncated]' : ''}\n${r.output}${r.output.endsWith('\n') || !r.output ? '' : '\n'}`;
}
