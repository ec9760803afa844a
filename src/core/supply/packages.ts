/** @module The dependency model every lockfile parser produces: one package a row, with its purl and how it is reached. */

/** OSV's ecosystem names, which are also what a finding is matched by. */
export const ECOSYSTEMS = ['npm', 'PyPI', 'Go', 'crates.io', 'Maven'] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

export interface DependencyPackage {
  readonly ecosystem: Ecosystem;
  /** As the ecosystem names it: `@scope/name`, a Go module path, a PEP 503 normalised PyPI name, Maven's `group:artifact`. */
  readonly name: string;
  readonly version: string;
  /** Package URL (purl), the SBOM component's identity. */
  readonly purl: string;
  /** Named by the project itself (package.json, go.mod without `// indirect`, pyproject, a pinned requirement). */
  readonly direct: boolean;
  /** A development-only dependency, where the lockfile says so. */
  readonly dev: boolean;
  /** The lockfile it was read from, relative to the repository root. */
  readonly lockfile: string;
  /** Integrity hashes the lockfile records (`sha512-…`, `sha256:…`). */
  readonly hashes: readonly string[];
  /** The licence the lockfile records for it (npm's package-lock v2/v3 `license`), when it records one. */
  readonly license?: string;
  /** The scope the manifest declares it in, where it has scopes (Maven's compile, runtime, test, provided, …). */
  readonly scope?: string;
}

/** What one lockfile gave: its packages, and what it holds that cannot be trusted as a pinned version. */
export interface LockfileRead {
  readonly lockfile: string;
  readonly format: string;
  readonly packages: DependencyPackage[];
  /** Entries that could not be read as a pinned package (an unpinned requirement, a git dependency), with why. */
  readonly notes: string[];
}

/** The name PyPI matches by (PEP 503): lower case, runs of `-`, `_`, `.` as one `-`. */
export function pypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/%3A/gi, ':');
}

/** The purl of a package, per the purl spec's npm, pypi, golang, cargo and maven types. */
export function purlOf(ecosystem: Ecosystem, name: string, version: string): string {
  const v = encodeSegment(version);
  if (ecosystem === 'npm') {
    const [scope, bare] = name.startsWith('@')
      ? [name.slice(0, name.indexOf('/')), name.slice(name.indexOf('/') + 1)]
      : [undefined, name];
    return `pkg:npm/${scope ? `${encodeSegment(scope)}/` : ''}${encodeSegment(bare)}@${v}`;
  }
  if (ecosystem === 'PyPI') return `pkg:pypi/${encodeSegment(pypiName(name))}@${v}`;
  if (ecosystem === 'crates.io') return `pkg:cargo/${encodeSegment(name)}@${v}`;
  if (ecosystem === 'Maven') {
    const [group = '', artifact = ''] = name.split(':');
    return `pkg:maven/${encodeSegment(group)}/${encodeSegment(artifact)}@${v}`;
  }
  return `pkg:golang/${name.split('/').map(encodeSegment).join('/')}@${v}`;
}

/** Builds a package row; the purl follows from the rest. */
export function dependency(
  ecosystem: Ecosystem,
  name: string,
  version: string,
  lockfile: string,
  opts: { direct?: boolean; dev?: boolean; hashes?: readonly string[]; license?: string; scope?: string } = {},
): DependencyPackage {
  const n = ecosystem === 'PyPI' ? pypiName(name) : name;
  return {
    ecosystem,
    name: n,
    version,
    purl: purlOf(ecosystem, n, version),
    direct: opts.direct ?? false,
    dev: opts.dev ?? false,
    lockfile,
    hashes: opts.hashes ?? [],
    ...(opts.license !== undefined ? { license: opts.license } : {}),
    ...(opts.scope !== undefined ? { scope: opts.scope } : {}),
  };
}

/** The package's identity across lockfiles and commits: ecosystem, name and lockfile, not the version. */
export function packageKey(p: Pick<DependencyPackage, 'ecosystem' | 'name' | 'lockfile'>): string {
  return `${p.lockfile}\0${p.ecosystem}\0${p.name}`;
}
