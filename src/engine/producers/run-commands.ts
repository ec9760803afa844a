/** @module Running configured commands for evidence, with a clean environment and a timeout. */
import type { CommandSpec } from '../../core/config.ts';
import type { RunResult } from '../../ports/runner.ts';
import type { Engine } from '../context.ts';

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

export async function runCommand(e: Engine, name: string, spec: CommandSpec): Promise<{ record: CommandRecord; result: RunResult }> {
  const startMs = Date.now();
  const result = await e.runner.run({
    argv: spec.run,
    cwd: e.layout.root,
    env: commandEnv(spec),
    timeoutMs: spec.timeoutSeconds * 1000,
    maxOutputBytes: e.config.limits.maxLogBytes,
  });
  return {
    result,
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

/** A readable log section for one command. */
export function logSection(name: string, spec: CommandSpec, r: RunResult): string {
  const status = r.spawnError
    ? `could not start: ${r.spawnError}`
    : r.timedOut
      ? `timed out after ${spec.timeoutSeconds}s`
      : `exit ${r.exitCode ?? r.signal}`;
  return `=== ${name}: ${JSON.stringify(spec.run)} (${status}, ${r.durationMs} ms, isolation: ${r.isolation})${r.truncated ? ' [output truncated]' : ''}\n${r.output}${r.output.endsWith('\n') || !r.output ? '' : '\n'}`;
}
