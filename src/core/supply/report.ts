/**
 * @module The supply-chain judgement of a change, pure: the dependency diff between the base's packages and the
 * head's, the head's known vulnerabilities, and the policy (fail at or above `failOn`, unless a person's acceptance
 * with a reason and an expiry covers the finding). Time comes in as an argument.
 */
import { packageKey, type DependencyPackage } from './packages.ts';
import { matchPackage, SEVERITY_LEVELS, type OsvIndex, type Severity, type SeverityLevel } from './osv.ts';
import type { NpmAuditHit } from './npm-audit.ts';

/** Where a finding came from: the offline OSV database, the registry's `npm audit`, or both. */
export type FindingSource = 'osv' | 'npm-audit';

/** One acceptance of a known vulnerability, as the config writes it. */
export interface Acceptance {
  readonly id: string;
  readonly reason: string;
  /** The last day it counts, `YYYY-MM-DD` (UTC). */
  readonly expires: string;
}

export interface PackageRef {
  readonly ecosystem: string;
  readonly name: string;
  readonly lockfile: string;
  readonly direct: boolean;
}

export interface DependencyDiff {
  readonly added: (PackageRef & { readonly version: string })[];
  readonly removed: (PackageRef & { readonly version: string })[];
  readonly changed: (PackageRef & { readonly from: string[]; readonly to: string[] })[];
}

function ref(p: DependencyPackage): PackageRef {
  return { ecosystem: p.ecosystem, name: p.name, lockfile: p.lockfile, direct: p.direct };
}

function group(pkgs: readonly DependencyPackage[]): Map<string, DependencyPackage[]> {
  const out = new Map<string, DependencyPackage[]>();
  for (const p of pkgs) {
    const list = out.get(packageKey(p)) ?? [];
    list.push(p);
    out.set(packageKey(p), list);
  }
  return out;
}

const versionsOf = (list: readonly DependencyPackage[]) => [...new Set(list.map((p) => p.version))].sort();

/** What the change does to the dependencies: packages added, removed, and changed from one set of versions to another. */
export function dependencyDiff(base: readonly DependencyPackage[], head: readonly DependencyPackage[]): DependencyDiff {
  const b = group(base);
  const h = group(head);
  const diff: DependencyDiff = { added: [], removed: [], changed: [] };
  for (const [key, now] of h) {
    const was = b.get(key);
    if (!was) {
      for (const v of versionsOf(now)) diff.added.push({ ...ref(now.find((p) => p.version === v)!), version: v });
      continue;
    }
    const from = versionsOf(was);
    const to = versionsOf(now);
    if (from.join('\0') !== to.join('\0'))
      diff.changed.push({ ...ref(now[0]!), direct: now.some((p) => p.direct), from, to });
  }
  for (const [key, was] of b)
    if (!h.has(key))
      for (const v of versionsOf(was)) diff.removed.push({ ...ref(was.find((p) => p.version === v)!), version: v });
  const order = (x: PackageRef, y: PackageRef) =>
    x.lockfile.localeCompare(y.lockfile) || x.ecosystem.localeCompare(y.ecosystem) || x.name.localeCompare(y.name);
  diff.added.sort(order);
  diff.removed.sort(order);
  diff.changed.sort(order);
  return diff;
}

export interface VulnerabilityFinding {
  readonly id: string;
  readonly aliases: string[];
  readonly summary?: string;
  readonly severity: Severity;
  /** The affected range that holds the version. */
  readonly affected: string;
  readonly fixed: string | null;
  readonly package: PackageRef & { readonly version: string; readonly purl: string };
  /** The change brought it in: the base did not have this package version with this finding. */
  readonly addedByChange: boolean;
  /** The acceptance that covers it, when one does and has not expired. */
  readonly accepted?: Acceptance;
  /** At or above `failOn` and not accepted: it fails VERIFY. */
  readonly blocking: boolean;
  /** The sources that reported it. */
  readonly sources: FindingSource[];
}

export interface VulnerabilityReport {
  readonly failOn: SeverityLevel;
  readonly findings: VulnerabilityFinding[];
  readonly acceptances: (Acceptance & { readonly status: 'active' | 'expired' | 'unused' })[];
  readonly notes: string[];
  readonly blocking: number;
  readonly passed: boolean;
}

/** Whether an acceptance still counts at `now`: through the whole of its expiry day, UTC. */
export function acceptanceActive(a: Acceptance, now: Date): boolean {
  return now.getTime() < Date.parse(`${a.expires}T00:00:00Z`) + 24 * 3600 * 1000;
}

