/** Unit: counts with their nouns, and clauses continued without a doubled period. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clause, plural } from '../../src/core/phrasing.ts';

describe('plural', () => {
  it('is singular for exactly 1 and plural otherwise, 0 included', () => {
    assert.equal(plural(1, 'task'), '1 task');
    assert.equal(plural(0, 'task'), '0 tasks');
    assert.equal(plural(2, 'ledger entry'), '2 ledger entries');
    assert.equal(plural(1, 'ledger entry'), '1 ledger entry');
    assert.equal(plural(3, 'match'), '3 matches');
    assert.equal(plural(3, 'key'), '3 keys');
    assert.equal(plural(2, 'person', 'people'), '2 people');
  });
});

describe('clause', () => {
  it('drops the closing period and trailing space, and nothing else', () => {
    assert.equal(clause('Add a section.'), 'Add a section');
    assert.equal(clause('done. \n'), 'done');
    assert.equal(clause('see evidence/T-1/spec.md'), 'see evidence/T-1/spec.md');
    assert.equal(`${clause('a person asked for tests.')}. Backtrack`, 'a person asked for tests. Backtrack');
  });
});
