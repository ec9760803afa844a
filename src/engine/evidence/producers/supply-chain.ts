/**
 * @module VERIFY's supply-chain evidence: CycloneDX 1.6 SBOMs of the task's base commit and of the tree being
 * verified, both read from git (never from the work tree, which the agent may change meanwhile), the dependency diff
 * between them, and the head's known vulnerabilities matched against an offline OSV database (a folder or a zip).
 */
import { basename, isAbsolute, resolve } from 'node:path';
import type * as CycloneDX from '@cyclonedx/cyclonedx-library';
import type { SupplyChainSettings } from '../../../core/config.ts';
import { lockfilesIn, companionsOf, readLockfile, LockfileError } from '../../../core/supply/lockfiles.ts';
import type { DependencyPackage, LockfileRead } from '../../../core/supply/packages.ts';
import { packageOsvKey } from '../../../core/supply/osv.ts';
import { loadOsvDatabase, type OsvLoad } from '../osv-database.ts';
import { dependencyDiff, vulnerabilityReport, type VulnerabilityReport } from '../../../core/supply/report.ts';
import { git, fileAtCommit, EMPTY_TREE } from '../../repo/git.ts';
import { plural } from '../../../core/phrasing.ts';
import { isSpdxExpression, licenseReport, type LicenseReport } from '../../../core/supply/licenses.ts';
import { installedLicenses } from './installed-licenses.ts';
import { auditNpmLockfiles, type NpmAuditOutcome } from './npm-audit.ts';
import type { CommandRunner } from '../../../ports/runner.ts';

/**
 * What went wrong, for VERIFY's failures: `config` (the OSV database), `lockfile`, `vulnerabilities` or `licenses`
 * (the change).
 */
export interface SupplyChainProblem {
  readonly kind: 'config' | 'lockfile' | 'vulnerabilities' | 'licenses';
  readonly message: string;
}

export interface SupplyChainOutput {
  readonly files: { name: string; content: string }[];
  readonly problems: SupplyChainProblem[];
  readonly report?: VulnerabilityReport;
  readonly licenses?: LicenseReport;
}

/** The packages of one tree (a commit or a tree id) and the lockfiles that could not be read. */
export interface TreePackages {
  readonly treeish: string;
  readonly lockfiles: LockfileRead[];
  readonly unreadable: { readonly lockfile: string; readonly reason: string }[];
}

/** Reads every lockfile of a tree from git, with the files beside them that their parsers need. */
export async function treePackages(root: string, treeish: string): Promise<TreePackages> {
  if (treeish === EMPTY_TREE) return { treeish, lockfiles: [], unreadable: [] };
  const listed = await git(root, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', treeish]);
  if (listed.code !== 0) throw new Error(`git ls-tree ${treeish} failed: ${listed.stderr.trim()}`);
  const paths = listed.stdout.split('\0').filter(Boolean);
  const present = new Set(paths);
  const texts = new Map<string, string>();
  const lockfiles = lockfilesIn(paths);
  for (const p of lockfiles.flatMap((l) => [l, ...companionsOf(l)])) {
    if (!present.has(p) || texts.has(p)) continue;
    const text = await fileAtCommit(root, treeish, p);
    if (text !== undefined) texts.set(p, text);
  }
  const out: TreePackages = { treeish, lockfiles: [], unreadable: [] };
  for (const l of lockfiles) {
    try {
      out.lockfiles.push(readLockfile(l, (p) => texts.get(p)));
    } catch (err) {
      if (!(err instanceof LockfileError)) throw err;
      out.unreadable.push({ lockfile: l, reason: err.message });
    }
  }
  return out;
}

/** The library, loaded when a VERIFY first needs it: the hooks and the other verbs never pay for it. */
let library: Promise<typeof CycloneDX> | undefined;
const loadCycloneDx = () => (library ??= import('@cyclonedx/cyclonedx-library'));

const sriOf = (CDX: typeof CycloneDX) => ({
  sha1: CDX.Enums.HashAlgorithm['SHA-1'],
  sha256: CDX.Enums.HashAlgorithm['SHA-256'],
  sha384: CDX.Enums.HashAlgorithm['SHA-384'],
  sha512: CDX.Enums.HashAlgorithm['SHA-512'],
});

/** A lockfile's hash as CycloneDX's (algorithm, hex): npm's SRI `sha512-<base64>` and pip's `sha256:<hex>`. */
function cdxHash(CDX: typeof CycloneDX, h: string): [CycloneDX.Enums.HashAlgorithm, string] | undefined {
  const SRI = sriOf(CDX);
  const sri = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/=]+)$/.exec(h);
  if (sri) return [SRI[sri[1] as keyof typeof SRI], Buffer.from(sri[2]!, 'base64').toString('hex')];
  const hex = /^(sha256|sha384|sha512):([0-9a-f]+)$/i.exec(h);
  if (hex) return [SRI[hex[1]!.toLowerCase() as keyof typeof SRI], hex[2]!.toLowerCase()];
  return undefined;
}

