/** @module The quality graph's arithmetic: terms, TF-IDF weights, cosine ranking, and the hints' place outside the contract. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, digestedConfig, parseConfig, similarTaskPhases } from '../../src/core/config.ts';
import {
  cosine,
  inverseFrequencies,
  pathTerms,
  rankSimilar,
  termCounts,
  vectorOf,
  wordTerms,
} from '../../src/core/similar.ts';

describe('similar tasks: terms', () => {
  it('splits identifiers, drops short and common words and the ones it is told to ignore', () => {
    assert.deepEqual(wordTerms('The rateLimiter and max_attempts for LOGIN', new Set(['login'])), [
      'rate',
      'limiter',
      'max',
      'attempts',
    ]);
  });

  it('makes a term of a path and of every folder above it', () => {
    assert.deepEqual(pathTerms('./src/auth/login.ts'), ['file:src/auth/login.ts', 'dir:src', 'dir:src/auth']);
  });

  it('weighs a shared file above a shared word, and counts the title twice', () => {
    const counts = termCounts({ title: 'throttle', texts: ['throttle requests'], files: ['a/b.ts'] });
    assert.equal(counts.get('throttle'), 3);
    assert.equal(counts.get('requests'), 1);
    assert.equal(counts.get('file:a/b.ts'), 3);
    assert.equal(counts.get('dir:a'), 1);
  });
});

describe('similar tasks: ranking', () => {
  const doc = (title: string, files: string[] = []) => termCounts({ title, texts: [], files });
  const corpus = [
    { item: 'csv', counts: doc('export report spreadsheet columns') },
    { item: 'login', counts: doc('rate limit login attempts', ['src/auth/login.ts']) },
    { item: 'login-copy', counts: doc('rate limit login attempts', ['src/auth/login.ts']) },
  ];

  it('ranks by cosine of TF-IDF vectors, ties in corpus order, and leaves out what is under the least score', () => {
    const ranked = rankSimilar(doc('rate limit password reset attempts', ['src/auth/reset.ts']), corpus, 5, 0.05);
    assert.deepEqual(
      ranked.map((r) => r.item),
      ['login', 'login-copy'],
    );
    assert.equal(ranked[0]?.score, ranked[1]?.score);
    assert.ok(ranked[0]!.score > 0 && ranked[0]!.score < 1);
    assert.ok(ranked[0]!.shared.includes('attempts'));
    assert.ok(ranked[0]!.shared.includes('dir:src/auth'));
    assert.deepEqual(rankSimilar(doc('kubernetes helm upgrade'), corpus, 5, 0.05), []);
    assert.deepEqual(rankSimilar(doc('rate limit'), [], 5, 0), []);
    assert.equal(rankSimilar(doc('rate limit login'), corpus, 1, 0).length, 1);
  });

  it('scores a document against itself as 1, and a document with nothing in common as 0', () => {
    const counts = [doc('alpha beta gamma'), doc('delta epsilon')];
    const idf = inverseFrequencies(counts);
    const a = vectorOf(counts[0]!, idf, 2);
    const b = vectorOf(counts[1]!, idf, 2);
    assert.ok(Math.abs(cosine(a, a).score - 1) < 1e-12);
    assert.equal(cosine(a, b).score, 0);
    assert.equal(vectorOf(new Map(), idf, 2).size, 0);
  });
});

describe('similar tasks: config', () => {
  it('hears hints in STRATEGIZE and THINK by default, or in the phases the config names', () => {
    assert.deepEqual(similarTaskPhases(defaultConfig()), ['STRATEGIZE', 'THINK']);
    const r = parseConfig({ similarTasks: { phases: ['SPEC'], limit: 5 } });
    assert.ok(r.ok);
    assert.deepEqual(similarTaskPhases(r.value), ['SPEC']);
  });

  it('keeps the hints out of the digested contract', () => {
    const r = parseConfig({ similarTasks: { phases: ['SPEC'], minScore: 0.3 } });
    assert.ok(r.ok);
    assert.deepEqual(digestedConfig(r.value), digestedConfig(defaultConfig()));
  });

  it('refuses an unknown phase or a score out of range, naming the key', () => {
    const bad = parseConfig({ similarTasks: { phases: ['NOPE'] } });
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.details['key'], 'similarTasks.phases.0');
    assert.equal(parseConfig({ similarTasks: { minScore: 2 } }).ok, false);
  });
});
