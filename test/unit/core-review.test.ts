/** @module Unit: core/review.ts reads who worked IMPLEMENT and who wrote the rubric from ledger entries alone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import {
  DEFAULT_REVIEW,
  implementersOf,
  judgeReview,
  reviewRules,
  rubricDimensions,
  rubricText,
} from '../../src/core/review.ts';
import { defaultConfig, parseConfig, RUBRIC_DIMENSIONS } from '../../src/core/config.ts';

const PATH = 'evidence/T-1/review/review_rubric.json';
let seq = 0;
function entry(over: Partial<LedgerEntry>): LedgerEntry {
  seq += 1;
  return {
    seq,
    prevHash: '',
    ts: '2026-12-07T00:00:00Z',
    keyId: 'k',
    hash: '',
    signature: '',
    taskId: 'T-1',
    kind: 'evidence',
    fromPhase: null,
    toPhase: null,
    actor: 'cli:someone',
    artifacts: [],
    data: {},
    ...over,
  };
}
const rubric = (holder: string, role?: string, sha = 'a'.repeat(64)) =>
  entry({
    fromPhase: 'REVIEW',
    artifacts: [{ path: PATH, sha256: sha, producer: 'agent' }],
    data: { name: 'review_rubric.json', holder, ...(role ? { role } : {}) },
  });

describe('REVIEW is not self-review (core)', () => {
  const history = [
    entry({ kind: 'transition', fromPhase: 'THINK', toPhase: 'IMPLEMENT', data: { holder: 'agent-a' } }),
    entry({ kind: 'lease', fromPhase: 'IMPLEMENT', data: { change: 'taken', holder: 'agent-c' } }),
    entry({ kind: 'transition', fromPhase: 'IMPLEMENT', toPhase: 'VERIFY', actor: 'mcp:x:1' }),
    // A person sending the work back into IMPLEMENT did not implement it.
    entry({ kind: 'backtrack', fromPhase: 'VERIFY', toPhase: 'IMPLEMENT', data: { holder: 'person:ann' } }),
    entry({ kind: 'transition', fromPhase: 'VERIFY', toPhase: 'REVIEW', data: { holder: 'agent-z' } }),
  ];

  it('the hands of IMPLEMENT: moves into and out of it, its leases; the actor when an entry names no holder', () => {
    assert.deepEqual(implementersOf(history, DEFAULT_REVIEW, Number.MAX_SAFE_INTEGER), [
      'agent-a',
      'agent-c',
      'mcp:x:1',
    ]);
    assert.deepEqual(implementersOf(history, DEFAULT_REVIEW, history[1]!.seq), ['agent-a']);
  });

  it('judges the rubric: self-review, a missing role, a changed file, a missing entry; passes a reviewer', () => {
    const hands = implementersOf(history, DEFAULT_REVIEW, Number.MAX_SAFE_INTEGER);
    const sha = 'a'.repeat(64);
    assert.equal(judgeReview(DEFAULT_REVIEW, rubric('agent-c', 'reviewer'), PATH, sha, hands)?.rule, 'self-review');
    assert.equal(judgeReview(DEFAULT_REVIEW, rubric('agent-b'), PATH, sha, hands)?.rule, 'review-role');
    assert.equal(
      judgeReview(DEFAULT_REVIEW, rubric('agent-b', 'reviewer'), PATH, 'b'.repeat(64), hands)?.rule,
      'review-writer',
    );
    assert.equal(judgeReview(DEFAULT_REVIEW, undefined, PATH, sha, hands)?.rule, 'review-writer');
    assert.equal(judgeReview(DEFAULT_REVIEW, rubric('reviewer-1', 'reviewer'), PATH, sha, hands), null);
    // review.by: agent takes no person's rubric; either takes both.
    const agentOnly = { ...DEFAULT_REVIEW, by: 'agent' as const };
    assert.equal(judgeReview(agentOnly, rubric('person:ann', 'person'), PATH, sha, hands)?.rule, 'review-role');
    assert.equal(judgeReview(DEFAULT_REVIEW, rubric('person:ann', 'person'), PATH, sha, hands), null);
    // review.by: person takes a person's rubric only: a reviewer session's is the wrong role.
    const personOnly = { ...DEFAULT_REVIEW, by: 'person' as const };
    assert.equal(judgeReview(personOnly, rubric('person:ann', 'person'), PATH, sha, hands), null);
    const byReviewer = judgeReview(personOnly, rubric('reviewer-1', 'reviewer'), PATH, sha, hands);
    assert.equal(byReviewer?.rule, 'review-role');
    assert.match(byReviewer!.problem, /as a reviewer; review\.by is person: it must come from a person/);
    assert.match(byReviewer!.fix, /have a person review the task in the dashboard/);
  });

  it("a person's rubric: the dimensions its rule asks for, and the same JSON shape as the agent's", () => {
    const rule = defaultConfig().evidence['REVIEW']!.find((r) => r.name === 'review_rubric.json');
    assert.deepEqual(rubricDimensions(rule), [
      'readability',
      'maintainability',
      'performance',
      'security',
      'governance',
    ]);
    const custom = { schema: { properties: { dimensions: { required: ['clarity', 'safety'] } } } };
    assert.deepEqual(rubricDimensions(custom), ['clarity', 'safety']);
    assert.deepEqual(rubricDimensions({ schema: { properties: { dimensions: { required: [] } } } }), RUBRIC_DIMENSIONS);
    const text = rubricText({ clarity: { pass: true, notes: 'names say what they hold' } });
    assert.equal(
      text,
      '{\n  "dimensions": {\n    "clarity": {\n      "pass": true,\n      "notes": "names say what they hold"\n    }\n  }\n}\n',
    );
  });

  it('the rule of a config: defaults when left out, none in a process without REVIEW, keys checked at load', () => {
    assert.deepEqual(reviewRules(defaultConfig()), DEFAULT_REVIEW);
    const custom = parseConfig({ phases: ['PLAN', 'BUILD', 'CHECK'] });
    assert.ok(custom.ok);
    assert.equal(reviewRules(custom.value), null);
    const named = parseConfig({
      phases: ['PLAN', 'BUILD', 'CHECK'],
      review: { by: 'agent', phase: 'CHECK', of: 'BUILD' },
    });
    assert.ok(named.ok);
    assert.deepEqual(reviewRules(named.value), {
      by: 'agent',
      phase: 'CHECK',
      artifact: 'review_rubric.json',
      of: 'BUILD',
    });
    // A person may be the only reviewer: the dashboard takes their rubric.
    const people = parseConfig({ review: { by: 'person' } });
    assert.ok(people.ok, people.ok ? '' : people.error.message);
    assert.equal(reviewRules(people.value)?.by, 'person');
    const backwards = parseConfig({ phases: ['PLAN', 'BUILD', 'CHECK'], review: { phase: 'BUILD', of: 'CHECK' } });
    assert.ok(!backwards.ok);
    assert.equal(backwards.error.details['key'], 'review.of');
    // Left out, the section adds nothing to the config a task adopts (its digest stays as before).
    assert.equal('review' in defaultConfig(), false);
  });
});
