/**
 * @module Runs a command as an argument vector (never through a shell), in its
 * own process group so that a timeout kills the whole tree. No sandbox: the
 * command has every right of the user running Autopilot, and its result says so.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { CommandRunner, RunRequest, RunResult } from '../../ports/runner.ts';

export interface ProcessRunnerOptions {
  /** What results report as their isolation (default `none`); say why there is none. */
  readonly isolation?: string;
}

// An output path resolved inside `cwd`; anything else is a bug of the caller.
function outputPath(cwd: string, rel: string): string {
  const abs = resolve(cwd, rel);
  const back = relative(cwd, abs);
  if (back === '' || back.startsWith('..') || isAbsolute(back)) throw new Error(`output ${rel} is not inside ${cwd}`);
  return abs;
}

/** The unsandboxed runner: for `sandbox.mode: off`, and to spawn bubblewrap itself. */
export class ProcessRunner implements CommandRunner {
  private readonly isolation: string;

  constructor(opts: ProcessRunnerOptions = {}) {
    this.isolation = opts.isolation ?? 'none';
  }

  async run(req: RunRequest): Promise<RunResult> {
    const [cmd, ...args] = req.argv;
    if (!cmd) throw new Error('empty command');
    for (const rel of req.outputs ?? []) {
      const abs = outputPath(req.cwd, rel);
      rmSync(abs, { force: true });
      // Reporters that do not make their folder (node --test's) would fail on a fresh checkout.
      mkdirSync(dirname(abs), { recursive: true });
    }
    const started = performance.now();
    return new Promise<RunResult>((resolvePromise) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      let timedOut = false;
      let settled = false;
      const child = spawn(cmd, args, {
        cwd: req.cwd,
        env: { ...req.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        shell: false,
      });
      const collect = (b: Buffer) => {
        if (size >= req.maxOutputBytes) {
          truncated = true;
          return;
        }
        const room = req.maxOutputBytes - size;
        const part = b.length > room ? b.subarray(0, room) : b;
        if (part.length < b.length) truncated = true;
        chunks.push(part);
        size += part.length;
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      const killTree = () => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killTree();
      }, req.timeoutMs);
      const finish = (exitCode: number | null, signal: string | null, spawnError?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        killTree(); // leave nothing behind: background children of the command die with it
        resolvePromise({
          exitCode,
          signal,
          timedOut,
          output: Buffer.concat(chunks).toString('utf8'),
          truncated,
          durationMs: Math.round(performance.now() - started),
          isolation: this.isolation,
          workspace: req.cwd,
          ...(spawnError ? { spawnError } : {}),
        });
      };
      // On exit, kill what the command left running so that its pipes close and 'close' fires.
      child.on('exit', killTree);
      child.on('error', (err) => finish(null, null, err.message));
      child.on('close', (code, signal) => finish(code, signal));
    });
  }
}