/** A CycloneDX 1.6 JSON SBOM of a tree's packages, one component per purl; no timestamp, so the same tree gives the same bytes. */
export async function sbomOf(
  name: string,
  tree: TreePackages,
  licenseOf: (p: DependencyPackage) => string | undefined = (p) => p.license,
): Promise<string> {
  const CDX = await loadCycloneDx();
  const bom = new CDX.Models.Bom();
  bom.metadata.component = new CDX.Models.Component(CDX.Enums.ComponentType.Application, name, {
    // A fixed reference, not the library's random one: the same tree gives the same bytes.
    bomRef: 'root',
    properties: new CDX.Models.PropertyRepository([new CDX.Models.Property('autopilot:tree', tree.treeish)]),
  });
  bom.metadata.tools.components.add(new CDX.Models.Component(CDX.Enums.ComponentType.Application, 'autopilot'));
  const byPurl = new Map<string, DependencyPackage[]>();
  for (const l of tree.lockfiles) for (const p of l.packages) byPurl.set(p.purl, [...(byPurl.get(p.purl) ?? []), p]);
  for (const [purl, same] of byPurl) {
    const p = same[0]!;
    // A component's group: an npm scope, a Maven groupId.
    const group =
      p.ecosystem === 'npm' && p.name.startsWith('@')
        ? p.name.slice(0, p.name.indexOf('/'))
        : p.ecosystem === 'Maven'
          ? p.name.slice(0, p.name.indexOf(':'))
          : undefined;
    const bare = group ? p.name.slice(group.length + 1) : p.name;
    const hashes = new CDX.Models.HashDictionary();
    for (const h of same.flatMap((x) => x.hashes)) {
      const c = cdxHash(CDX, h);
      if (c) hashes.set(c[0], c[1]);
    }
    const properties = new CDX.Models.PropertyRepository([
      ...[...new Set(same.map((x) => x.lockfile))].map((l) => new CDX.Models.Property('autopilot:lockfile', l)),
      new CDX.Models.Property('autopilot:direct', String(same.some((x) => x.direct))),
      ...[...new Set(same.flatMap((x) => (x.scope ? [x.scope] : [])))].map(
        (scope) => new CDX.Models.Property('autopilot:scope', scope),
      ),
    ]);
    const declared = same.map(licenseOf).find((l) => l !== undefined);
    const licenses = new CDX.Models.LicenseRepository(
      declared === undefined
        ? []
        : [
            isSpdxExpression(declared)
              ? new CDX.Models.LicenseExpression(declared)
              : new CDX.Models.NamedLicense(declared),
          ],
    );
    bom.components.add(
      new CDX.Models.Component(CDX.Enums.ComponentType.Library, bare, {
        version: p.version,
        licenses,
        ...(group ? { group } : {}),
        purl,
        bomRef: purl,
        hashes,
        properties,
        scope: same.every((x) => x.dev) ? CDX.Enums.ComponentScope.Optional : CDX.Enums.ComponentScope.Required,
      }),
    );
  }
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 }) + '\n';
}

