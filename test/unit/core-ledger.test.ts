import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalPayload, checkChain, GENESIS_HASH, type LedgerEntry } from '../../src/core/ledger.ts';
import { chainCrypto } from '../../src/engine/ledger/keys.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';
import { chain, cryptoFor, draft, makeSigner, reseal } from '../helpers/ledger.ts';

const signer = makeSigner();
const crypto = cryptoFor(signer);

const unsigned = {
  seq: 1,
  prevHash: GENESIS_HASH,
  ts: '2026-01-01T00:00:00.000Z',
  taskId: 'T-1',
  kind: 'evidence' as const,
  fromPhase: null,
  toPhase: 'SPEC',
  actor: 'cli:ü',
  artifacts: [{ path: 'p', sha256: 'ab', producer: 'agent' as const }],
  data: { b: 1e21, a: [1.0, -0, 0.1, 'é\n\u2028"'], c: { z: true, y: null, skipped: undefined } },
  keyId: 'k1',
};

const GOLDEN =
  '{"actor":"cli:ü","artifacts":[{"path":"p","producer":"agent","sha256":"ab"}],' +
  '"data":{"a":[1,0,0.1,"é\\n\u2028\\""],"b":1e+21,"c":{"y":null,"z":true}},' +
  `"fromPhase":null,"keyId":"k1","kind":"evidence","prevHash":"${GENESIS_HASH}","seq":1,"taskId":"T-1","toPhase":"SPEC","ts":"2026-01-01T00:00:00.000Z"}`;

/** The same object with its keys inserted in reverse order, all the way down. */
function reversedKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(reversedKeys) as T;
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reversedKeys(x)]),
    ) as T;
  return v;
}

describe('canonicalPayload (RFC 8785)', () => {
  it('writes sorted keys, no blanks, ES number forms and minimal string escapes', () => {
    assert.equal(canonicalPayload(unsigned), GOLDEN);
  });

  it('does not depend on key order', () => {
    const shuffled = reversedKeys(unsigned);
    assert.notDeepEqual(Object.keys(shuffled), Object.keys(unsigned));
    assert.equal(canonicalPayload(shuffled), canonicalPayload(unsigned));
  });

  it('sorts keys by UTF-16 code units (the RFC 8785 example)', () => {
    const data = {
      '\u20ac': 'Euro',
      '\r': 'CR',
      '\ufb33': 'Dalet',
      '1': 'One',
      '\ud83d\ude00': 'Emoji',
      '\u0080': 'Control',
      '\u00f6': 'o',
    };
    const text = canonicalPayload({ ...unsigned, data });
    assert.ok(
      text.includes(
        '"data":{"\\r":"CR","1":"One","\u0080":"Control","\u00f6":"o","\u20ac":"Euro","\ud83d\ude00":"Emoji","\ufb33":"Dalet"}',
      ),
      text,
    );
  });

  it('leaves hash, signature and unknown fields out, and is stable across calls', () => {
    const sealed = { ...unsigned, hash: 'h', signature: 's', extra: 1 };
    assert.equal(canonicalPayload(sealed), GOLDEN);
    assert.equal(canonicalPayload(unsigned), canonicalPayload(structuredClone(unsigned)));
    assert.equal(sha256Hex(canonicalPayload(unsigned)), sha256Hex(GOLDEN));
  });

  it('changes with every hashed field', () => {
    const changes: Partial<typeof unsigned>[] = [
      { seq: 2 },
      { prevHash: 'f'.repeat(64) },
      { ts: '2026-01-01T00:00:00.001Z' },
      { taskId: 'T-2' },
      { fromPhase: 'SPEC' as unknown as null },
      { toPhase: 'PLAN' },
      { actor: 'cli:u' },
      { artifacts: [] },
      { data: { ...unsigned.data, b: 1 } },
      { keyId: 'k2' },
    ];
    for (const c of changes) assert.notEqual(canonicalPayload({ ...unsigned, ...c }), GOLDEN, JSON.stringify(c));
  });
});

