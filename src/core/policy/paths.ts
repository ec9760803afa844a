/** @module Pure POSIX path arithmetic: resolve against a base and tell evidence, source, scratch and devices apart. */

/** Collapses `.`, `..` and repeated slashes of an absolute POSIX path; `..` never climbs above `/`. */
export function normalizeAbsolute(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** Resolves `path` (absolute or relative) against the absolute directory `base`. */
export function resolvePath(path: string, base: string): string {
  return normalizeAbsolute(path.startsWith('/') ? path : `${base}/${path}`);
}

/** True when the absolute, normalized `path` is `dir` or lies below it. */
export function isInside(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(`${dir}/`);
}

/** Where the guard looks for the task's evidence. */
export interface PathScope {
  /** Absolute POSIX path of the repository. */
  readonly repoRoot: string;
  /** The task's evidence folder, repo-relative (`.autopilot/evidence/T-1`) or absolute. */
  readonly evidenceDir: string;
  /** Autopilot's state folder (`.autopilot`): outside the task's evidence, only Autopilot and people write there. */
  readonly stateDir?: string;
}

/**
 * What a written path is. `device` needs no capability (`/dev/null`), `scratch` neither (`/tmp`),
 * `net` is bash's `/dev/tcp/…`, `state` is Autopilot's own state outside the task's evidence.
 */
export type PathKind = 'evidence' | 'state' | 'source' | 'scratch' | 'device' | 'net';

/** A classified path: its kind, its absolute form, and how to show it (repo-relative inside the repository). */
export interface PathClass {
  readonly kind: PathKind;
  readonly absolute: string;
  readonly display: string;
}

const DEVICES = new Set([
  '/dev/null',
  '/dev/stdout',
  '/dev/stderr',
  '/dev/stdin',
  '/dev/tty',
  '/dev/zero',
  '/dev/full',
]);
const SCRATCH = ['/tmp', '/var/tmp'];

/** Shows an absolute path repo-relative when it lies inside the repository. */
export function displayPath(absolute: string, repoRoot: string): string {
  const root = normalizeAbsolute(repoRoot);
  if (absolute === root) return '.';
  return isInside(absolute, root) && root !== '/' ? absolute.slice(root.length + 1) : absolute;
}

/** Classifies the target of a write, resolved against `base` (an absolute directory). */
export function classifyPath(path: string, base: string, scope: PathScope): PathClass {
  const absolute = resolvePath(path, base);
  const root = normalizeAbsolute(scope.repoRoot);
  const display = displayPath(absolute, root);
  if (DEVICES.has(absolute) || isInside(absolute, '/dev/fd') || isInside(absolute, '/proc/self/fd')) {
    return { kind: 'device', absolute, display };
  }
  if (isInside(absolute, '/dev/tcp') || isInside(absolute, '/dev/udp')) return { kind: 'net', absolute, display };
  const evidence = resolvePath(scope.evidenceDir, root);
  if (scope.evidenceDir.trim() !== '' && evidence !== root && isInside(absolute, evidence)) {
    return { kind: 'evidence', absolute, display };
  }
  if (scope.stateDir && scope.stateDir.trim() !== '') {
    const state = resolvePath(scope.stateDir, root);
    if (state !== root && isInside(absolute, state)) return { kind: 'state', absolute, display };
  }
  // The repository wins over scratch folders: a repository may itself live under /tmp.
  if (root !== '/' && isInside(absolute, root)) return { kind: 'source', absolute, display };
  if (SCRATCH.some((d) => isInside(absolute, d))) return { kind: 'scratch', absolute, display };
  return { kind: 'source', absolute, display };
}
