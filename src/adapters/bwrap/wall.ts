/**
 * @module The wall around an agent's shell commands: a bubblewrap profile in which the work tree stays the real one
 * (read-write where the phase allows source writes, read-only elsewhere), the home folder and /tmp stay writable, and
 * Autopilot's state is invisible (the store, keys, tokens, archives, the per-user state folder, the daemon's socket
 * folder) or read-only (config, evidence, git's hooks and config, the agent settings Autopilot wrote). The kernel
 * holds it: no parser has to recognise a command for a write to fail.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { WALL_MARKER } from '../../core/wall.ts';
import { findTool, resolvConfUnderRun } from './probe.ts';

/** Everything one walled command is made of. Paths are absolute and real (symlinks resolved). */
export interface WallSpec {
  /** The work tree, bound at its own path. */
  readonly root: string;
  /** False in phases without write:source: the work tree is read-only. */
  readonly writableTree: boolean;
  /** The git folder bound read-write over a read-only tree (a phase that commits without writing source). */
  readonly writableGit?: string;
  /** Folders bound read-write at their own path (the home folder, /tmp, /var/tmp), laid before the work tree. */
  readonly writable: readonly string[];
  /** Paths made invisible: a folder becomes an empty read-only folder, a file an empty file. */
  readonly hidden: readonly string[];
  /** Folders that must stay invisible even when they do not exist yet; made (mode 0700) before the mount. */
  readonly hiddenDirs: readonly string[];
  /** Paths inside a hidden folder bound back read-only (the config and evidence inside the state folder). */
  readonly shown: readonly string[];
  /** Paths bound read-only over the work tree (git's hooks and config, agent settings). */
  readonly readonly: readonly string[];
  /** Whether the command may reach the network. */
  readonly network: boolean;
  /** A file (in a folder the command cannot see) bound read-only at {@link WALL_MARKER}: the sealed facts of the run. */
  readonly marker: string;
  /** The working directory inside. */
  readonly cwd: string;
  /** The command's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly argv: readonly string[];
}

/** Whether this machine can raise the wall, and why not. */
export interface WallProbe {
  readonly available: boolean;
  readonly reason?: string;
  readonly bwrap?: string;
  readonly privileged: boolean;
}

let probed: WallProbe | undefined;

/** Probes bubblewrap for the wall once per process: found, and one trial sandbox with the wall's namespaces runs. */
export function probeWall(bwrapName = 'bwrap'): WallProbe {
  if (probed && bwrapName === 'bwrap') return probed;
  const privileged = process.geteuid?.() === 0;
  const bwrap = findTool(bwrapName);
  let result: WallProbe;
  if (!bwrap) {
    result = { available: false, privileged, reason: 'bwrap not found (install the bubblewrap package)' };
  } else {
    const trial = spawnSync(bwrap, [...namespaceArgs(privileged, false), '--ro-bind', '/', '/', '--', 'true'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    result =
      trial.status === 0
        ? { available: true, privileged, bwrap }
        : {
            available: false,
            privileged,
            bwrap,
            reason: `bwrap cannot make a sandbox here: ${(trial.error?.message ?? trial.stderr ?? '').trim().split('\n')[0] || `exit ${trial.status}`}`,
          };
  }
  if (bwrapName === 'bwrap') probed = result;
  return result;
}

function namespaceArgs(privileged: boolean, network: boolean): string[] {
  return [
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(network ? [] : ['--unshare-net']),
    // As root there is no user namespace: root keeps uid 0 (its files stay its own) but loses every capability, so
    // it can neither unmount the wall nor mount over it. Otherwise a user namespace maps the user to itself, and a
    // nested one (whose capabilities could remount) is refused.
    ...(privileged ? ['--cap-drop', 'ALL'] : ['--unshare-user', '--disable-userns']),
    '--die-with-parent',
  ];
}

function kindOf(path: string): 'dir' | 'file' | 'none' {
  try {
    return lstatSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'none';
  }
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** The bubblewrap argument vector of a walled command, bwrap's path first. */
export function wallArgv(bwrap: string, privileged: boolean, spec: WallSpec): string[] {
  const argv = [bwrap, '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  // A work tree under a writable folder (a repository in /tmp or in the home folder) is laid after it.
  for (const w of spec.writable) if (kindOf(w) === 'dir') argv.push('--bind', w, w);
  argv.push(spec.writableTree ? '--bind' : '--ro-bind', spec.root, spec.root);
  // Its hooks and config are bound read-only again below, with the other read-only paths.
  if (!spec.writableTree && spec.writableGit) argv.push('--bind', spec.writableGit, spec.writableGit);
  // /run holds sockets of daemons outside (a read-only mount does not stop connect()); the marker sits there.
  argv.push('--tmpfs', '/run', '--ro-bind', spec.marker, WALL_MARKER);
  const resolv = spec.network ? resolvConfUnderRun() : undefined;
  if (resolv) argv.push('--ro-bind', resolv, resolv);
  argv.push('--remount-ro', '/run');
  // Outermost first, so that a hidden folder inside another one gets its mount point in the tmpfs.
  const hidden = [...new Set([...spec.hiddenDirs, ...spec.hidden])].sort((a, b) => a.length - b.length);
  const remount: string[] = [];
  for (const h of hidden) {
    // Inside a folder hidden already, and not in a part of it shown again: nothing to hide.
    if (remount.some((d) => inside(h, d)) && !spec.shown.some((s) => inside(h, s))) continue;
    const kind = kindOf(h);
    if (kind === 'dir') {
      argv.push('--perms', '0755', '--tmpfs', h);
      remount.push(h);
      for (const s of spec.shown.filter((p) => inside(p, h) && p !== h)) {
        if (kindOf(s) !== 'none') argv.push('--ro-bind', s, s);
      }
    } else if (kind === 'file') {
      argv.push('--ro-bind', '/dev/null', h);
    }
  }
  // Read-only after the hidden folders' tmpfs are done taking mount points: nothing can be made in them.
  for (const h of remount) argv.push('--remount-ro', h);
  for (const r of spec.readonly) if (kindOf(r) !== 'none') argv.push('--ro-bind', r, r);
  argv.push(
    '--chdir',
    spec.cwd,
    ...namespaceArgs(privileged, spec.network),
    '--new-session',
    '--clearenv',
    ...Object.keys(spec.env)
      .sort()
      .flatMap((k) => ['--setenv', k, spec.env[k]!]),
    '--',
    ...spec.argv,
  );
  return argv;
}

/** Makes the folders that must be hidden even before they exist (so the agent cannot plant them), mode 0700. */
export function prepareWall(spec: WallSpec): void {
  for (const d of spec.hiddenDirs) {
    if (existsSync(d)) continue;
    try {
      mkdirSync(d, { recursive: true, mode: 0o700 });
    } catch {
      // A parent that cannot be made (a read-only home): nothing can be planted there either.
      if (!existsSync(dirname(d))) continue;
    }
  }
}

/** Runs a walled command with the caller's standard streams; resolves to its exit code (128 + signal when killed). */
export function runWalled(bwrap: string, privileged: boolean, spec: WallSpec): Promise<number> {
  prepareWall(spec);
  const argv = wallArgv(bwrap, privileged, spec);
  return new Promise((done) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const finish = (code: number) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      done(code);
    };
    child.on('error', () => finish(127));
    child.on('exit', (code, signal) => {
      const n = signal ? ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] : undefined;
      finish(code ?? 128 + (n ?? 1));
    });
  });
}
