/** @module `verify.impactedFirst`: the config's shape, and the argv the impacted test files make of it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/core/config.ts';
import { ErrorCode } from '../../src/core/errors.ts';
import { configDigest } from '../../src/engine/repo/config-digest.ts';
import { impactedArgv } from '../../src/engine/evidence/producers/verify.ts';

describe('verify.impactedFirst', () => {
  it('replaces {files} with the files and {packages} with their folders, in place', () => {
    const files = ['pkg/a/a_test.go', 'pkg/a/b_test.go', 'main_test.go', 'pkg/c/c_test.go'];
    assert.deepEqual(impactedArgv(['go', 'test', '{packages}'], files), ['go', 'test', '.', './pkg/a', './pkg/c']);
    assert.deepEqual(impactedArgv(['npx', 'vitest', 'run', '{files}', '--bail=1'], ['t/x.test.ts', 't/y.test.ts']), [
      'npx',
      'vitest',
      'run',
      't/x.test.ts',
      't/y.test.ts',
      '--bail=1',
    ]);
    // Only an argument that is exactly the placeholder: a file named in a flag stays as written.
    assert.deepEqual(impactedArgv(['pytest', '--junit={files}', '{files}'], ['tests/test_a.py']), [
      'pytest',
      '--junit={files}',
      'tests/test_a.py',
    ]);
  });

  it('is refused without a placeholder, naming the key and what to give', () => {
    const r = parseConfig({ verify: { impactedFirst: { run: ['npx', 'vitest', 'run'] } } });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, ErrorCode.CONFIG_INVALID);
    assert.match(r.error.message, /verify\.impactedFirst\.run.*\{files\} or \{packages\}/);
  });

  it("takes the command defaults, is absent unless given, and is part of the config's digest", () => {
    const r = parseConfig({ verify: { impactedFirst: { run: ['pytest', '{files}'] } } });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.deepEqual(r.value.verify.impactedFirst, {
      run: ['pytest', '{files}'],
      timeoutSeconds: 600,
      env: [],
      network: false,
    });
    const plain = parseConfig({});
    assert.ok(plain.ok);
    if (!plain.ok) return;
    assert.equal(plain.value.verify.impactedFirst, undefined);
    assert.notEqual(configDigest(r.value), configDigest(plain.value));
  });
});
