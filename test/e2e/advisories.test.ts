/**
 * E2E: `autopilot advisories update` against a local HTTP server laid out as osv.dev's bucket
 * (`/<Ecosystem>/all.zip`, zips of OSV records written from real advisories: lodash, minimist, Log4Shell). It fetches
 * the ecosystems the repository's lockfiles use (a package-lock.json and a pom.xml: npm and Maven) into
 * supplyChain.osv with progress on stderr; a server error, a zip without records or no network at all exit 1 and
 * leave the old database and no partial file behind; VERIFY's producer then reads the zips, and its index in the
 * state folder gives the same findings as a full read, rebuilt when the database changes.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { unzipSync, zipSync, strToU8 } from 'fflate';
import { loadOsvDatabase } from '../../src/engine/evidence/osv-database.ts';
import { asOsvRecord, matchPackage, OsvIndex, packageOsvKey } from '../../src/core/supply/osv.ts';
import { dependency } from '../../src/core/supply/packages.ts';
import { produceSupplyChain } from '../../src/engine/evidence/producers/supply-chain.ts';
import { ROOT, git, makeRepo, tempDir, type Repo } from './helpers.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'supply');
const record = (folder: string, id: string) => readFileSync(join(FIXTURES, folder, `${id}.json`));

const ZIPS: Record<string, Uint8Array> = {
  npm: zipSync({
    'GHSA-jf85-cpcp-j695.json': record('osv', 'GHSA-jf85-cpcp-j695'),
    'GHSA-xvch-5gv4-984h.json': record('osv', 'GHSA-xvch-5gv4-984h'),
  }),
  Maven: zipSync({ 'GHSA-jfh8-c2jp-5v3q.json': record('osv-maven', 'GHSA-jfh8-c2jp-5v3q') }),
};

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>svc</artifactId>
  <version>1.0.0</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.14.1</version>
    </dependency>
  </dependencies>
</project>
`;

/** How the server answers: the real zips, a 500, or a zip that holds no OSV record. */
let mode: 'ok' | 'error' | 'junk' = 'ok';
const requests: string[] = [];
let server: Server;
let source: string;

before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const eco = /^\/([^/]+)\/all\.zip$/.exec(req.url ?? '')?.[1];
    const body = eco ? ZIPS[decodeURIComponent(eco)] : undefined;
    if (mode === 'error' && eco === 'npm') return void res.writeHead(500).end('backend error');
    if (!body) return void res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
    const bytes = mode === 'junk' ? zipSync({ 'README.txt': strToU8('not a record') }) : body;
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(bytes.length) });
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  source = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

let repo: Repo;

