/**
 * Unit: OSV records written from real advisories' published facts (lodash GHSA-jf85-cpcp-j695, minimist
 * GHSA-xvch-5gv4-984h, golang.org/x/text GHSA-69ch-w2m2-3vjp, Jinja2 GHSA-462w-v97r-4m45, PyYAML GHSA-6757-jp84-gxfx,
 * requests GHSA-j8r2-6x86-q33q) matched against package versions: the vulnerable version is found and the fixed one
 * is not, in each ecosystem's version order; severity from the CVSS vector; the policy with failOn and acceptances
 * that expire; and the dependency diff.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { asOsvRecord, matchPackage, OsvIndex, severityOf, type OsvRecord } from '../../src/core/supply/osv.ts';
import { dependency, type Ecosystem } from '../../src/core/supply/packages.ts';
import { acceptanceActive, dependencyDiff, vulnerabilityReport } from '../../src/core/supply/report.ts';
import { ROOT } from '../e2e/helpers.ts';

const OSV = join(ROOT, 'test', 'fixtures', 'supply', 'osv');

function index(extra: OsvRecord[] = []): OsvIndex {
  const idx = new OsvIndex();
  for (const f of readdirSync(OSV)) {
    const rec = asOsvRecord(JSON.parse(readFileSync(join(OSV, f), 'utf8')));
    assert.notEqual(typeof rec, 'string', f);
    idx.add(rec as OsvRecord);
  }
  for (const r of extra) idx.add(r);
  return idx;
}

const pkg = (eco: Ecosystem, name: string, version: string, direct = true) =>
  dependency(eco, name, version, 'lock', { direct });

function ids(eco: Ecosystem, name: string, version: string, idx = index()): string[] {
  const notes: string[] = [];
  return matchPackage(idx, pkg(eco, name, version), notes).map((m) => m.record.id);
}

describe('OSV ranges per ecosystem', () => {
  it('npm lodash: 4.17.11 is affected (>=0 <4.17.12, fixed 4.17.12, critical 9.1); 4.17.12 and later are not', () => {
    const [m] = matchPackage(index(), pkg('npm', 'lodash', '4.17.11'), []);
    assert.equal(m?.record.id, 'GHSA-jf85-cpcp-j695');
    assert.deepEqual(
      [m.range, m.fixed, m.severity.level, m.severity.score],
      ['>=0 <4.17.12', '4.17.12', 'critical', 9.1],
    );
    assert.deepEqual(ids('npm', 'lodash', '4.17.12'), []);
    assert.deepEqual(ids('npm', 'lodash', '4.17.21'), []);
    assert.deepEqual(ids('npm', 'lodash', '1.0.0-rc.3'), ['GHSA-jf85-cpcp-j695']);
  });

  it('npm minimist: two affected entries; 0.2.3 and 1.2.5 are affected, 0.2.4, 1.2.6 and 0.9.0 (between) are not', () => {
    assert.deepEqual(ids('npm', 'minimist', '0.2.3'), ['GHSA-xvch-5gv4-984h']);
    assert.deepEqual(ids('npm', 'minimist', '1.2.5'), ['GHSA-xvch-5gv4-984h']);
    for (const v of ['0.2.4', '0.9.0', '1.2.6']) assert.deepEqual(ids('npm', 'minimist', v), [], v);
  });

  it('Go: module versions with their v (and pseudo-versions) against ranges without it', () => {
    assert.deepEqual(ids('Go', 'golang.org/x/text', 'v0.3.7'), ['GHSA-69ch-w2m2-3vjp']);
    assert.deepEqual(ids('Go', 'golang.org/x/text', 'v0.0.0-20170915032832-14c0d48ead0c'), ['GHSA-69ch-w2m2-3vjp']);
    assert.deepEqual(ids('Go', 'golang.org/x/text', 'v0.3.8'), []);
  });

  it('PyPI: PEP 440 order (2.10 < 2.10.1, release candidates before the release), names normalised', () => {
    assert.deepEqual(ids('PyPI', 'Jinja2', '2.10'), ['GHSA-462w-v97r-4m45']);
    assert.deepEqual(ids('PyPI', 'jinja2', '2.10.1rc1'), ['GHSA-462w-v97r-4m45']);
    assert.deepEqual(ids('PyPI', 'jinja2', '2.10.1'), []);
    assert.deepEqual(ids('PyPI', 'PyYAML', '5.3'), ['GHSA-6757-jp84-gxfx']);
    assert.deepEqual(ids('PyPI', 'pyyaml', '5.3.1'), []);
    // requests: introduced 2.3.0, so 2.2.1 predates the flaw.
    assert.deepEqual(ids('PyPI', 'requests', '2.30.0'), ['GHSA-j8r2-6x86-q33q']);
    assert.deepEqual(ids('PyPI', 'requests', '2.2.1'), []);
  });

  it('last_affected closes a range inclusively; a versions list matches exactly; GIT ranges and withdrawn records do not match', () => {
    const extra: OsvRecord[] = [
      {
        id: 'TEST-last-affected',
        affected: [
          {
            package: { ecosystem: 'npm', name: 'left-pad' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { last_affected: '1.1.3' }] }],
          },
        ],
      },
      { id: 'TEST-listed', affected: [{ package: { ecosystem: 'npm', name: 'listed' }, versions: ['2.0.0'] }] },
      {
        id: 'TEST-git',
        affected: [
          { package: { ecosystem: 'npm', name: 'gitonly' }, ranges: [{ type: 'GIT', events: [{ introduced: '0' }] }] },
        ],
      },
      {
        id: 'TEST-withdrawn',
        withdrawn: '2024-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'npm', name: 'left-pad' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
          },
        ],
      },
    ];
    const idx = index(extra);
    assert.deepEqual(ids('npm', 'left-pad', '1.1.3', idx), ['TEST-last-affected']);
    assert.deepEqual(ids('npm', 'left-pad', '1.1.4', idx), []);
    assert.deepEqual(ids('npm', 'left-pad', '0.9.0', idx), []);
    assert.deepEqual(ids('npm', 'listed', '2.0.0', idx), ['TEST-listed']);
    assert.deepEqual(ids('npm', 'listed', '2.0.1', idx), []);
    assert.deepEqual(ids('npm', 'gitonly', '1.0.0', idx), []);
  });

  it('a version the ecosystem cannot order is a note, not a clean bill', () => {
    const notes: string[] = [];
    assert.deepEqual(matchPackage(index(), pkg('npm', 'lodash', 'not-a-version'), notes), []);
    assert.match(notes[0]!, /GHSA-jf85-cpcp-j695: cannot compare lodash@not-a-version/);
  });

  it('severity: the highest CVSS base score; else the database word (MODERATE is medium); else unknown', () => {
    assert.deepEqual(
      severityOf({ id: 'x', severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N' }] }),
      {
        level: 'medium',
        score: 6.1,
        vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N',
        source: 'cvss',
      },
    );
    assert.deepEqual(severityOf({ id: 'x', database_specific: { severity: 'MODERATE' } }), {
      level: 'medium',
      source: 'database',
    });
    assert.deepEqual(severityOf({ id: 'x' }), { level: 'unknown', source: 'none' });
  });
});

describe('the policy and the diff', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  const base = [pkg('npm', 'lodash', '4.17.11'), pkg('PyPI', 'requests', '2.30.0', false)];
  const head = [
    pkg('npm', 'lodash', '4.17.11'),
    pkg('npm', 'minimist', '1.2.5', false),
    pkg('PyPI', 'requests', '2.31.0', false),
  ];

  it('added, kept and fixed findings; failOn high blocks the critical ones, kept or added', () => {
    const r = vulnerabilityReport(index(), base, head, { failOn: 'high', accept: [], now });
    assert.deepEqual(
      r.findings.map((f) => [f.id, f.package.name, f.addedByChange, f.blocking]),
      [
        ['GHSA-jf85-cpcp-j695', 'lodash', false, true],
        ['GHSA-xvch-5gv4-984h', 'minimist', true, true],
      ],
    );
    assert.equal(r.passed, false);
    assert.equal(r.blocking, 2);
  });

  it('failOn critical lets a medium finding through but records it', () => {
    const r = vulnerabilityReport(index(), [], [pkg('PyPI', 'requests', '2.30.0')], {
      failOn: 'critical',
      accept: [],
      now,
    });
    assert.deepEqual(
      r.findings.map((f) => [f.id, f.severity.level, f.blocking]),
      [['GHSA-j8r2-6x86-q33q', 'medium', false]],
    );
    assert.equal(r.passed, true);
  });

  it('an acceptance by alias counts through its expiry day; an expired one no longer counts', () => {
    const accept = [{ id: 'CVE-2019-10744', reason: 'lodash only runs in the build script', expires: '2026-12-07' }];
    const r = vulnerabilityReport(index(), [], [pkg('npm', 'lodash', '4.17.11')], { failOn: 'high', accept, now });
    assert.deepEqual(
      r.findings.map((f) => [f.blocking, f.accepted?.reason]),
      [[false, 'lodash only runs in the build script']],
    );
    assert.deepEqual(
      r.acceptances.map((a) => a.status),
      ['active'],
    );
    const later = new Date('2026-12-08T00:00:00Z');
    assert.equal(acceptanceActive(accept[0]!, later), false);
    const expired = vulnerabilityReport(index(), [], [pkg('npm', 'lodash', '4.17.11')], {
      failOn: 'high',
      accept,
      now: later,
    });
    assert.deepEqual(
      expired.findings.map((f) => [f.blocking, f.accepted]),
      [[true, undefined]],
    );
    assert.deepEqual(
      expired.acceptances.map((a) => a.status),
      ['expired'],
    );
  });

  it('a finding without any severity is judged as critical', () => {
    const idx = index([
      { id: 'TEST-nosev', affected: [{ package: { ecosystem: 'npm', name: 'quiet' }, versions: ['1.0.0'] }] },
    ]);
    const r = vulnerabilityReport(idx, [], [pkg('npm', 'quiet', '1.0.0')], { failOn: 'critical', accept: [], now });
    assert.deepEqual(
      r.findings.map((f) => [f.severity.level, f.blocking]),
      [['unknown', true]],
    );
  });

  it('the dependency diff: added, removed, changed from → to, with direct or transitive', () => {
    const d = dependencyDiff(base, head);
    assert.deepEqual(
      d.added.map((p) => [p.name, p.version, p.direct]),
      [['minimist', '1.2.5', false]],
    );
    assert.deepEqual(d.removed, []);
    assert.deepEqual(
      d.changed.map((p) => [p.name, p.from, p.to, p.direct]),
      [['requests', ['2.30.0'], ['2.31.0'], false]],
    );
    assert.deepEqual(
      dependencyDiff(head, base).removed.map((p) => p.name),
      ['minimist'],
    );
  });
});
