/**
 * E2E: VERIFY's supply-chain check in real git repositories (the first VERIFY without an OSV database is refused with
 * the verb that fetches one). The base's lockfiles are read from the base commit and
 * the head's from the verified tree (not from the work tree); the SBOMs validate against CycloneDX 1.6's JSON schema;
 * an OSV database works as a folder and as a zip. Then through the CLI: a task that adds lodash 4.17.11 (lockfile
 * written by npm) is refused by `autopilot verify` with the advisory named, an expired acceptance does not help, and
 * a person's acceptance with a reason and a future expiry lets VERIFY pass and the task move on.
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import { zipSync } from 'fflate';
import { produceSupplyChain } from '../../src/engine/evidence/producers/supply-chain.ts';
import { ROOT, git, makeRepo, tempDir, writeFile } from './helpers.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'supply');
const fixture = (...p: string[]) => readFileSync(join(FIXTURES, ...p), 'utf8');

/** CycloneDX 1.6's JSON schema, as the library ships it, with the schemas it refers to. */
function bomValidator() {
  const dir = join(ROOT, 'node_modules', '@cyclonedx', 'cyclonedx-library', 'res', 'schema');
  const load = (f: string, id?: string) => ({
    ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as object),
    ...(id ? { $id: id } : {}),
  });
  const ajv = new Ajv({ strict: false, allErrors: true });
  formats.default(ajv);
  // Formats the SBOMs here never use (no URLs, no e-mail addresses).
  ajv.addFormat('iri-reference', true);
  ajv.addFormat('idn-email', true);
  ajv.addSchema(load('spdx.SNAPSHOT.schema.json', 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json'));
  ajv.addSchema(load('jsf-0.82.SNAPSHOT.schema.json', 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json'));
  return ajv.compile(load('bom-1.6.SNAPSHOT.schema.json'));
}

interface Sbom {
  specVersion: string;
  components: { name: string; group?: string; version: string; purl: string; hashes?: { alg: string }[] }[];
}

describe('the supply-chain producer on a real repository', () => {
  it('reads the base from its commit and the head from the verified tree; SBOMs are valid CycloneDX 1.6; zip or folder', async () => {
    const dir = tempDir('supply');
    writeFile(dir, 'package.json', fixture('npm-lodash-4.17.11', 'package.json'));
    writeFile(dir, 'package-lock.json', fixture('npm-lodash-4.17.11', 'package-lock.json'));
    writeFile(dir, 'svc/go.mod', fixture('go', 'go.mod'));
    writeFile(dir, 'svc/go.sum', fixture('go', 'go.sum'));
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'lodash 4.17.11 and a Go service']);
    const base = git(dir, ['rev-parse', 'HEAD']).trim();
    // The change: lodash upgraded to the fixed release, and pyyaml added through poetry.
    writeFile(dir, 'package.json', fixture('npm-lodash-4.17.12', 'package.json'));
    writeFile(dir, 'package-lock.json', fixture('npm-lodash-4.17.12', 'package-lock.json'));
    writeFile(dir, 'py/poetry.lock', fixture('python', 'poetry.lock'));
    writeFile(dir, 'py/pyproject.toml', fixture('python', 'pyproject.toml'));
    git(dir, ['add', '-A']);
    const head = git(dir, ['write-tree']).trim();
    // What the work tree says afterwards does not count: the verified tree does.
    writeFile(dir, 'package-lock.json', '{ not json');

    const osvDir = join(FIXTURES, 'osv');
    const zip = join(tempDir('osv'), 'all.zip');
    writeFileSync(
      zip,
      zipSync(Object.fromEntries(readdirSync(osvDir).map((f) => [f, new Uint8Array(readFileSync(join(osvDir, f)))]))),
    );
    const now = new Date('2026-12-07T00:00:00Z');
    for (const osv of [osvDir, zip]) {
      const out = await produceSupplyChain(dir, { osv, failOn: 'high', accept: [] }, { base, head }, now);
      const file = (n: string) => JSON.parse(out.files.find((f) => f.name === n)!.content) as Record<string, unknown>;
      const diff = file('dependency_diff.json') as {
        added: { name: string; version: string; direct: boolean }[];
        changed: { name: string; from: string[]; to: string[] }[];
        removed: unknown[];
      };
      assert.deepEqual(
        diff.changed.map((c) => [c.name, c.from, c.to]),
        [['lodash', ['4.17.11'], ['4.17.12']]],
      );
      assert.deepEqual(
        diff.added.map((a) => [a.name, a.version, a.direct]),
        [
          ['pytest', '7.4.0', true],
          ['pyyaml', '5.3', true],
        ],
      );
      assert.deepEqual(diff.removed, []);
      const vulns = file('vulnerabilities.json') as {
        findings: { id: string; package: { name: string }; addedByChange: boolean; blocking: boolean }[];
        database: { records: number };
      };
      assert.equal(vulns.database.records, 6, String(osv));
      // lodash is fixed; pyyaml 5.3 came with the change; x/text v0.3.7 was there and is kept.
      assert.deepEqual(
        vulns.findings.map((f) => [f.id, f.package.name, f.addedByChange, f.blocking]),
        [
          ['GHSA-69ch-w2m2-3vjp', 'golang.org/x/text', false, true],
          ['GHSA-6757-jp84-gxfx', 'pyyaml', true, true],
        ],
      );
      assert.deepEqual(
        out.problems.map((p) => p.kind),
        ['vulnerabilities'],
      );
      assert.match(out.problems[0]!.message, /GHSA-6757-jp84-gxfx \(critical\) in pyyaml@5\.3, fixed in 5\.3\.1/);
    }

    const out = await produceSupplyChain(dir, { osv: osvDir, failOn: 'high', accept: [] }, { base, head }, now);
    const validate = bomValidator();
    for (const name of ['sbom.cdx.json', 'sbom-base.cdx.json']) {
      const sbom = JSON.parse(out.files.find((f) => f.name === name)!.content) as Sbom;
      assert.ok(validate(sbom), `${name}: ${JSON.stringify(validate.errors)}`);
      assert.equal(sbom.specVersion, '1.6');
    }
    const headSbom = JSON.parse(out.files.find((f) => f.name === 'sbom.cdx.json')!.content) as Sbom;
    const lodash = headSbom.components.find((c) => c.name === 'lodash')!;
    assert.deepEqual([lodash.version, lodash.purl], ['4.17.12', 'pkg:npm/lodash@4.17.12']);
    assert.deepEqual(
      lodash.hashes?.map((h) => h.alg),
      ['SHA-512'],
    );
    const baseSbom = JSON.parse(out.files.find((f) => f.name === 'sbom-base.cdx.json')!.content) as Sbom;
    assert.equal(baseSbom.components.find((c) => c.name === 'lodash')!.version, '4.17.11');
    // The same trees give the same bytes: the CI gate's re-run compares them.
    const again = await produceSupplyChain(dir, { osv: osvDir, failOn: 'high', accept: [] }, { base, head }, now);
    assert.deepEqual(
      again.files.map((f) => f.content),
      out.files.map((f) => f.content),
    );
  });

  it('licences: from the lockfile, else the installed copy (a venv METADATA file); in licenses.json and the SBOM', async () => {
    const dir = tempDir('supply');
    writeFile(dir, 'README.md', 'x\n');
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'start']);
    const base = git(dir, ['rev-parse', 'HEAD']).trim();
    // npm's lockfile records lodash's licence; poetry's records none.
    writeFile(dir, 'package.json', fixture('npm-lodash-4.17.11', 'package.json'));
    writeFile(dir, 'package-lock.json', fixture('npm-lodash-4.17.11', 'package-lock.json'));
    writeFile(dir, 'py/poetry.lock', fixture('python', 'poetry.lock'));
    writeFile(dir, 'py/pyproject.toml', fixture('python', 'pyproject.toml'));
    git(dir, ['add', '-A']);
    const head = git(dir, ['write-tree']).trim();
    // Installed, not committed: PyYAML 5.3's METADATA as its wheel has it (core metadata 2.1), pytest without one.
    writeFile(
      dir,
      'py/.venv/lib/python3.11/site-packages/PyYAML-5.3.dist-info/METADATA',
      'Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\nSummary: YAML parser and emitter for Python\nLicense: MIT\nPlatform: Any\n\nYAML is a data serialization format.\n',
    );
    const now = new Date('2026-12-07T00:00:00Z');
    const osv = join(FIXTURES, 'osv');
    const run = (licenses: { allow: string[]; deny: string[]; unknown: 'fail' | 'warn' }) =>
      produceSupplyChain(dir, { osv, failOn: 'critical', accept: [], licenses }, { base, head }, now);
    const out = await run({ allow: ['MIT', 'Apache-2.0'], deny: [], unknown: 'fail' });
    const doc = JSON.parse(out.files.find((f) => f.name === 'licenses.json')!.content) as {
      passed: boolean;
      packages: { name: string; declared: string | null; source: string; status: string; blocking: boolean }[];
    };
    assert.deepEqual(
      doc.packages.map((v) => [v.name, v.declared, v.source, v.status, v.blocking]),
      [
        ['lodash', 'MIT', 'lockfile', 'allowed', false],
        ['pytest', null, 'none', 'unknown', true],
        ['pyyaml', 'MIT', 'installed', 'allowed', false],
      ],
    );
    const problem = out.problems.find((p) => p.kind === 'licenses');
    assert.match(
      problem?.message ?? '',
      /1 dependency has a licence that supplyChain\.licenses does not allow: pytest@7\.4\.0 \(no licence declared: unknown\)/,
    );
    const sbom = JSON.parse(out.files.find((f) => f.name === 'sbom.cdx.json')!.content) as {
      components: { name: string; licenses?: { expression?: string }[] }[];
    };
    assert.ok(bomValidator()(sbom));
    assert.deepEqual(
      sbom.components.map((c) => [c.name, c.licenses?.[0]?.expression]),
      [
        ['lodash', 'MIT'],
        ['pytest', undefined],
        ['pyyaml', 'MIT'],
      ],
    );
    // Denying MIT blocks both MIT packages; an unknown licence with `unknown: warn` only shows.
    const denied = await run({ allow: [], deny: ['MIT'], unknown: 'warn' });
    const again = JSON.parse(denied.files.find((f) => f.name === 'licenses.json')!.content) as typeof doc;
    assert.deepEqual(
      again.packages.filter((v) => v.blocking).map((v) => [v.name, v.status]),
      [
        ['lodash', 'denied'],
        ['pyyaml', 'denied'],
      ],
    );
  });

  it('a missing OSV database and a broken lockfile in the change are failures that say what to fix', async () => {
    const dir = tempDir('supply');
    writeFile(dir, 'README.md', 'x\n');
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'start']);
    const base = git(dir, ['rev-parse', 'HEAD']).trim();
    writeFile(dir, 'pnpm-lock.yaml', 'packages: [unclosed\n');
    git(dir, ['add', '-A']);
    const head = git(dir, ['write-tree']).trim();
    const out = await produceSupplyChain(
      dir,
      { osv: 'nowhere', failOn: 'high', accept: [] },
      { base, head },
      new Date(),
    );
    assert.deepEqual(
      out.problems.map((p) => p.kind),
      ['lockfile', 'config'],
    );
    assert.match(out.problems[0]!.message, /the lockfile pnpm-lock\.yaml cannot be read: not YAML/);
    assert.match(
      out.problems[1]!.message,
      /no OSV database at supplyChain\.osv \(nowhere\) yet: run `autopilot advisories update`/,
    );
    const vulns = JSON.parse(out.files.find((f) => f.name === 'vulnerabilities.json')!.content) as { status: string };
    assert.equal(vulns.status, 'unavailable');
  });
});

