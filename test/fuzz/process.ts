/** @module Running the real binary under fuzz: its output collected, its input written even when it stops reading, and a run that hangs killed and reported. */
import { spawn } from 'node:child_process';

/** How long one run may take before it counts as a hang. */
export const HANG_MS = 60_000;

export interface Bounded {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the run was killed for running past {@link HANG_MS}. */
  readonly hung: boolean;
}

/**
 * Runs `node <bin> …args` as the e2e helpers' `run` does (no AUTOPILOT_ variables
 * of this process), with `input` on stdin; a process that exits before reading
 * all of it is no error (a hook that needs no input does).
 */
export function runBounded(
  bin: string,
  args: readonly string[],
  cwd: string,
  opts: { input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<Bounded> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = { NO_COLOR: '1' };
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('AUTOPILOT_') && !k.startsWith('NODE_TEST')) env[k] = v;
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { ...env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HANG_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // EPIPE: it stopped reading
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        hung,
      });
    });
    child.stdin.end(opts.input ?? '');
  });
}
