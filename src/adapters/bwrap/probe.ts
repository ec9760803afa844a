/**
 * @module Whether bubblewrap can make a sandbox on this machine: the programs it
 * needs, its version, and one trial sandbox; probed once per process and path.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { bwrapArgv, type Tools } from './args.ts';

/** What the probe found: whether a sandbox can be made, and with which programs. */
export interface Probe {
  readonly available: boolean;
  /** Why not, when it is not. */
  readonly reason?: string;
  /** `0.8.0`, when bwrap answered `--version`. */
  readonly version?: string;
  readonly privileged: boolean;
  readonly tools?: Tools;
}

const FALLBACK_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** An executable by name (searched on PATH, then in the usual folders) or by path; undefined when there is none. */
export function findTool(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : [...path.split(delimiter).filter(isAbsolute), ...FALLBACK_PATH].map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The real file behind /etc/resolv.conf when it sits under /run, which the sandbox hides (systemd-resolved's stub). */
export function resolvConfUnderRun(): string | undefined {
  try {
    const real = realpathSync('/etc/resolv.conf');
    return real.startsWith('/run/') ? real : undefined;
  } catch {
    return undefined;
  }
}

const cache = new Map<string, Probe>();

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.trim() ?? '';
}

function runProbe(bwrapName: string): Probe {
  const privileged = process.geteuid?.() === 0;
  const bwrap = findTool(bwrapName);
  if (!bwrap)
    return {
      available: false,
      privileged,
      reason: `${bwrapName.includes('/') ? bwrapName : 'bwrap'} not found (install the bubblewrap package)`,
    };
  const v = spawnSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 10_000, env: {} });
  const version = /(\d+\.\d+(?:\.\d+)?)/.exec(v.stdout ?? '')?.[1];
  if (v.error || v.status !== 0) {
    return {
      available: false,
      privileged,
      reason: `${bwrap} --version failed: ${v.error?.message ?? (firstLine(v.stderr ?? '') || `exit ${v.status}`)}`,
    };
  }
  const prlimit = findTool('prlimit');
  if (!prlimit)
    return {
      available: false,
      privileged,
      ...(version ? { version } : {}),
      reason: 'prlimit not found (it comes with util-linux)',
    };
  const setpriv = privileged ? findTool('setpriv') : undefined;
  if (privileged && !setpriv)
    return {
      available: false,
      privileged,
      ...(version ? { version } : {}),
      reason: 'setpriv not found (it comes with util-linux; needed when Autopilot runs as root)',
    };
  const trueBin = findTool('true') ?? '/bin/true';
  const tools: Tools = { bwrap, prlimit, ...(setpriv ? { setpriv } : {}) };
  // One real sandbox, made the way every command's is: it fails where user namespaces are off, or in a container that forbids mounts.
  const argv = bwrapArgv({
    tools,
    privileged,
    mounts: [],
    cwd: '/',
    env: {},
    network: false,
    memoryMb: 256,
    maxProcesses: 64,
    argv: [trueBin],
  });
  const trial = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 15_000, env: {} });
  if (trial.error || trial.status !== 0) {
    const why = trial.error?.message ?? (firstLine(trial.stderr ?? '') || `exit ${trial.status ?? trial.signal}`);
    return {
      available: false,
      privileged,
      ...(version ? { version } : {}),
      reason: `bwrap cannot make a sandbox here: ${why}`,
    };
  }
  return { available: true, privileged, tools, ...(version ? { version } : {}) };
}

/** Probes bubblewrap at `bwrap` (a name on PATH or a path); the answer is kept for the life of the process. */
export function probeSandbox(bwrap = 'bwrap'): Probe {
  let p = cache.get(bwrap);
  if (!p) {
    p = runProbe(bwrap);
    cache.set(bwrap, p);
  }
  return p;
}