/** At or above the threshold; a finding whose severity no source gives is judged as critical, never waved through. */
export function atOrAbove(level: Severity['level'], failOn: SeverityLevel): boolean {
  if (level === 'unknown') return true;
  return SEVERITY_LEVELS.indexOf(level) >= SEVERITY_LEVELS.indexOf(failOn);
}

/**
 * The head's findings, with what the change added, judged by the policy. `npmAudit` holds what `npm audit` reported
 * on the head's packages: an advisory the OSV database also gives (by id or alias) adds its source to that finding,
 * another is a finding of its own, new to the change when the base did not have the package at that version.
 */
export function vulnerabilityReport(
  index: OsvIndex,
  base: readonly DependencyPackage[],
  head: readonly DependencyPackage[],
  policy: { readonly failOn: SeverityLevel; readonly accept: readonly Acceptance[]; readonly now: Date },
  npmAudit: readonly { readonly package: DependencyPackage; readonly hit: NpmAuditHit }[] = [],
): VulnerabilityReport {
  const notes: string[] = [];
  const inBase = new Set<string>();
  for (const p of base)
    for (const m of matchPackage(index, p, [])) inBase.add(`${packageKey(p)}\0${p.version}\0${m.record.id}`);
  const baseVersions = new Set(base.map((p) => `${packageKey(p)}\0${p.version}`));
  const used = new Set<Acceptance>();
  const findings: VulnerabilityFinding[] = [];
  const byKey = new Map<string, VulnerabilityFinding>();
  const judge = (ids: readonly string[], level: Severity['level']) => {
    const acceptance = policy.accept.find((a) => ids.includes(a.id) && acceptanceActive(a, policy.now));
    if (acceptance) used.add(acceptance);
    return {
      ...(acceptance ? { accepted: acceptance } : {}),
      blocking: atOrAbove(level, policy.failOn) && !acceptance,
    };
  };
  for (const p of head) {
    for (const m of matchPackage(index, p, notes)) {
      const key = `${packageKey(p)}\0${p.version}\0${m.record.id}`;
      if (byKey.has(key)) continue;
      const finding: VulnerabilityFinding = {
        id: m.record.id,
        aliases: [...(m.record.aliases ?? [])],
        ...(m.record.summary ? { summary: m.record.summary } : {}),
        severity: m.severity,
        affected: m.range,
        fixed: m.fixed,
        package: { ...ref(p), version: p.version, purl: p.purl },
        addedByChange: !inBase.has(key),
        ...judge([m.record.id, ...(m.record.aliases ?? [])], m.severity.level),
        sources: ['osv'],
      };
      byKey.set(key, finding);
      findings.push(finding);
    }
  }
  for (const { package: p, hit } of npmAudit) {
    const at = `${packageKey(p)}\0${p.version}\0`;
    const same = findings.find(
      (f) =>
        f.package.lockfile === p.lockfile &&
        f.package.purl === p.purl &&
        (f.id === hit.id || f.aliases.includes(hit.id)),
    );
    if (same) {
      if (!same.sources.includes('npm-audit')) same.sources.push('npm-audit');
      continue;
    }
    if (byKey.has(at + hit.id)) continue;
    const finding: VulnerabilityFinding = {
      id: hit.id,
      aliases: [],
      ...(hit.title ? { summary: hit.title } : {}),
      severity: hit.severity,
      affected: hit.range,
      fixed: hit.fixed,
      package: { ...ref(p), version: p.version, purl: p.purl },
      addedByChange: !baseVersions.has(`${packageKey(p)}\0${p.version}`),
      ...judge([hit.id], hit.severity.level),
      sources: ['npm-audit'],
    };
    byKey.set(at + hit.id, finding);
    findings.push(finding);
  }
  findings.sort((a, b) => a.package.purl.localeCompare(b.package.purl) || a.id.localeCompare(b.id));
  const acceptances = policy.accept.map((a) => ({
    ...a,
    status: !acceptanceActive(a, policy.now)
      ? ('expired' as const)
      : used.has(a)
        ? ('active' as const)
        : ('unused' as const),
  }));
  const blocking = findings.filter((f) => f.blocking).length;
  return { failOn: policy.failOn, findings, acceptances, notes: [...new Set(notes)], blocking, passed: blocking === 0 };
}