describe('checkChain', () => {
  const good = chain(signer, 6, (i) => draft({ taskId: i % 2 ? 'T-1' : 'T-2', data: { i } }));
  const at = (i: number) => good[i] as LedgerEntry;

  it('accepts a good chain, a tail checked against its predecessor, and nothing', () => {
    assert.equal(checkChain(good, null, crypto), null);
    assert.equal(checkChain(good.slice(3), { seq: 3, hash: at(2).hash }, crypto), null);
    assert.equal(checkChain([], null, crypto), null);
  });

  it('starts at seq 1 on the genesis hash', () => {
    assert.equal(at(0).prevHash, GENESIS_HASH);
    assert.deepEqual(checkChain(good.slice(1), null, crypto), { seq: 2, reason: 'sequence gap: expected 1, found 2' });
    const forged = reseal(signer, { ...at(0), prevHash: 'f'.repeat(64) });
    assert.deepEqual(checkChain([forged], null, crypto), {
      seq: 1,
      reason: 'prevHash does not match the previous entry hash',
    });
    assert.equal(checkChain(good.slice(3), { seq: 3, hash: at(1).hash }, crypto)?.seq, 4);
  });

  it('names an entry whose field was modified', () => {
    const edits: Partial<LedgerEntry>[] = [
      { data: { i: 99 } },
      { actor: 'cli:mallory' },
      { ts: '2030-01-01T00:00:00.000Z' },
      { taskId: 'T-9' },
      { kind: 'approval' },
    ];
    for (const edit of edits) {
      const tampered = good.map((entry, i) => (i === 2 ? { ...entry, ...edit } : entry));
      assert.deepEqual(
        checkChain(tampered, null, crypto),
        { seq: 3, reason: 'hash does not match the entry content' },
        JSON.stringify(edit),
      );
    }
  });

  it('names a modified entry whose hash was recomputed but not re-signed', () => {
    const e = at(2);
    const edited = { ...e, data: { i: 99 } };
    const rehashed = { ...edited, hash: sha256Hex(canonicalPayload(edited)) };
    const tampered = good.map((x, i) => (i === 2 ? rehashed : x));
    const problem = checkChain(tampered, null, crypto);
    assert.equal(problem?.seq, 3);
    assert.match(problem?.reason ?? '', /signature does not verify/);
    // Without signatures the rehash passes this entry and the next one's link fails.
    assert.deepEqual(checkChain(tampered, null, crypto, false), {
      seq: 4,
      reason: 'prevHash does not match the previous entry hash',
    });
  });

  it('names a reordered pair', () => {
    const swapped = [at(0), at(2), at(1), ...good.slice(3)];
    assert.deepEqual(checkChain(swapped, null, crypto), { seq: 3, reason: 'sequence gap: expected 2, found 3' });
    // Renumbered to hide the swap, the links no longer hold.
    const renumbered = [at(0), { ...at(2), seq: 2 }, { ...at(1), seq: 3 }, ...good.slice(3)];
    assert.deepEqual(checkChain(renumbered, null, crypto), {
      seq: 2,
      reason: 'prevHash does not match the previous entry hash',
    });
  });

  it('names the entry after a deleted one, and a replayed one', () => {
    assert.deepEqual(checkChain([...good.slice(0, 2), ...good.slice(3)], null, crypto), {
      seq: 4,
      reason: 'sequence gap: expected 3, found 4',
    });
    assert.deepEqual(checkChain([...good.slice(0, 3), at(2), ...good.slice(3)], null, crypto), {
      seq: 3,
      reason: 'sequence gap: expected 4, found 3',
    });
  });

  it('names a bad signature', () => {
    const badSigs = [at(1).signature, 'AAAA', '', Buffer.from('x'.repeat(64)).toString('base64')];
    for (const signature of badSigs) {
      const tampered = good.map((entry, i) => (i === 3 ? { ...entry, signature } : entry));
      assert.deepEqual(checkChain(tampered, null, crypto), {
        seq: 4,
        reason: `signature does not verify with key ${signer.keyId}`,
      });
    }
  });

  it('names an entry signed by an unknown key, even when its hashes hold', () => {
    const mallory = makeSigner();
    // A forger re-seals the whole tail with its own key: every link and hash holds.
    const forged: LedgerEntry[] = good.slice(0, 2);
    for (const e of good.slice(2))
      forged.push(reseal(mallory, { ...e, prevHash: forged.at(-1)!.hash, data: { i: 'forged' } }));
    assert.deepEqual(checkChain(forged, null, crypto), {
      seq: 3,
      reason: `signature does not verify with key ${mallory.keyId}`,
    });
    assert.equal(checkChain(forged, null, crypto, false), null);
    assert.equal(checkChain(forged, null, cryptoFor(signer, mallory)), null);
    // A key filed under another key's id is no key.
    const misfiled = chainCrypto(
      new Map([
        [mallory.keyId, signer.publicKeyPem],
        [signer.keyId, signer.publicKeyPem],
      ]),
    );
    assert.equal(checkChain(forged, null, misfiled)?.seq, 3);
    assert.equal(
      chainCrypto(new Map([[signer.keyId, 'not a pem']])).verify(signer.keyId, at(0).hash, at(0).signature),
      false,
    );
  });
});
