/**
 * E2E: `supplyChain.npmAudit`, the real `npm audit --json` run by VERIFY's supply-chain producer for the verified
 * tree's package-lock.json, against a local server that speaks the registry's bulk advisory endpoint
 * (`POST /-/npm/v1/security/advisories/bulk`; the registry here refuses audits, so no answer of the public registry
 * could be recorded). Its answer carries the published facts of GHSA-jf85-cpcp-j695 (lodash before 4.17.12,
 * critical, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H) read from the OSV fixture; the report npm computes from it
 * is merged into vulnerabilities.json with its source named, the same advisory from both sources is one finding,
 * and a registry that cannot be reached is a note in the evidence (true) or a failure (`required`), never a pass
 * that says nothing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { ProcessRunner } from '../../src/adapters/process/index.ts';
import { produceSupplyChain } from '../../src/engine/evidence/producers/supply-chain.ts';
import { ROOT, git, tempDir, writeFile } from './helpers.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'supply');
const fixture = (...p: string[]) => readFileSync(join(FIXTURES, ...p), 'utf8');
const LODASH = JSON.parse(fixture('osv', 'GHSA-jf85-cpcp-j695.json')) as {
  id: string;
  summary: string;
  severity: { score: string }[];
  affected: { ranges: { events: { fixed?: string }[] }[] }[];
};
const FIXED = LODASH.affected[0]!.ranges[0]!.events.find((e) => e.fixed)!.fixed!;

/** The bulk endpoint's answer shape: advisories by package name (the advisory number is this server's own). */
const ADVISORIES: Record<string, object[]> = {
  lodash: [
    {
      id: 1,
      url: `https://github.com/advisories/${LODASH.id}`,
      title: LODASH.summary,
      severity: 'critical',
      vulnerable_versions: `<${FIXED}`,
      cwe: ['CWE-1321', 'CWE-20'],
      cvss: { score: 9.1, vectorString: LODASH.severity[0]!.score },
    },
  ],
};

let server: Server;
let registry: string;
const asked: Record<string, string[]>[] = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/-/npm/v1/security/advisories/bulk')
        return void res.writeHead(404).end('{}');
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(
        (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'),
      ) as Record<string, string[]>;
      asked.push(body);
      const answer = Object.fromEntries(Object.keys(body).flatMap((n) => (ADVISORIES[n] ? [[n, ADVISORIES[n]]] : [])));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

/** A repository whose change adds lodash 4.17.11 (lockfile written by npm) with an .npmrc naming `registryUrl`. */
function change(registryUrl: string) {
  const dir = tempDir('npm-audit');
  writeFile(dir, 'README.md', 'x\n');
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'start']);
  const base = git(dir, ['rev-parse', 'HEAD']).trim();
  writeFile(dir, 'package.json', fixture('npm-lodash-4.17.11', 'package.json'));
  writeFile(dir, 'package-lock.json', fixture('npm-lodash-4.17.11', 'package-lock.json'));
  writeFile(dir, '.npmrc', `registry=${registryUrl}\n`);
  git(dir, ['add', '-A']);
  return { dir, commits: { base, head: git(dir, ['write-tree']).trim() } };
}

interface Vulns {
  sources: string[];
  passed: boolean;
  npmAudit?: { required: boolean; lockfiles: { lockfile: string; status: string; reason?: string }[]; notes: string[] };
  findings: {
    id: string;
    sources: string[];
    severity: { level: string; score?: number };
    affected: string;
    fixed: string | null;
    blocking: boolean;
    addedByChange: boolean;
    package: { name: string; version: string };
  }[];
}
const vulns = (out: { files: { name: string; content: string }[] }) =>
  JSON.parse(out.files.find((f) => f.name === 'vulnerabilities.json')!.content) as Vulns;

