import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { chainCrypto, keyIdOf, signatureBytes } from '../../src/engine/ledger/keys.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';

describe('signature texts', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyId = keyIdOf(publicKey);
  const crypto = chainCrypto(new Map([[keyId, publicKey.export({ type: 'spki', format: 'pem' }).toString()]]));
  const hash = sha256Hex('an entry');
  const good = sign(null, Buffer.from(hash, 'hex'), privateKey).toString('base64');

  it('reads exactly the standard, padded base64 of the bytes', () => {
    assert.equal(signatureBytes(good)?.length, 64);
    assert.ok(crypto.verify(keyId, hash, good));
  });

  it('refuses a text that a lenient decoder would read as the same bytes', () => {
    assert.ok(good.endsWith('=='));
    for (const bad of [
      `${good.slice(0, -2)}*=`,
      `${good.slice(0, -1)}\uFFFD`,
      `${good.slice(0, -2)}`,
      ` ${good}`,
      `${good}\n`,
      good.replace(/\+|\//, (c) => (c === '+' ? '-' : '_')),
    ]) {
      if (bad === good) continue;
      assert.equal(signatureBytes(bad), null, JSON.stringify(bad));
      assert.equal(crypto.verify(keyId, hash, bad), false, JSON.stringify(bad));
    }
  });

  it('refuses what is no text at all, as a damaged store row can hold', () => {
    for (const bad of [null, 110, undefined, '']) {
      assert.equal(signatureBytes(bad as unknown as string), null);
      assert.equal(crypto.verify(keyId, hash, bad as unknown as string), false);
    }
  });
});
