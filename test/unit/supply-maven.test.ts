/**
 * Unit: Maven's pom.xml, a multi-module project written here to Maven's POM 4.0.0 format and checked by Maven itself
 * (`mvn -o validate` reads every module of the reactor and refuses a malformed pom): dependencies as declared, with
 * properties resolved, managed versions, scopes kept, and what the pom alone cannot pin noted; pkg:maven purls in the
 * CycloneDX SBOM; Maven's version order; and the Log4Shell advisory (GHSA-jfh8-c2jp-5v3q, written from its published
 * ranges) found in log4j-core 2.14.1 and not in 2.15.0.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lockfilesIn, readLockfile } from '../../src/core/supply/lockfiles.ts';
import { asOsvRecord, matchPackage, OsvIndex, type OsvRecord } from '../../src/core/supply/osv.ts';
import { COMPARATORS } from '../../src/core/supply/versions.ts';
import { sbomOf } from '../../src/engine/evidence/producers/supply-chain.ts';
import { tempDir } from '../helpers/ledger.ts';
import { ROOT } from '../e2e/helpers.ts';

const HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>`;

const ROOT_POM = `${HEAD}
  <groupId>com.example</groupId>
  <artifactId>shop</artifactId>
  <version>1.4.0</version>
  <packaging>pom</packaging>
  <modules>
    <module>svc</module>
  </modules>
  <properties>
    <log4j.version>2.14.1</log4j.version>
    <jackson.major>2.13</jackson.major>
    <jackson.version>\${jackson.major}.1</jackson.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.google.guava</groupId>
        <artifactId>guava</artifactId>
        <version>31.1-jre</version>
      </dependency>
      <dependency>
        <groupId>org.junit.jupiter</groupId>
        <artifactId>junit-jupiter</artifactId>
        <version>5.9.2</version>
        <scope>test</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>\${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>\${jackson.version}</version>
      <scope>runtime</scope>
    </dependency>
    <dependency>
      <groupId>com.google.guava</groupId>
      <artifactId>guava</artifactId>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
    </dependency>
    <dependency>
      <groupId>javax.servlet</groupId>
      <artifactId>javax.servlet-api</artifactId>
      <version>4.0.1</version>
      <scope>provided</scope>
    </dependency>
    <dependency>
      <groupId>commons-io</groupId>
      <artifactId>commons-io</artifactId>
      <version>[2.11.0,3.0)</version>
    </dependency>
  </dependencies>
</project>
`;

const MODULE_POM = `${HEAD}
  <parent>
    <groupId>com.example</groupId>
    <artifactId>shop</artifactId>
    <version>1.4.0</version>
  </parent>
  <artifactId>svc</artifactId>
  <dependencies>
    <dependency>
      <groupId>\${project.groupId}</groupId>
      <artifactId>shop-api</artifactId>
      <version>\${project.version}</version>
    </dependency>
    <dependency>
      <groupId>com.google.guava</groupId>
      <artifactId>guava</artifactId>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>\${slf4j.version}</version>
    </dependency>
  </dependencies>
</project>
`;

const work = tempDir('autopilot-maven-');
after(() => work.remove());
mkdirSync(join(work.dir, 'svc'));
writeFileSync(join(work.dir, 'pom.xml'), ROOT_POM);
writeFileSync(join(work.dir, 'svc', 'pom.xml'), MODULE_POM);
const read = (p: string) => readFileSync(join(work.dir, p), 'utf8');

describe('Maven pom.xml', () => {
  it('the test poms are valid for Maven itself (mvn -o validate over the reactor)', () => {
    // svc's slf4j version comes from the command line, which Maven accepts and a reader of the pom cannot know.
    const out = execFileSync('mvn', ['-o', '-q', '-B', '-Dslf4j.version=2.0.7', 'validate'], {
      cwd: work.dir,
      encoding: 'utf8',
    });
    assert.doesNotMatch(out, /ERROR/);
  });

  it('dependencies as declared: properties resolved (nested, project coordinates), managed versions, scopes kept', () => {
    const root = readLockfile('pom.xml', read);
    assert.equal(root.format, 'pom.xml');
    assert.deepEqual(
      root.packages.map((p) => [p.ecosystem, p.name, p.version, p.purl, p.scope, p.dev, p.direct]),
      [
        [
          'Maven',
          'org.apache.logging.log4j:log4j-core',
          '2.14.1',
          'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
          'compile',
          false,
          true,
        ],
        [
          'Maven',
          'com.fasterxml.jackson.core:jackson-databind',
          '2.13.1',
          'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.1',
          'runtime',
          false,
          true,
        ],
        [
          'Maven',
          'com.google.guava:guava',
          '31.1-jre',
          'pkg:maven/com.google.guava/guava@31.1-jre',
          'compile',
          false,
          true,
        ],
        [
          'Maven',
          'org.junit.jupiter:junit-jupiter',
          '5.9.2',
          'pkg:maven/org.junit.jupiter/junit-jupiter@5.9.2',
          'test',
          true,
          true,
        ],
        [
          'Maven',
          'javax.servlet:javax.servlet-api',
          '4.0.1',
          'pkg:maven/javax.servlet/javax.servlet-api@4.0.1',
          'provided',
          true,
          true,
        ],
      ],
    );
    assert.deepEqual(root.notes, ['commons-io:commons-io: the version range [2.11.0,3.0) is not a pinned release']);
  });

  it("a module resolves its parent's coordinates and notes what only the parent or the command line defines", () => {
    const svc = readLockfile('svc/pom.xml', read);
    assert.deepEqual(
      svc.packages.map((p) => p.purl),
      ['pkg:maven/com.example/shop-api@1.4.0'],
    );
    assert.deepEqual(svc.notes, [
      'com.google.guava:guava: no version in this pom (managed by a parent or an imported BOM)',
      "org.slf4j:slf4j-api: the property ${slf4j.version} is not defined in this pom (a parent's or the command line's)",
    ]);
  });

  it('pom.xml files are found, but not under target/; a malformed pom or another root is refused with the reason', () => {
    assert.deepEqual(lockfilesIn(['pom.xml', 'svc/pom.xml', 'svc/target/classes/META-INF/pom.xml', 'src/Pom.java']), [
      'pom.xml',
      'svc/pom.xml',
    ]);
    assert.throws(() => readLockfile('pom.xml', () => '<project><dependencies></project>'), /not well-formed XML/);
    assert.throws(() => readLockfile('pom.xml', () => '<settings/>'), /root element is not <project>/);
  });

  it('the SBOM gives Maven components their groupId, artifactId, purl and scope', async () => {
    const root = readLockfile('pom.xml', read);
    const bom = JSON.parse(await sbomOf('shop', { treeish: 'tree', lockfiles: [root], unreadable: [] })) as {
      components: {
        group?: string;
        name: string;
        version: string;
        purl: string;
        scope: string;
        properties: { name: string; value: string }[];
      }[];
    };
    const log4j = bom.components.find((c) => c.name === 'log4j-core');
    assert.equal(log4j?.group, 'org.apache.logging.log4j');
    assert.equal(log4j?.purl, 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1');
    assert.equal(log4j?.scope, 'required');
    const junit = bom.components.find((c) => c.name === 'junit-jupiter');
    assert.equal(junit?.scope, 'optional');
    assert.deepEqual(
      junit?.properties.find((p) => p.name === 'autopilot:scope'),
      { name: 'autopilot:scope', value: 'test' },
    );
  });

  it("Maven's version order: qualifiers before the release, numbers numerically, release aliases equal", () => {
    const cmp = COMPARATORS.Maven;
    assert.equal(cmp('2.14.1', '2.15.0'), -1);
    assert.equal(cmp('2.15.0-rc1', '2.15.0'), -1);
    assert.equal(cmp('2.0-beta9', '2.0'), -1);
    assert.equal(cmp('1.0-alpha1', '1.0-beta1'), -1);
    assert.equal(cmp('1.0-SNAPSHOT', '1.0'), -1);
    assert.equal(cmp('1.0.Final', '1'), 0);
    assert.equal(cmp('5.3.18', '5.3.9'), 1);
    assert.equal(cmp('1.0-sp1', '1.0.1'), -1);
    assert.equal(cmp('31.1-jre', '32.0.0-jre'), -1);
    assert.equal(cmp('1.0 beta', '1.0'), undefined);
  });

  it('Log4Shell (GHSA-jfh8-c2jp-5v3q) is found in log4j-core 2.14.1 and 2.0-beta9, not in 2.15.0, 2.12.2 or 2.0-beta8', () => {
    const file = join(ROOT, 'test', 'fixtures', 'supply', 'osv-maven', 'GHSA-jfh8-c2jp-5v3q.json');
    const idx = new OsvIndex();
    idx.add(asOsvRecord(JSON.parse(readFileSync(file, 'utf8'))) as OsvRecord);
    const log4j = readLockfile('pom.xml', read).packages[0]!;
    const [m] = matchPackage(idx, log4j, []);
    assert.equal(m?.record.id, 'GHSA-jfh8-c2jp-5v3q');
    assert.equal(m?.range, '>=2.13.0 <2.15.0');
    assert.equal(m?.fixed, '2.15.0');
    assert.equal(m?.severity.level, 'critical');
    assert.equal(m?.severity.score, 10);
    const at = (version: string) => matchPackage(idx, { ...log4j, version }, []).map((x) => x.fixed);
    assert.deepEqual(at('2.0-beta9'), ['2.3.1']);
    assert.deepEqual(at('2.15.0'), []);
    assert.deepEqual(at('2.12.2'), []);
    assert.deepEqual(at('2.0-beta8'), []);
  });
});
