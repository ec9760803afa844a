import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import canonicalize from 'canonicalize';
import {
  canonicalPayload,
  checkChain,
  chainProblemAt,
  GENESIS_HASH,
  payloadFromParts,
  payloadPartsOf,
  sealPayload,
  withPayloadParts,
  type LedgerEntry,
} from '../../src/core/ledger.ts';
import { chain, cryptoFor, draft, makeSigner } from '../helpers/ledger.ts';

const signer = makeSigner();
const crypto = cryptoFor(signer);

const base = {
  seq: 7,
  prevHash: GENESIS_HASH,
  ts: '2026-01-01T00:00:00.000Z',
  taskId: 'T-1' as string | null,
  kind: 'transition' as const,
  fromPhase: 'SPEC' as string | null,
  toPhase: null as string | null,
  actor: 'mcp:ü "quoted" \u2028',
  artifacts: [{ path: 'evidence/T-1/spec/spec.md', sha256: 'ab', producer: 'agent' as const }],
  data: { z: [1, 0.5, 1e21, -0], a: { y: null, x: 'é\n"' }, skipped: undefined, '10': 1, '9': 2 },
  keyId: 'k1',
};

/** Parts as a store that keeps canonical texts holds them. */
const canonicalParts = (e: Pick<LedgerEntry, 'artifacts' | 'data'>) => ({
  artifacts: canonicalize(e.artifacts)!,
  data: canonicalize(e.data)!,
});

/** An entry as the SQLite store reads it back: values parsed from the texts, the texts attached. */
function asRead(entry: LedgerEntry, parts: { artifacts: string; data: string }): LedgerEntry {
  return withPayloadParts(
    {
      ...entry,
      artifacts: JSON.parse(parts.artifacts) as LedgerEntry['artifacts'],
      data: JSON.parse(parts.data) as LedgerEntry['data'],
    },
    parts,
  );
}

describe('payload parts', () => {
  it('rebuild exactly the canonical payload from canonical texts', () => {
    const variants = [
      base,
      { ...base, taskId: null, fromPhase: null, toPhase: 'PLAN' },
      { ...base, artifacts: [], data: {} },
      { ...base, seq: 123456789 },
    ];
    for (const v of variants) assert.equal(payloadFromParts(v, canonicalParts(v)), canonicalPayload(v));
  });

  it('seal the canonical payload, and give the texts to keep', () => {
    const sealed = sealPayload(base);
    assert.equal(sealed.text, canonicalPayload(base));
    assert.deepEqual(sealed.parts, canonicalParts(base));
  });

  it('leave to canonicalize what it alone decides: a lone surrogate, an undefined field, a non-finite seq', () => {
    assert.equal(payloadFromParts({ ...base, actor: 'a\ud800' }, canonicalParts(base)), undefined);
    assert.throws(() => sealPayload({ ...base, actor: 'a\ud800' }));
    assert.equal(payloadFromParts({ ...base, toPhase: undefined as unknown as null }, canonicalParts(base)), undefined);
    assert.equal(
      sealPayload({ ...base, toPhase: undefined as unknown as null }).text,
      canonicalPayload({ ...base, toPhase: undefined as unknown as null }),
    );
    assert.equal(payloadFromParts({ ...base, seq: Number.NaN }, canonicalParts(base)), undefined);
  });

  it('do not travel with a copy', () => {
    const e = withPayloadParts({ ...base, hash: 'h', signature: 's' }, canonicalParts(base));
    assert.ok(payloadPartsOf(e));
    assert.equal(payloadPartsOf({ ...e }), undefined);
    assert.equal(payloadPartsOf(structuredClone(e)), undefined);
    assert.equal(JSON.stringify(e), JSON.stringify({ ...base, hash: 'h', signature: 's' }));
  });
});

describe('checkChain over entries with texts attached', () => {
  const good = chain(signer, 6, (i) =>
    draft({ data: { i, b: { y: 1, x: [i] } }, artifacts: [{ path: `p${i}`, sha256: 'ab', producer: 'agent' }] }),
  );

  it('passes canonical texts, and older non-canonical texts through the canonical form', () => {
    assert.equal(
      checkChain(
        good.map((entry) => asRead(entry, canonicalParts(entry))),
        null,
        crypto,
      ),
      null,
    );
    // JSON.stringify keeps insertion order: not canonical, still the same values.
    assert.equal(
      checkChain(
        good.map((entry) =>
          asRead(entry, { artifacts: JSON.stringify(entry.artifacts), data: JSON.stringify(entry.data) }),
        ),
        null,
        crypto,
      ),
      null,
    );
  });

  it('finds an edited value whatever the texts say', () => {
    const edited = good.map((entry) => asRead(entry, canonicalParts(entry)));
    const forgedData = canonicalize({ ...good[3]!.data, forged: true })!;
    edited[3] = asRead(good[3]!, { artifacts: canonicalParts(good[3]!).artifacts, data: forgedData });
    assert.deepEqual(checkChain(edited, null, crypto), { seq: 4, reason: 'hash does not match the entry content' });
    assert.equal(chainProblemAt(edited, null, crypto)?.index, 3);
  });

  it('cannot be fooled by a value moved from one text to the other with the bytes unchanged', () => {
    // data carries a key named like the field after artifacts, so the same bytes split in a second place.
    const [e] = chain(signer, 1, () => draft({ data: { a: 1, data: 2 } }));
    const { artifacts, data } = canonicalParts(e!);
    const shifted = { artifacts: `${artifacts},"data":{"a":1`, data: '2}' };
    assert.equal(payloadFromParts(e!, shifted), payloadFromParts(e!, { artifacts, data }));
    // The texts no longer parse on their own: no store reads such a row back as an entry, so the split is never hashed.
    assert.throws(() => JSON.parse(shifted.artifacts));
    assert.throws(() => JSON.parse(shifted.data));
  });

  it('reports the index of the entry with the problem', () => {
    const gap = [...good.slice(0, 2), ...good.slice(3)];
    assert.deepEqual(chainProblemAt(gap, null, crypto), {
      index: 2,
      seq: 4,
      reason: 'sequence gap: expected 3, found 4',
    });
    assert.deepEqual(checkChain(gap, null, crypto), { seq: 4, reason: 'sequence gap: expected 3, found 4' });
  });
});