describe('npm audit as a second source of known vulnerabilities', () => {
  const now = new Date('2026-12-07T00:00:00Z');
  const opts = () => ({ runner: new ProcessRunner(), cacheDir: tempDir('npm-cache') });

  it("npm's report is merged with its source named; the same advisory from OSV and npm is one finding", async () => {
    const { dir, commits } = change(registry);
    // An OSV database without lodash's record: the finding comes from npm audit alone.
    const onlyMinimist = join(FIXTURES, 'osv', 'GHSA-xvch-5gv4-984h.json');
    const settings = { osv: onlyMinimist, failOn: 'high' as const, accept: [], npmAudit: true as const };
    const out = await produceSupplyChain(dir, settings, commits, now, opts());
    assert.ok(
      asked.some((b) => b['lodash']?.includes('4.17.11')),
      'npm asked about the locked lodash version',
    );
    const doc = vulns(out);
    assert.deepEqual(doc.sources, ['osv', 'npm-audit']);
    assert.deepEqual(doc.npmAudit?.lockfiles, [{ lockfile: 'package-lock.json', status: 'checked', findings: 1 }]);
    assert.deepEqual(
      doc.findings.map((f) => [f.id, f.sources, f.severity.level, f.severity.score, f.affected, f.fixed, f.blocking]),
      [[LODASH.id, ['npm-audit'], 'critical', 9.1, '<4.17.12', '4.17.12', true]],
    );
    assert.equal(doc.findings[0]!.addedByChange, true);
    assert.equal(doc.passed, false);
    assert.match(
      out.problems.find((p) => p.kind === 'vulnerabilities')?.message ?? '',
      /GHSA-jf85-cpcp-j695 \(critical\) in lodash@4\.17\.11, fixed in 4\.17\.12/,
    );

    // With lodash's OSV record too: one finding, both sources; a person's acceptance by its CVE alias covers it.
    const both = await produceSupplyChain(
      dir,
      {
        ...settings,
        osv: join(FIXTURES, 'osv'),
        accept: [{ id: 'CVE-2019-10744', reason: 'build script only, trusted input', expires: '2027-01-31' }],
      },
      commits,
      now,
      opts(),
    );
    const merged = vulns(both).findings.filter((f) => f.package.name === 'lodash');
    assert.deepEqual(
      merged.map((f) => [f.id, f.sources, f.blocking]),
      [[LODASH.id, ['osv', 'npm-audit'], false]],
    );
    assert.equal(vulns(both).passed, true);
  });

  it('without a reachable registry: a note in the evidence with true, a failure with required', async () => {
    // A port nothing listens on: npm's request is refused, as without network.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { dir, commits } = change(`http://127.0.0.1:${port}/`);
    const osv = join(FIXTURES, 'osv', 'GHSA-xvch-5gv4-984h.json');
    const soft = await produceSupplyChain(
      dir,
      { osv, failOn: 'high', accept: [], npmAudit: true },
      commits,
      now,
      opts(),
    );
    const doc = vulns(soft);
    assert.deepEqual(doc.sources, ['osv']);
    assert.deepEqual(doc.npmAudit?.lockfiles, [
      { lockfile: 'package-lock.json', status: 'not_run', reason: 'no network (ECONNREFUSED)', findings: 0 },
    ]);
    assert.deepEqual(doc.npmAudit?.notes, ['npm audit not run for package-lock.json: no network (ECONNREFUSED)']);
    assert.deepEqual([doc.passed, soft.problems], [true, []]);

    const hard = await produceSupplyChain(
      dir,
      { osv, failOn: 'high', accept: [], npmAudit: 'required' },
      commits,
      now,
      opts(),
    );
    assert.equal(vulns(hard).passed, false);
    assert.match(
      hard.problems.find((p) => p.kind === 'vulnerabilities')?.message ?? '',
      /npm audit did not run for package-lock\.json \(no network \(ECONNREFUSED\)\), and supplyChain\.npmAudit is required/,
    );
  });
});
