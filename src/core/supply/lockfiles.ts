/** @module Which files of a tree are lockfiles, and reading each with its parser (and the manifest beside it). */
import { LockfileError, parsePackageLock, parsePnpmLock, parseYarnLock, readManifest } from './js-lockfiles.ts';
import { parseGoMod, parsePipfileLock, parsePythonTomlLock, parseRequirements } from './go-python-lockfiles.ts';
import { parseCargoLock } from './cargo-lockfile.ts';
import { parsePom } from './maven.ts';
import type { Ecosystem, LockfileRead } from './packages.ts';

export { LockfileError };

/** Folders whose files are installed copies or vendored code, never the project's own lockfiles. */
const SKIPPED = /(^|\/)(node_modules|vendor|\.git|\.venv|venv|site-packages|target)\//;

const KINDS = {
  'package-lock.json': 'npm',
  'npm-shrinkwrap.json': 'npm',
  'pnpm-lock.yaml': 'pnpm',
  'yarn.lock': 'yarn',
  'go.mod': 'go',
  'Pipfile.lock': 'pipenv',
  'poetry.lock': 'poetry',
  'uv.lock': 'uv',
  'Cargo.lock': 'cargo',
  'pom.xml': 'maven',
} as const;

export type LockfileKind = (typeof KINDS)[keyof typeof KINDS] | 'requirements';

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i + 1);
}

/** The kind of lockfile a path is, or undefined. */
export function lockfileKind(path: string): LockfileKind | undefined {
  if (SKIPPED.test(path)) return undefined;
  const name = baseName(path);
  if (name in KINDS) return KINDS[name as keyof typeof KINDS];
  if (/^requirements.*\.txt$/i.test(name) || /(^|\/)requirements\/[^/]+\.txt$/i.test(path)) return 'requirements';
  return undefined;
}

const ECOSYSTEM_OF: Readonly<Record<LockfileKind, Ecosystem>> = {
  npm: 'npm',
  pnpm: 'npm',
  yarn: 'npm',
  go: 'Go',
  pipenv: 'PyPI',
  poetry: 'PyPI',
  uv: 'PyPI',
  requirements: 'PyPI',
  cargo: 'crates.io',
  maven: 'Maven',
};

/** The OSV ecosystems whose packages a tree's lockfiles hold, sorted. */
export function ecosystemsIn(paths: readonly string[]): Ecosystem[] {
  const out = new Set<Ecosystem>();
  for (const p of paths) {
    const kind = lockfileKind(p);
    if (kind !== undefined) out.add(ECOSYSTEM_OF[kind]);
  }
  return [...out].sort();
}

/** The lockfiles among a tree's paths, sorted. */
export function lockfilesIn(paths: readonly string[]): string[] {
  return paths.filter((p) => lockfileKind(p) !== undefined).sort();
}

/** The files a lockfile's parser reads beside it (the manifest that names the direct dependencies, go.sum). */
export function companionsOf(path: string): string[] {
  const dir = dirOf(path);
  switch (lockfileKind(path)) {
    case 'yarn':
      return [`${dir}package.json`];
    case 'go':
      return [`${dir}go.sum`];
    case 'pipenv':
      return [`${dir}Pipfile`];
    case 'poetry':
    case 'uv':
      return [`${dir}pyproject.toml`];
    default:
      return [];
  }
}

/**
 * Reads one lockfile. `read` gives a file of the same tree by its path (undefined when absent). A lockfile its parser
 * cannot read throws {@link LockfileError}, with the reason; the caller names the file.
 */
export function readLockfile(path: string, read: (path: string) => string | undefined): LockfileRead {
  const text = read(path);
  if (text === undefined) throw new LockfileError('cannot be read');
  const [companion] = companionsOf(path);
  const beside = companion !== undefined ? read(companion) : undefined;
  switch (lockfileKind(path)) {
    case 'npm':
      return parsePackageLock(path, text);
    case 'pnpm':
      return parsePnpmLock(path, text);
    case 'yarn':
      return parseYarnLock(path, text, readManifest(beside));
    case 'go':
      return parseGoMod(path, text, beside);
    case 'pipenv':
      return parsePipfileLock(path, text, beside);
    case 'poetry':
      return parsePythonTomlLock(path, text, 'poetry', beside);
    case 'uv':
      return parsePythonTomlLock(path, text, 'uv', beside);
    case 'requirements':
      return parseRequirements(path, text);
    case 'cargo':
      return parseCargoLock(path, text);
    case 'maven':
      return parsePom(path, text);
    default:
      throw new LockfileError('not a lockfile Autopilot reads');
  }
}
