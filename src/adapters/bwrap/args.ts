/** @module The bubblewrap command line for one sandboxed command: mounts, namespaces, environment, limits. */

/** A mount laid over the read-only root, or a change to one, in order. */
export type Mount =
  | { readonly kind: 'bind' | 'ro-bind'; readonly src: string; readonly dest: string }
  /** An empty tmpfs (mode 0755), read-only at once when it only hides what is below it. */
  | { readonly kind: 'tmpfs'; readonly dest: string; readonly readonly?: boolean }
  | { readonly kind: 'symlink'; readonly target: string; readonly dest: string }
  /** A folder (mode 0755) in a tmpfs, to mount something on. */
  | { readonly kind: 'dir'; readonly dest: string }
  | { readonly kind: 'remount-ro'; readonly dest: string };

/** Absolute paths of the programs the sandbox is made of. */
export interface Tools {
  readonly bwrap: string;
  readonly prlimit: string;
  /** Needed as root only: drops the command to an unprivileged user. */
  readonly setpriv?: string;
}

/** Everything one sandboxed run is made of. */
export interface SandboxSpec {
  readonly tools: Tools;
  /** Autopilot runs as root: no user namespace, and the command is dropped to `nobody` with setpriv. */
  readonly privileged: boolean;
  /** The workspace's mounts, laid after the base ones. */
  readonly mounts: readonly Mount[];
  /** Working directory inside the sandbox. */
  readonly cwd: string;
  /** The command's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly network: boolean;
  /** The real file behind /etc/resolv.conf when it lives under /run (which the sandbox hides); bound when the network is on. */
  readonly resolvConf?: string;
  readonly memoryMb: number;
  readonly maxProcesses: number;
  readonly argv: readonly string[];
}

/** The unprivileged user a command runs as when Autopilot is root: `nobody` on every common distribution. */
export const SANDBOX_UID = 65534;

/**
 * As root, RLIMIT_NPROC does not hold (the kernel exempts uid 0), so the command
 * runs as `nobody`, which it does hold for. These capabilities let `nobody` still
 * read and write what root could, within the mounts: the copy of the repository is
 * root's, as are the tools and the toolchains under a root-only home.
 */
const KEPT_CAPS = ['dac_override', 'dac_read_search', 'fowner'] as const;

const MiB = 1024 * 1024;

/** Folders bwrap makes itself, to mount on, are private (0700); under these tmpfs roots they are made first, open. */
const TMPFS_ROOTS = ['/tmp', '/run'];

function parentsUnderTmpfs(dest: string, made: Set<string>): string[] {
  const root = TMPFS_ROOTS.find((r) => dest.startsWith(`${r}/`));
  if (!root) return [];
  const out: string[] = [];
  const parts = dest
    .slice(root.length + 1)
    .split('/')
    .slice(0, -1);
  let p = root;
  for (const part of parts) {
    p = `${p}/${part}`;
    if (made.has(p)) continue;
    made.add(p);
    out.push('--perms', '0755', '--dir', p);
  }
  return out;
}

function mountArgs(m: Mount, made: Set<string>): string[] {
  const parents = parentsUnderTmpfs(m.dest, made);
  switch (m.kind) {
    case 'tmpfs':
      return [...parents, '--perms', '0755', '--tmpfs', m.dest, ...(m.readonly ? ['--remount-ro', m.dest] : [])];
    case 'symlink':
      return [...parents, '--symlink', m.target, m.dest];
    case 'dir':
      return [...parents, '--perms', '0755', '--dir', m.dest];
    case 'remount-ro':
      return ['--remount-ro', m.dest];
    default:
      return [...parents, `--${m.kind}`, m.src, m.dest];
  }
}

/** The full argument vector, bwrap first. */
export function bwrapArgv(spec: SandboxSpec): string[] {
  const bytes = spec.memoryMb * MiB;
  const made = new Set<string>();
  const argv = [
    spec.tools.bwrap,
    // Everything read-only; a private /dev, /proc, /tmp; /run hidden (its sockets reach daemons outside).
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--perms',
    '01777',
    '--size',
    String(bytes),
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    '/run',
    ...(spec.network && spec.resolvConf
      ? mountArgs({ kind: 'ro-bind', src: spec.resolvConf, dest: spec.resolvConf }, made)
      : []),
    ...spec.mounts.flatMap((m) => mountArgs(m, made)),
    '--chdir',
    spec.cwd,
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(spec.network ? [] : ['--unshare-net']),
    ...(spec.privileged ? [] : ['--unshare-user']),
    // The command's process tree lives in its own PID namespace: when bwrap dies, all of it dies.
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    ...Object.keys(spec.env)
      .sort()
      .flatMap((k) => ['--setenv', k, spec.env[k]!]),
  ];
  if (spec.privileged) {
    argv.push(
      '--cap-drop',
      'ALL',
      ...['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP', ...KEPT_CAPS.map((c) => `CAP_${c.toUpperCase()}`)].flatMap((c) => [
        '--cap-add',
        c,
      ]),
    );
  }
  argv.push('--', spec.tools.prlimit, `--nproc=${spec.maxProcesses}`, `--data=${bytes}`, '--');
  if (spec.privileged) {
    if (!spec.tools.setpriv) throw new Error('setpriv is needed to run a sandbox as root');
    const caps = `-all,${KEPT_CAPS.map((c) => `+${c}`).join(',')}`;
    argv.push(
      spec.tools.setpriv,
      `--reuid=${SANDBOX_UID}`,
      `--regid=${SANDBOX_UID}`,
      '--clear-groups',
      '--no-new-privs',
      `--inh-caps=${caps}`,
      `--ambient-caps=${caps}`,
      `--bounding-set=${caps}`,
      '--',
    );
  }
  argv.push(...spec.argv);
  return argv;
}
