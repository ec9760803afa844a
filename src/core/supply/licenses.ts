/**
 * @module The licence check, pure: each package's declared licence (an SPDX expression) parsed with
 * `spdx-expression-parse` and judged with `spdx-satisfies` against the repository's allow and deny lists. A licence
 * that is not declared anywhere, or that is no SPDX expression, is a finding of its own, blocking or not as the
 * config says.
 */
import parse from 'spdx-expression-parse';
import satisfies from 'spdx-satisfies';
import { packageKey, type DependencyPackage } from './packages.ts';

/** What `supplyChain.licenses` says. */
export interface LicensePolicy {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  /** What an unknown or unreadable licence does: fail VERIFY, or only show in licenses.json. */
  readonly unknown: 'fail' | 'warn';
}

/** Where a declared licence was read: the lockfile, the installed package's metadata, or nowhere. */
export type LicenseSource = 'lockfile' | 'installed' | 'none';

export type LicenseStatus = 'allowed' | 'denied' | 'not-allowed' | 'unknown' | 'invalid';

export interface LicenseVerdict {
  readonly purl: string;
  readonly name: string;
  readonly version: string;
  readonly ecosystem: string;
  readonly lockfile: string;
  readonly direct: boolean;
  /** The licence as declared, or null when nothing declares one. */
  readonly declared: string | null;
  readonly source: LicenseSource;
  readonly status: LicenseStatus;
  /** True when the base commit did not have this package at this version. */
  readonly addedByChange: boolean;
  readonly blocking: boolean;
}

export interface LicenseReport {
  readonly passed: boolean;
  readonly blocking: number;
  readonly packages: LicenseVerdict[];
}

/** The licence ids an expression names, as `spdx-satisfies` takes them (`GPL-2.0+`, `Apache-2.0 WITH LLVM-exception`). */
function idsOf(node: parse.Node): string[] {
  if ('conjunction' in node) return [...idsOf(node.left), ...idsOf(node.right)];
  return [`${node.license}${node.plus ? '+' : ''}${node.exception ? ` WITH ${node.exception}` : ''}`];
}

/** True when `text` is an SPDX licence expression. */
export function isSpdxExpression(text: string): boolean {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
}

const NOT_DECLARED = new Set(['', 'unknown', 'none', 'noassertion']);

/** Judges one declared licence against the policy. */
export function judgeLicense(declared: string | null | undefined, policy: LicensePolicy): LicenseStatus {
  if (declared === null || declared === undefined || NOT_DECLARED.has(declared.trim().toLowerCase())) return 'unknown';
  let ast: parse.Node;
  try {
    ast = parse(declared.trim());
  } catch {
    return 'invalid'; // `SEE LICENSE IN …`, `UNLICENSED`, a free-text licence name
  }
  const expr = declared.trim();
  const deny = new Set(policy.deny);
  const ok = (list: readonly string[]) => {
    const left = list.filter((id) => !deny.has(id));
    return left.length > 0 && satisfies(expr, left);
  };
  // Denied: no way to satisfy the expression without a denied licence (`MIT OR GPL-3.0-only` is not).
  if (deny.size > 0 && !ok(idsOf(ast))) return 'denied';
  if (policy.allow.length > 0 && !ok(policy.allow)) return 'not-allowed';
  return 'allowed';
}

/**
 * Judges the head's packages, one verdict per purl and lockfile. `declaredOf` gives what the work tree's installed
 * copy declares when the lockfile records nothing.
 */
export function licenseReport(
  base: readonly DependencyPackage[],
  head: readonly DependencyPackage[],
  policy: LicensePolicy,
  declaredOf: (p: DependencyPackage) => string | undefined,
): LicenseReport {
  const before = new Set(base.map((p) => `${packageKey(p)}\0${p.version}`));
  const seen = new Set<string>();
  const packages: LicenseVerdict[] = [];
  for (const p of head) {
    const key = `${packageKey(p)}\0${p.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const installed = p.license === undefined ? declaredOf(p) : undefined;
    const declared = p.license ?? installed ?? null;
    const source: LicenseSource = p.license !== undefined ? 'lockfile' : installed !== undefined ? 'installed' : 'none';
    const status = judgeLicense(declared, policy);
    const blocking =
      status === 'denied' ||
      status === 'not-allowed' ||
      ((status === 'unknown' || status === 'invalid') && policy.unknown === 'fail');
    packages.push({
      purl: p.purl,
      name: p.name,
      version: p.version,
      ecosystem: p.ecosystem,
      lockfile: p.lockfile,
      direct: p.direct,
      declared,
      source,
      status,
      addedByChange: !before.has(key),
      blocking,
    });
  }
  packages.sort((a, b) => a.purl.localeCompare(b.purl) || a.lockfile.localeCompare(b.lockfile));
  const blocking = packages.filter((v) => v.blocking).length;
  return { passed: blocking === 0, blocking, packages };
}