describe('autopilot advisories update', () => {
  before(async () => {
    repo = await makeRepo({ config: (c) => void (c['supplyChain'] = { osv: 'advisories/osv', failOn: 'high' }) });
    repo.write('package-lock.json', readFileSync(join(FIXTURES, 'npm-lodash-4.17.11', 'package-lock.json')));
    repo.write('svc/pom.xml', POM);
  });

  it('fetches the zips of the ecosystems in use into supplyChain.osv, with progress on stderr', async () => {
    const r = await repo.run(['advisories', 'update', '--source', source]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /advisories: Maven 0\.0 MB of 0\.0 MB/);
    assert.match(r.stderr, /advisories: npm /);
    assert.match(r.stdout, /Maven: 1 record/);
    assert.match(r.stdout, /npm: 2 records/);
    assert.deepEqual(requests.splice(0), ['/Maven/all.zip', '/npm/all.zip']);
    assert.deepEqual(readFileSync(repo.path('advisories/osv/npm/all.zip')), Buffer.from(ZIPS['npm']!));
    assert.deepEqual(readFileSync(repo.path('advisories/osv/Maven/all.zip')), Buffer.from(ZIPS['Maven']!));
    const json = await repo.ok<{ ecosystems: { ecosystem: string; records: number }[] }>([
      'advisories',
      'update',
      '--ecosystem',
      'maven',
      '--source',
      source,
    ]);
    assert.deepEqual(
      json.ecosystems.map((e) => [e.ecosystem, e.records]),
      [['Maven', 1]],
    );
    requests.splice(0);
  });

  it('a server error, a zip without records, or no network: exit 1, the old database kept, no partial file', async () => {
    const before = readdirSync(repo.path('advisories/osv')).sort();
    const npmZip = readFileSync(repo.path('advisories/osv/npm/all.zip'));
    mode = 'error';
    let err = await repo.refused(['advisories', 'update', '--source', source], 'USAGE', 1);
    assert.match(err.message, /\/npm\/all\.zip answered 500/);
    assert.match(err.message, /unchanged/);
    mode = 'junk';
    err = await repo.refused(['advisories', 'update', '--source', source], 'USAGE', 1);
    assert.match(err.message, /is not an OSV database: no OSV records in it/);
    mode = 'ok';
    // A port nothing listens on: the connection is refused, as without network.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    err = await repo.refused(['advisories', 'update', '--source', `http://127.0.0.1:${port}`], 'USAGE', 1);
    assert.match(err.message, /cannot reach http:\/\/127\.0\.0\.1:\d+\/Maven\/all\.zip: ECONNREFUSED/);
    assert.deepEqual(readdirSync(repo.path('advisories/osv')).sort(), before);
    assert.deepEqual(readFileSync(repo.path('advisories/osv/npm/all.zip')), npmZip);
    // Bad input changes nothing either.
    err = await repo.refused(['advisories', 'update', '--ecosystem', 'cocoapods'], 'USAGE', 1);
    assert.match(err.message, /--ecosystem cocoapods: not one Autopilot reads/);
    requests.splice(0);
  });

  it('refuses without a supplyChain section, and when supplyChain.osv names a zip', async () => {
    const bare = await makeRepo();
    let err = await bare.refused(['advisories', 'update', '--source', source], 'CONFIG_INVALID', 1);
    assert.match(err.message, /no supplyChain section/);
    const zipped = await makeRepo({ config: (c) => void (c['supplyChain'] = { osv: 'osv.zip' }) });
    zipped.write('package-lock.json', readFileSync(join(FIXTURES, 'npm-lodash-4.17.11', 'package-lock.json')));
    err = await zipped.refused(['advisories', 'update', '--source', source], 'CONFIG_INVALID', 1);
    assert.match(err.message, /names a file/);
    assert.deepEqual(requests, []);
  });

  it("VERIFY's producer reads the fetched zips; its index gives the full read's findings and is rebuilt on change", async () => {
    git(repo.dir, ['add', '-A']);
    const head = git(repo.dir, ['write-tree']).trim();
    const base = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    const cache = tempDir('osv-index');
    const settings = { osv: 'advisories/osv', failOn: 'high' as const, accept: [] };
    const plain = await produceSupplyChain(repo.dir, settings, { base, head }, new Date());
    const cached = await produceSupplyChain(repo.dir, settings, { base, head }, new Date(), { osvCache: cache });
    const ids = (o: typeof plain) => o.report?.findings.map((f) => `${f.id} ${f.package.name}@${f.package.version}`);
    assert.deepEqual(ids(plain), [
      'GHSA-jfh8-c2jp-5v3q org.apache.logging.log4j:log4j-core@2.14.1',
      'GHSA-jf85-cpcp-j695 lodash@4.17.11',
    ]);
    assert.deepEqual(ids(cached), ids(plain));
    const vulns = (o: typeof plain) =>
      JSON.parse(o.files.find((f) => f.name === 'vulnerabilities.json')!.content) as { database: unknown };
    assert.deepEqual(vulns(cached).database, vulns(plain).database);

    const osv = repo.path('advisories/osv');
    const log4j = new Set([packageOsvKey(dependency('Maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', 'x'))]);
    const reused = loadOsvDatabase(osv, { cacheDir: cache, wanted: log4j });
    assert.equal(reused.cache, 'reused');
    assert.equal(reused.records, 3);
    assert.equal(reused.index.records, 1, 'only the wanted package’s record is read from the index');
    // A new record in the folder changes the database's signature: the index is built again and holds it.
    repo.write('advisories/osv/extra/GHSA-6757-jp84-gxfx.json', record('osv', 'GHSA-6757-jp84-gxfx'));
    const rebuilt = loadOsvDatabase(osv, { cacheDir: cache, wanted: log4j });
    assert.equal(rebuilt.cache, 'built');
    assert.equal(rebuilt.records, 4);
  });

  it('reads a zip of many records entry by entry into the same index as a whole-file read', () => {
    // Volume copies of a real advisory (lodash's GHSA-jf85-cpcp-j695) under other package names and ids, the real
    // records beside them, and an entry that is not JSON.
    const lodash = JSON.parse(record('osv', 'GHSA-jf85-cpcp-j695').toString('utf8')) as {
      id: string;
      affected: { package: { name: string } }[];
    };
    const entries: Record<string, Uint8Array> = {
      'GHSA-jf85-cpcp-j695.json': record('osv', 'GHSA-jf85-cpcp-j695'),
      'GHSA-xvch-5gv4-984h.json': record('osv', 'GHSA-xvch-5gv4-984h'),
      'broken.json': strToU8('{ not json'),
    };
    const names = Array.from({ length: 200 }, (_, i) => `volume-${i}`);
    for (let i = 0; i < 2000; i++) {
      const copy = structuredClone(lodash);
      copy.id = `${lodash.id}-${i}`;
      for (const a of copy.affected) a.package.name = names[i % names.length]!;
      entries[`copies/${copy.id}.json`] = strToU8(JSON.stringify(copy));
    }
    const zip = join(tempDir('osv-zip'), 'all.zip');
    writeFileSync(zip, zipSync(entries));

    // Before: the whole zip in memory, every record parsed and indexed.
    const whole = new OsvIndex();
    const wholeInvalid: string[] = [];
    for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(readFileSync(zip))))) {
      let raw: unknown;
      try {
        raw = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        wholeInvalid.push(`${name}: not JSON`);
        continue;
      }
      const r = asOsvRecord(raw);
      if (typeof r !== 'string') whole.add(r);
    }
    const packages = ['lodash', 'minimist', ...names].map((n) => dependency('npm', n, '4.17.11', 'package-lock.json'));
    const wanted = new Set(packages.map(packageOsvKey));
    const cache = tempDir('osv-zip-index');
    const streamed = loadOsvDatabase(zip, { cacheDir: cache, wanted });
    const plain = loadOsvDatabase(zip);
    const matches = (index: OsvIndex) =>
      packages.map((p) =>
        matchPackage(index, p, []).map((m) => `${m.record.id} ${m.range} ${m.fixed} ${m.severity.level}`),
      );
    const expected = matches(whole);
    assert.equal(expected.flat().length, 2001, 'each copy and the real lodash record match 4.17.11');
    assert.deepEqual(matches(streamed.index), expected);
    assert.deepEqual(matches(plain.index), expected);
    assert.equal(streamed.cache, 'built');
    assert.equal(streamed.records, whole.records);
    assert.equal(plain.records, whole.records);
    assert.deepEqual(streamed.invalid, ['broken.json: not JSON']);
    assert.deepEqual(plain.invalid, wholeInvalid);
    // Read again, the index on disk gives the same.
    const reused = loadOsvDatabase(zip, { cacheDir: cache, wanted });
    assert.equal(reused.cache, 'reused');
    assert.deepEqual(matches(reused.index), expected);
  });
});
