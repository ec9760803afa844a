/**
 * @module Risk of a change, from its diff: size, sensitive paths (migrations, CI
 * config, dependency manifests, auth code, configured globs), new dependencies,
 * and secrets touched. Pure: the caller hands in the parsed diff and what the secret scanner found in it.
 */
import type { SecretFinding } from './secrets.ts';
import { BoundedCache } from './bounded-cache.ts';

export type RiskLevel = 'low' | 'medium' | 'high';

export interface RiskInput {
  readonly files: readonly { path: string; additions: number; deletions: number; status: string }[];
  /** Lines the diff adds, by file (for the dependency check). */
  readonly addedLines: ReadonlyMap<string, readonly string[]>;
  /** What the secret scanner found in the lines the diff adds (engine/repo/secret-scan.ts). */
  readonly secrets: readonly SecretFinding[];
  /** Extra globs from the config that make a change high-risk. */
  readonly riskyPaths: readonly string[];
  /** A diff with more changed lines than this is high-risk. */
  readonly maxLines: number;
}

export interface RiskReason {
  readonly class:
    | 'size'
    | 'migration'
    | 'ci-config'
    | 'dependencies'
    | 'auth'
    | 'configured-path'
    | 'new-dependency'
    | 'secret'
    /** What VERIFY found in the tests themselves: removed, skipped, focused, coverage-ignored, a surviving mutant. */
    | 'tests'
    /** A move relying on a check the config waives (`waive:`), when `approvals.waivers` is `person`. */
    | 'waiver';
  readonly level: RiskLevel;
  readonly detail: string;
}

export interface RiskAssessment {
  readonly level: RiskLevel;
  readonly reasons: RiskReason[];
  readonly changedLines: number;
  readonly files: number;
}

const RANK: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2 };

export function atLeast(level: RiskLevel, min: RiskLevel): boolean {
  return RANK[level] >= RANK[min];
}

/** Turns a glob (`**`, `*`, `?`) into an anchored regular expression over POSIX paths. */
export function globToRegExp(glob: string): RegExp {
  // The same few globs (overlay paths, risky paths) are compiled on every move: compiled once each. The pattern has
  // no flags, so a shared RegExp keeps no state between tests.
  const hit = GLOBS.get(glob);
  if (hit) return hit;
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return GLOBS.set(glob, new RegExp(`^${re}$`));
}

const GLOBS = new BoundedCache<string, RegExp>(4096);

/** Paths of CI configuration: a change there changes what checks the repository's changes. */
export const CI_CONFIG_GLOBS = [
  '.github/workflows/**',
  '.gitlab-ci.yml',
  '.gitlab/**',
  '.circleci/**',
  'Jenkinsfile',
  'azure-pipelines.yml',
  '.buildkite/**',
] as const;

const CLASSES: readonly { class: RiskReason['class']; globs: string[] }[] = [
  { class: 'migration', globs: ['**/migrations/**', '**/migrate/**', '**/*.sql', '**/schema.prisma', '**/alembic/**'] },
  { class: 'ci-config', globs: [...CI_CONFIG_GLOBS] },
  {
    class: 'dependencies',
    globs: [
      '**/package.json',
      '**/package-lock.json',
      '**/pnpm-lock.yaml',
      '**/yarn.lock',
      '**/requirements*.txt',
      '**/pyproject.toml',
      '**/poetry.lock',
      '**/uv.lock',
      '**/go.mod',
      '**/go.sum',
      '**/Cargo.toml',
      '**/Cargo.lock',
      '**/pom.xml',
      '**/build.gradle',
      '**/build.gradle.kts',
      '**/Gemfile',
      '**/Gemfile.lock',
    ],
  },
  {
    class: 'auth',
    globs: ['**/auth/**', '**/*auth*.*', '**/*login*.*', '**/*password*.*', '**/*permission*.*', '**/security/**'],
  },
];

const compiled = CLASSES.map((c) => ({ class: c.class, res: c.globs.map(globToRegExp) }));

/** Files that hold secrets by their name, whatever their content. */
const SECRET_FILES = [
  '**/.env',
  '**/.env.*',
  '**/*.pem',
  '**/*.key',
  '**/id_rsa*',
  '**/id_ed25519*',
  '**/*.p12',
  '**/*.pfx',
].map(globToRegExp);

/** The dependencies the added lines of a manifest declare (package.json, requirements*.txt, go.mod, Cargo.toml). */
export function newDependencies(path: string, added: readonly string[]): string[] {
  const base = path.split('/').pop() ?? path;
  if (base === 'package.json') {
    return added
      .map((l) => /^\s*"(@?[^"]+)"\s*:\s*"[~^<>=]?\d/.exec(l)?.[1])
      .filter((n): n is string => !!n && n !== 'version');
  }
  if (base.startsWith('requirements') && base.endsWith('.txt')) {
    return added.map((l) => /^\s*([A-Za-z0-9_.-]+)\s*(?:[=<>~!]=|$)/.exec(l)?.[1]).filter((n): n is string => !!n);
  }
  if (base === 'go.mod')
    return added
      .map((l) => /^\s*(?:require\s+)?([a-z0-9.-]+\.[a-z]+\/\S+)\s+v\d/.exec(l)?.[1])
      .filter((n): n is string => !!n);
  if (base === 'Cargo.toml')
    return added
      .map((l) => /^\s*([A-Za-z0-9_-]+)\s*=\s*(?:"|\{)/.exec(l)?.[1])
      .filter((n): n is string => !!n && n !== 'version' && n !== 'name' && n !== 'edition');
  return [];
}

/** Assesses the risk of a change. */
export function assessRisk(input: RiskInput): RiskAssessment {
  const reasons: RiskReason[] = [];
  const changedLines = input.files.reduce((n, f) => n + f.additions + f.deletions, 0);
  if (changedLines > input.maxLines) {
    reasons.push({ class: 'size', level: 'high', detail: `${changedLines} changed lines, over ${input.maxLines}` });
  } else if (changedLines > input.maxLines / 2) {
    reasons.push({ class: 'size', level: 'medium', detail: `${changedLines} changed lines` });
  }
  const configured = input.riskyPaths.map(globToRegExp);
  for (const f of input.files) {
    for (const c of compiled) {
      if (c.res.some((re) => re.test(f.path))) reasons.push({ class: c.class, level: 'high', detail: f.path });
    }
    if (configured.some((re) => re.test(f.path)))
      reasons.push({ class: 'configured-path', level: 'high', detail: f.path });
    const added = input.addedLines.get(f.path) ?? [];
    for (const dep of newDependencies(f.path, added))
      reasons.push({ class: 'new-dependency', level: 'high', detail: `${dep} in ${f.path}` });
    const found = input.secrets.filter((s) => s.file === f.path);
    if (SECRET_FILES.some((re) => re.test(f.path)))
      reasons.push({ class: 'secret', level: 'high', detail: `${f.path} looks like a secrets file` });
    else if (found.length > 0)
      reasons.push({
        class: 'secret',
        level: 'high',
        detail: `${f.path} adds a secret (${found.map((s) => `line ${s.line}, ${s.rule}`).join('; ')})`,
      });
  }
  const level = reasons.reduce<RiskLevel>((acc, r) => (RANK[r.level] > RANK[acc] ? r.level : acc), 'low');
  return { level, reasons, changedLines, files: input.files.length };
}