const all = (t: TreePackages) => t.lockfiles.flatMap((l) => l.packages);

/**
 * Runs the supply-chain check of a change: `base` is the task's base commit, `head` the tree id of what VERIFY
 * verifies. The OSV path is relative to the repository (or absolute). With `osvCache`, a folder only Autopilot
 * writes, the database's index is kept there between runs (see {@link loadOsvDatabase}). With `supplyChain.npmAudit`,
 * `npm audit` runs through `runner` for the head's npm lockfiles, with npm's cache in `cacheDir`.
 */
export async function produceSupplyChain(
  root: string,
  settings: SupplyChainSettings,
  commits: { readonly base: string; readonly head: string },
  now: Date,
  opts: { readonly osvCache?: string; readonly runner?: CommandRunner; readonly cacheDir?: string } = {},
): Promise<SupplyChainOutput> {
  const problems: SupplyChainProblem[] = [];
  const [base, head] = [await treePackages(root, commits.base), await treePackages(root, commits.head)];
  for (const u of head.unreadable)
    problems.push({
      kind: 'lockfile',
      message: `the lockfile ${u.lockfile} cannot be read: ${u.reason}; fix or regenerate it`,
    });
  const name = basename(root);
  const diff = dependencyDiff(all(base), all(head));
  const summary = (t: TreePackages) => ({
    tree: t.treeish,
    lockfiles: t.lockfiles.map((l) => ({
      path: l.lockfile,
      format: l.format,
      packages: l.packages.length,
      notes: l.notes,
    })),
    unreadable: t.unreadable,
  });
  // Licences: the lockfile's, else the installed copy's (the work tree is the head's; the base has only its lockfiles').
  const installed = installedLicenses(root);
  const headLicense = (p: DependencyPackage) => p.license ?? installed(p);
  const files = [
    { name: 'sbom.cdx.json', content: await sbomOf(name, head, headLicense) },
    { name: 'sbom-base.cdx.json', content: await sbomOf(name, base) },
    {
      name: 'dependency_diff.json',
      content: JSON.stringify({ base: summary(base), head: summary(head), ...diff }, null, 2) + '\n',
    },
  ];
  const licenses = settings.licenses ? licenseReport(all(base), all(head), settings.licenses, installed) : undefined;
  if (licenses) {
    files.push({
      name: 'licenses.json',
      content: JSON.stringify({ policy: settings.licenses, ...licenses }, null, 2) + '\n',
    });
    if (!licenses.passed) {
      const blocking = licenses.packages.filter((v) => v.blocking);
      const list = blocking
        .map((v) => `${v.name}@${v.version} (${v.declared ?? 'no licence declared'}: ${v.status})`)
        .join('; ');
      problems.push({
        kind: 'licenses',
        message: `${plural(blocking.length, 'dependency has a licence', 'dependencies have licences')} that supplyChain.licenses does not allow: ${list}. Replace each one with a package under an allowed licence, or have a person change supplyChain.licenses`,
      });
    }
  }
  const osvPath = isAbsolute(settings.osv) ? settings.osv : resolve(root, settings.osv);
  let db: OsvLoad | undefined;
  try {
    const wanted = new Set([...all(base), ...all(head)].map(packageOsvKey));
    db = loadOsvDatabase(osvPath, opts.osvCache !== undefined ? { cacheDir: opts.osvCache, wanted } : {});
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `there is no OSV database at supplyChain.osv (${settings.osv}) yet: run \`autopilot advisories update\` where there is network to fetch the databases of the ecosystems the lockfiles use into it (VERIFY itself never fetches), or point supplyChain.osv at a folder or zip of OSV records`
        : `the OSV database supplyChain.osv (${settings.osv}) cannot be read: ${code ?? (err as Error).message}; run \`autopilot advisories update\` to fetch it again, or point supplyChain.osv at a folder or zip of OSV records`;
    problems.push({ kind: 'config', message });
    files.push({
      name: 'vulnerabilities.json',
      content: JSON.stringify({ status: 'unavailable', reason: message }, null, 2) + '\n',
    });
    return { files, problems, ...(licenses ? { licenses } : {}) };
  }
  const audit = settings.npmAudit ? await npmAudit(root, head, opts) : undefined;
  const audited = (audit ?? []).flatMap((o) => {
    const lock = head.lockfiles.find((l) => l.lockfile === o.lockfile);
    return o.hits.flatMap((hit) => {
      const p = lock?.packages.find((x) => x.name === hit.name && x.version === hit.version);
      return p ? [{ package: p, hit }] : [];
    });
  });
  const report = vulnerabilityReport(
    db.index,
    all(base),
    all(head),
    { failOn: settings.failOn, accept: settings.accept, now },
    audited,
  );
  const notRun = (audit ?? []).filter((o) => o.status === 'not_run');
  const auditMissing = settings.npmAudit === 'required' && notRun.length > 0;
  if (auditMissing)
    problems.push({
      kind: 'vulnerabilities',
      message: `npm audit did not run for ${notRun.map((o) => `${o.lockfile} (${o.reason})`).join('; ')}, and supplyChain.npmAudit is required: verify again where the npm registry answers, or set supplyChain.npmAudit to true to record that it did not run and go on with the OSV database alone`,
    });
  if (!report.passed) {
    const blocking = report.findings.filter((f) => f.blocking);
    const list = blocking
      .map(
        (f) =>
          `${f.id} (${f.severity.level}) in ${f.package.name}@${f.package.version}${f.fixed ? `, fixed in ${f.fixed}` : ''}`,
      )
      .join('; ');
    problems.push({
      kind: 'vulnerabilities',
      message: `${plural(blocking.length, 'known vulnerability', 'known vulnerabilities')} at or above ${settings.failOn}: ${list}. Upgrade to a fixed version, or have a person accept it in supplyChain.accept with a reason and an expiry date`,
    });
  }
  const doc = {
    status: 'checked',
    database: { path: settings.osv, records: db.records, invalid: db.invalid },
    sources: ['osv', ...(audit?.some((o) => o.status === 'checked') ? ['npm-audit'] : [])],
    ...(audit
      ? {
          npmAudit: {
            required: settings.npmAudit === 'required',
            lockfiles: audit.map(({ lockfile, status, reason, hits }) => ({
              lockfile,
              status,
              ...(reason ? { reason } : {}),
              findings: hits.length,
            })),
            // Said in words, never left to an absent list: a check that did not run is no clean bill.
            notes: notRun.map((o) => `npm audit not run for ${o.lockfile}: ${o.reason}`),
          },
        }
      : {}),
    ...report,
    passed: report.passed && !auditMissing,
  };
  files.push({ name: 'vulnerabilities.json', content: JSON.stringify(doc, null, 2) + '\n' });
  return { files, problems, report, ...(licenses ? { licenses } : {}) };
}

/** `npm audit` of the head's npm lockfiles; without a runner it is recorded as not run. */
async function npmAudit(
  root: string,
  head: TreePackages,
  opts: { readonly runner?: CommandRunner; readonly cacheDir?: string },
): Promise<NpmAuditOutcome[]> {
  const lockfiles = head.lockfiles.map((l) => l.lockfile);
  if (!opts.runner || opts.cacheDir === undefined)
    return lockfiles
      .filter((l) => /(^|\/)(package-lock|npm-shrinkwrap)\.json$/.test(l))
      .map((lockfile) => ({ lockfile, status: 'not_run', reason: 'no command runner to run npm with', hits: [] }));
  return auditNpmLockfiles(root, head.treeish, lockfiles, opts.runner, { cacheDir: opts.cacheDir });
}
