/**
 * @module VERIFY's supply-chain check on a large lockfile: a package-lock v3 of 2,000 packages at the head (1,980 at
 * the base), both read from git, two CycloneDX SBOMs, the dependency diff, and matching against an OSV zip of 42,000
 * records (one per package name, a tenth of them affecting the installed version, and twenty of other packages), through the index VERIFY keeps in the
 * state folder (built by the warm-up, reused by the measured runs), and once more reading every record. Run alone
 * with `node --import tsx bench/supply-chain.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { produceSupplyChain } from '../src/engine/evidence/producers/supply-chain.ts';
import { strToU8, zipSync } from 'fflate';
import { measure, table, type Stats } from './stats.ts';

/** Records of other packages per package of the lockfile, so that the database is the size of a real ecosystem's. */
const OTHERS = 20;

/** A package-lock v3 of `count` packages, a third of them nested under another, with SRI integrity. */
function packageLock(count: number): string {
  const packages: Record<string, unknown> = {
    '': { name: 'bench', version: '1.0.0', dependencies: {} as Record<string, string> },
  };
  const direct = (packages[''] as { dependencies: Record<string, string> }).dependencies;
  for (let i = 0; i < count; i++) {
    const name = i % 7 === 0 ? `@scope${i % 13}/pkg-${i}` : `pkg-${i}`;
    const version = `${1 + (i % 5)}.${i % 11}.${i % 3}`;
    const nested = i % 3 === 0 && i > 0;
    const key = nested ? `node_modules/pkg-${i - 1}/node_modules/${name}` : `node_modules/${name}`;
    if (!nested && i % 10 === 0) direct[name] = version;
    packages[key] = {
      version,
      integrity: `sha512-${Buffer.alloc(64, i % 251).toString('base64')}`,
      ...(i % 4 === 0 ? { dev: true } : {}),
    };
  }
  return JSON.stringify({ name: 'bench', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2);
}

function fixture(count: number): { dir: string; osv: string; base: string; head: string } {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-bench-supply-'));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@b',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@b',
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
  git('init', '-q');
  writeFileSync(join(dir, 'package-lock.json'), packageLock(count - 20));
  git('add', '-A');
  git('commit', '-qm', 'base');
  const base = git('rev-parse', 'HEAD');
  writeFileSync(join(dir, 'package-lock.json'), packageLock(count));
  git('add', '-A');
  const head = git('write-tree');
  // The database as `advisories update` leaves it: one ecosystem zip, most of whose records name other packages
  // (osv.dev's npm zip holds a record for a small part of the registry, but far more records than one lockfile needs).
  const osv = join(dir, '..', `${dir.split('/').pop()}-osv`);
  mkdirSync(join(osv, 'npm'), { recursive: true });
  const entries: Record<string, Uint8Array> = {};
  const severity = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }];
  const rec = (id: string, name: string, fixed: string) => ({
    id,
    aliases: [`CVE-2099-${id.replace(/\D/g, '')}`],
    summary: `Advisory ${id} for ${name}`,
    severity,
    affected: [
      { package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] },
    ],
  });
  for (let i = 0; i < count; i++) {
    const name = i % 7 === 0 ? `@scope${i % 13}/pkg-${i}` : `pkg-${i}`;
    // One record in ten affects the installed major version; the others were fixed before it.
    entries[`GHSA-bench-${i}.json`] = strToU8(
      JSON.stringify(rec(`GHSA-bench-${i}`, name, i % 10 === 0 ? '9.0.0' : '0.1.0')),
    );
  }
  for (let i = 0; i < count * OTHERS; i++)
    entries[`GHSA-other-${i}.json`] = strToU8(JSON.stringify(rec(`GHSA-other-${i}`, `other-${i}`, '1.0.0')));
  writeFileSync(join(osv, 'npm', 'all.zip'), zipSync(entries, { level: 1 }));
  return { dir, osv, base, head };
}

/** The whole check of a change to a 2,000-package lockfile; `n` runs. */
export async function benchSupplyChain(count: number, n: number): Promise<Stats[]> {
  const { dir, osv, base, head } = fixture(count);
  let findings = 0;
  const osvCache = join(dir, '.autopilot', 'osv-index');
  const once = async (opts: { osvCache?: string }) => {
    const out = await produceSupplyChain(dir, { osv, failOn: 'high', accept: [] }, { base, head }, new Date(0), opts);
    findings = out.report?.findings.length ?? -1;
    if (findings !== count / 10) throw new Error(`found ${findings} findings, expected ${count / 10}`);
  };
  const label = `supply chain, ${count.toLocaleString('en-US')}-package lockfile (SBOMs, diff, OSV)`;
  const indexed = await measure(`${label}, OSV index`, n, () => once({ osvCache }), { warmup: 2 });
  const full = await measure(`${label}, no index`, Math.min(n, 5), () => once({}), { warmup: 0 });
  const records = (count * (OTHERS + 1)).toLocaleString('en-US');
  return [
    {
      ...indexed,
      note: `a zip of ${records} OSV records, index in the state folder; ${findings} findings; target p95 < 2 s`,
    },
    { ...full, note: `the same zip read whole at each run` },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${table(await benchSupplyChain(2000, 20))}\n`);
}
