/**
 * @module `npm audit --json` (audit report version 2) read as findings of one lockfile: each advisory the registry
 * reports on a package, at each version of it the lockfile installs, with the advisory's GHSA id, its severity (CVSS
 * where given), the vulnerable range and the first fixed version where the range names one. npm's report names the
 * lockfile's nodes (`node_modules/a/node_modules/b`), so the versions are read from the lockfile itself.
 */
import semver from 'semver';
import { severityOf, type Severity } from './osv.ts';

/** One advisory of `npm audit` on one installed version of a package. */
export interface NpmAuditHit {
  readonly id: string;
  readonly title?: string;
  readonly url?: string;
  readonly severity: Severity;
  /** The vulnerable range as the registry gives it (`<4.17.12`). */
  readonly range: string;
  readonly fixed: string | null;
  readonly name: string;
  readonly version: string;
}

interface Via {
  readonly source?: unknown;
  readonly name?: unknown;
  readonly title?: unknown;
  readonly url?: unknown;
  readonly severity?: unknown;
  readonly cvss?: { readonly score?: unknown; readonly vectorString?: unknown };
  readonly range?: unknown;
}

/** True when `out` is an audit report (version 2), not npm's error object. */
export function isNpmAuditReport(out: unknown): out is { auditReportVersion: 2; vulnerabilities: object } {
  const r = out as { auditReportVersion?: unknown; vulnerabilities?: unknown } | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.auditReportVersion === 2 &&
    typeof r.vulnerabilities === 'object' &&
    r.vulnerabilities !== null
  );
}

/** The first fixed version a vulnerable range names: `<4.17.12` and `>=1.0.0 <1.2.3` do, `<=1.0.0` and `*` do not. */
function fixedOf(range: string): string | null {
  const m = /(?:^|\s)<\s*v?(\d+\.\d+\.\d+[^\s|]*)\s*$/.exec(range.trim());
  return m && !range.includes('||') ? m[1]! : null;
}

/**
 * The findings of an audit report on a package-lock.json (its parsed JSON): one for each advisory (a `via` entry
 * that is an object naming the package itself) and each installed version the advisory's range holds. Entries
 * reached only through another package (a `via` that is a name) are that package's findings, not theirs.
 */
export function npmAuditHits(report: { vulnerabilities: object }, lock: unknown): NpmAuditHit[] {
  const packages = ((lock as { packages?: Record<string, { version?: unknown }> } | null)?.packages ?? {}) as Record<
    string,
    { version?: unknown }
  >;
  const hits: NpmAuditHit[] = [];
  const seen = new Set<string>();
  for (const entry of Object.values(report.vulnerabilities) as {
    name?: unknown;
    via?: unknown;
    nodes?: unknown;
  }[]) {
    if (typeof entry?.name !== 'string' || !Array.isArray(entry.via)) continue;
    const nodes = Array.isArray(entry.nodes) ? entry.nodes.filter((n): n is string => typeof n === 'string') : [];
    const versions = [
      ...new Set(nodes.map((n) => packages[n]?.version).filter((v): v is string => typeof v === 'string')),
    ];
    for (const via of entry.via as (Via | string)[]) {
      if (typeof via !== 'object' || via === null || via.name !== entry.name) continue;
      const range = typeof via.range === 'string' ? via.range : '*';
      const url = typeof via.url === 'string' ? via.url : undefined;
      const id =
        /\/(GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})$/.exec(url ?? '')?.[1] ?? `npm-advisory-${String(via.source)}`;
      const vector = typeof via.cvss?.vectorString === 'string' ? via.cvss.vectorString : undefined;
      // The registry's CVSS vector and its word, judged as an OSV record's are.
      const severity = severityOf({
        id,
        ...(vector ? { severity: [{ type: `CVSS_V${vector.startsWith('CVSS:4') ? 4 : 3}`, score: vector }] } : {}),
        database_specific: { severity: via.severity },
      });
      for (const version of versions) {
        if (range !== '*' && !semver.satisfies(version, range, { includePrerelease: true })) continue;
        const key = `${entry.name}\0${version}\0${id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        hits.push({
          id,
          ...(typeof via.title === 'string' ? { title: via.title } : {}),
          ...(url ? { url } : {}),
          severity,
          range,
          fixed: fixedOf(range),
          name: entry.name,
          version,
        });
      }
    }
  }
  return hits.sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version) || a.id.localeCompare(b.id),
  );
}
