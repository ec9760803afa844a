/**
 * Unit: the licence check. Declared licences are SPDX expressions judged against allow and deny lists with
 * spdx-satisfies (a choice of licences passes when one allowed choice is left), a licence nobody declares is
 * unknown and one that is no SPDX expression invalid (both blocking only with `unknown: fail`), npm's lockfile
 * licences are read from it, and a Python METADATA file gives its licence as the core metadata specification writes it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeLicense, licenseReport, type LicensePolicy } from '../../src/core/supply/licenses.ts';
import { dependency } from '../../src/core/supply/packages.ts';
import { parsePackageLock } from '../../src/core/supply/js-lockfiles.ts';
import { metadataLicense } from '../../src/engine/evidence/producers/installed-licenses.ts';

const policy = (p: Partial<LicensePolicy>): LicensePolicy => ({ allow: [], deny: [], unknown: 'warn', ...p });

describe('licences', () => {
  it('deny: a choice that avoids the denied licence passes, a conjunction with it does not', () => {
    const deny = policy({ deny: ['GPL-3.0-only'] });
    assert.equal(judgeLicense('MIT', deny), 'allowed');
    assert.equal(judgeLicense('MIT OR GPL-3.0-only', deny), 'allowed');
    assert.equal(judgeLicense('MIT AND GPL-3.0-only', deny), 'denied');
    assert.equal(judgeLicense('GPL-3.0-only', deny), 'denied');
    assert.equal(judgeLicense('GPL-3.0-only', policy({ deny: ['GPL-2.0+'] })), 'allowed');
  });

  it('allow: only what the list satisfies, ranges included; unknown and invalid are their own findings', () => {
    const allow = policy({ allow: ['MIT', 'ISC', 'Apache-2.0', 'GPL-2.0+'] });
    assert.equal(judgeLicense('(MIT OR BSD-3-Clause)', allow), 'allowed');
    assert.equal(judgeLicense('BSD-3-Clause', allow), 'not-allowed');
    assert.equal(judgeLicense('GPL-3.0-or-later', allow), 'allowed');
    assert.equal(judgeLicense('MIT', policy({ allow: ['MIT'], deny: ['MIT'] })), 'denied');
    assert.equal(judgeLicense(undefined, allow), 'unknown');
    assert.equal(judgeLicense('UNKNOWN', allow), 'unknown');
    assert.equal(judgeLicense('SEE LICENSE IN LICENSE.txt', allow), 'invalid');
    assert.equal(judgeLicense('UNLICENSED', allow), 'invalid');
  });

  it('a report judges each package once, says where its licence came from and blocks as the policy says', () => {
    const lock = 'package-lock.json';
    const base = [dependency('npm', 'left-pad', '1.3.0', lock, { license: 'WTFPL' })];
    const head = [
      ...base,
      dependency('npm', 'gpl-thing', '2.0.0', lock, { license: 'GPL-3.0-only', direct: true }),
      dependency('npm', 'installed-only', '1.0.0', lock),
      dependency('Go', 'golang.org/x/text', 'v0.3.7', 'go.mod'),
    ];
    const installed = (p: { name: string }) => (p.name === 'installed-only' ? 'ISC' : undefined);
    const warn = licenseReport(base, head, policy({ deny: ['GPL-3.0-only'] }), installed);
    assert.deepEqual(
      warn.packages.map((v) => [v.name, v.declared, v.source, v.status, v.addedByChange, v.blocking]),
      [
        ['golang.org/x/text', null, 'none', 'unknown', true, false],
        ['gpl-thing', 'GPL-3.0-only', 'lockfile', 'denied', true, true],
        ['installed-only', 'ISC', 'installed', 'allowed', true, false],
        ['left-pad', 'WTFPL', 'lockfile', 'allowed', false, false],
      ],
    );
    assert.deepEqual([warn.passed, warn.blocking], [false, 1]);
    const fail = licenseReport(base, head, policy({ unknown: 'fail' }), installed);
    assert.deepEqual(
      fail.packages.filter((v) => v.blocking).map((v) => v.name),
      ['golang.org/x/text'],
    );
  });

  it("npm's package-lock records licences, in the string and the old object form", () => {
    const lock = JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { a: '1.0.0', b: '1.0.0', c: '1.0.0' } },
        'node_modules/a': { version: '1.0.0', license: 'MIT' },
        'node_modules/b': { version: '1.0.0', license: { type: 'BSD-2-Clause', url: 'https://example.org' } },
        'node_modules/c': { version: '1.0.0' },
      },
    });
    assert.deepEqual(
      parsePackageLock('package-lock.json', lock).packages.map((p) => [p.name, p.license]),
      [
        ['a', 'MIT'],
        ['b', 'BSD-2-Clause'],
        ['c', undefined],
      ],
    );
  });

  it('METADATA: License-Expression first, else License, from the header only', () => {
    const v24 =
      'Metadata-Version: 2.4\nName: attrs\nVersion: 24.2.0\nLicense-Expression: MIT\nLicense: old\n\nLicense: body\n';
    assert.equal(metadataLicense(v24), 'MIT');
    const v21 = 'Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\nLicense: MIT\nPlatform: Any\n\nBody text\n';
    assert.equal(metadataLicense(v21), 'MIT');
    assert.equal(metadataLicense('Metadata-Version: 2.1\nName: x\n\nLicense: MIT\n'), undefined);
  });
});