describe('autopilot verify with supplyChain configured', () => {
  it('refuses a change that adds lodash 4.17.11; an expired acceptance does not count; a current one does', async () => {
    // The database outside the repository, not fetched yet.
    const osv = join(tempDir('osv'), 'db');
    const repo = await makeRepo({ config: (c) => void (c['supplyChain'] = { osv, failOn: 'high' }) });
    await repo.driveTo('T-1', 'IMPLEMENT');
    const pkg = JSON.parse(readFileSync(repo.path('package.json'), 'utf8')) as Record<string, unknown>;
    repo.write('package.json', JSON.stringify({ ...pkg, dependencies: { lodash: '4.17.11' } }, null, 2) + '\n');
    repo.write('package-lock.json', fixture('npm-lodash-4.17.11', 'package-lock.json'));
    await repo.driveTo('T-1', 'VERIFY');

    // The first VERIFY without a database: refused, with the verb that fetches it.
    let err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(
      err.message,
      /there is no OSV database at supplyChain\.osv \(.*\) yet: run `autopilot advisories update`/,
    );
    cpSync(join(FIXTURES, 'osv'), osv, { recursive: true });
    err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(err.message, /GHSA-jf85-cpcp-j695 \(critical\) in lodash@4\.17\.11, fixed in 4\.17\.12/);
    assert.match(err.message, /supplyChain\.accept/);
    const dir = repo.phaseDir('T-1', 'VERIFY');
    const vulns = JSON.parse(readFileSync(join(dir, 'vulnerabilities.json'), 'utf8')) as {
      findings: { id: string; aliases: string[]; fixed: string; affected: string; addedByChange: boolean }[];
    };
    assert.deepEqual(
      vulns.findings.map((f) => [f.id, f.aliases, f.affected, f.fixed, f.addedByChange]),
      [['GHSA-jf85-cpcp-j695', ['CVE-2019-10744'], '>=0 <4.17.12', '4.17.12', true]],
    );
    const diff = JSON.parse(readFileSync(join(dir, 'dependency_diff.json'), 'utf8')) as { added: { name: string }[] };
    assert.deepEqual(
      diff.added.map((a) => a.name),
      ['lodash'],
    );
    assert.match(readFileSync(join(dir, 'sbom.cdx.json'), 'utf8'), /"purl": "pkg:npm\/lodash@4\.17\.11"/);
    // The move out of VERIFY is gated by the same evidence.
    const gate = await repo.refused(['advance', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(gate.message, /passed is false; it must equal true/);
    assert.match(gate.message, /GHSA-jf85-cpcp-j695 \(critical\) in lodash@4\.17\.11/);

    const accept = (expires: string) =>
      repo.editConfig((c) => {
        (c['supplyChain'] as Record<string, unknown>)['accept'] = [
          { id: 'CVE-2019-10744', reason: 'only the build script calls lodash, on trusted input', expires },
        ];
      });
    accept('2020-01-31');
    await repo.adoptConfig('T-1');
    err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(err.message, /GHSA-jf85-cpcp-j695/);

    const future = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    accept(future);
    await repo.adoptConfig('T-1');
    await repo.ok(['verify', 'T-1']);
    const accepted = JSON.parse(readFileSync(join(dir, 'vulnerabilities.json'), 'utf8')) as {
      findings: { blocking: boolean; accepted?: { reason: string } }[];
      acceptances: { status: string }[];
    };
    assert.deepEqual(
      accepted.findings.map((f) => [f.blocking, f.accepted?.reason]),
      [[false, 'only the build script calls lodash, on trusted input']],
    );
    assert.deepEqual(
      accepted.acceptances.map((a) => a.status),
      ['active'],
    );
    await repo.ok(['advance', 'T-1']);
    assert.equal(repo.task('T-1')?.phase, 'REVIEW');
  });
});
