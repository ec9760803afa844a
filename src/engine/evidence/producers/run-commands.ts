/** @module Running configured commands for evidence, with a clean environment and a timeout, and reading back the reports they write. */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandSpec } from '../../../core/config.ts';
import type { RunResult } from '../../../ports/runner.ts';
import type { Engine } from '../../context.ts';

/** Variables every command gets, so that tools can find themselves; everything else must be named. */
const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'USER', 'SHELL'];

export function commandEnv(spec: CommandSpec): Record<string, string> {
  const env: Record<string, string> = { CI: 'true', AUTOPILOT: '1' };
  for (const name of [...BASE_ENV, ...spec.env]) {
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

/**
 * The cache variables a command gets, each folder made when missing. A variable the command names in its
 * `env` (and that is set) keeps the caller's value.
 */
export function cacheEnv(cacheDir: string, spec: CommandSpec): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, folder] of Object.entries(CACHE_VARS)) {
    if (spec.env.includes(name) && process.env[name] !== undefined) continue;
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
  e: Engine,
  name: string,
  spec: CommandSpec,
  outputs: readonly string[] = [],
): Promise<{ record: CommandRecord; result: RunResult; outputs: Map<string, OutputFile> }> {
  const startMs = Date.now();
  const result = await e.runner.run({
    argv: spec.run,
    cwd: e.layout.root,
    env: { ...cacheEnv(e.layout.cacheDir, spec), ...commandEnv(spec) },
    timeoutMs: spec.timeoutSeconds * 1000,
    maxOutputBytes: e.config.limits.maxLogBytes,
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
    await e.runner.release?.(result);
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
