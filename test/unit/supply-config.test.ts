/**
 * Unit: the `supplyChain` config key. Bad input is refused with the exact key and changes nothing; without the key
 * the config (and so its digest) is what it was and VERIFY's contract names no supply-chain file; with it, VERIFY's
 * contract gains the SBOM, the dependency diff and the vulnerabilities, which must say checked and passed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config.ts';

function refusedKey(raw: unknown): string {
  const r = parseConfig(raw);
  assert.equal(r.ok, false);
  if (r.ok) return '';
  assert.equal(r.error.code, 'CONFIG_INVALID');
  return String(r.error.details['key']);
}

describe('supplyChain in the config', () => {
  it('refuses a bad threshold, a missing path, an acceptance without reason or with a date that does not exist', () => {
    assert.equal(refusedKey({ supplyChain: { osv: 'osv', failOn: 'severe' } }), 'supplyChain.failOn');
    assert.equal(refusedKey({ supplyChain: { failOn: 'high' } }), 'supplyChain.osv');
    assert.equal(
      refusedKey({
        supplyChain: { osv: 'osv', accept: [{ id: 'CVE-2019-10744', reason: '', expires: '2027-01-31' }] },
      }),
      'supplyChain.accept.0.reason',
    );
    assert.equal(
      refusedKey({
        supplyChain: { osv: 'osv', accept: [{ id: 'CVE-2019-10744', reason: 'build only', expires: '2027-02-30' }] },
      }),
      'supplyChain.accept.0.expires',
    );
    assert.equal(
      refusedKey({
        supplyChain: { osv: 'osv', accept: [{ id: 'CVE-2019-10744', reason: 'build only', expires: 'next year' }] },
      }),
      'supplyChain.accept.0.expires',
    );
    assert.equal(refusedKey({ supplyChain: { osv: 'osv', ignore: true } }), 'supplyChain.ignore');
  });

  it('absent: no key is filled in and VERIFY names no supply-chain file', () => {
    const r = parseConfig({});
    assert.ok(r.ok);
    assert.equal('supplyChain' in r.value, false);
    assert.deepEqual(
      r.value.evidence['VERIFY']!.map((a) => a.name),
      ['verify_run.json', 'build_output.log', 'test_results.json', 'coverage_report.json'],
    );
  });

  it('present: failOn defaults to high, and VERIFY requires the three files with vulnerabilities checked and passed', () => {
    const r = parseConfig({ supplyChain: { osv: 'advisories/npm.zip' } });
    assert.ok(r.ok);
    assert.deepEqual(r.value.supplyChain, { osv: 'advisories/npm.zip', failOn: 'high', accept: [] });
    const verify = r.value.evidence['VERIFY']!;
    assert.deepEqual(
      verify.slice(4).map((a) => [a.name, a.producer]),
      [
        ['sbom.cdx.json', 'autopilot'],
        ['dependency_diff.json', 'autopilot'],
        ['vulnerabilities.json', 'autopilot'],
      ],
    );
    assert.deepEqual(
      verify[6]!.assert.map((a) => [a.path, a.value]),
      [
        ['status', 'checked'],
        ['passed', true],
      ],
    );
  });

  it('licenses: SPDX ids only, checked at load; with them VERIFY also requires licenses.json with passed true', () => {
    assert.equal(
      refusedKey({ supplyChain: { osv: 'osv', licenses: { allow: ['MIT', 'Apache 2'] } } }),
      'supplyChain.licenses.allow.1',
    );
    assert.equal(
      refusedKey({ supplyChain: { osv: 'osv', licenses: { deny: ['MIT OR GPL-3.0-only'] } } }),
      'supplyChain.licenses.deny.0',
    );
    assert.equal(
      refusedKey({ supplyChain: { osv: 'osv', licenses: { unknown: 'ignore' } } }),
      'supplyChain.licenses.unknown',
    );
    const r = parseConfig({ supplyChain: { osv: 'osv', licenses: { deny: ['GPL-3.0-only', 'AGPL-3.0+'] } } });
    assert.ok(r.ok);
    assert.deepEqual(r.value.supplyChain?.licenses, {
      allow: [],
      deny: ['GPL-3.0-only', 'AGPL-3.0+'],
      unknown: 'warn',
    });
    const licenses = r.value.evidence['VERIFY']!.find((a) => a.name === 'licenses.json');
    assert.deepEqual(
      licenses?.assert.map((a) => [a.path, a.value]),
      [['passed', true]],
    );
  });
});
