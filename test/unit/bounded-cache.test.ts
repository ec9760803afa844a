/** @module The bounded cache that memos pure work: it keeps the latest entries by use and drops the oldest. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedCache } from '../../src/core/bounded-cache.ts';

describe('BoundedCache', () => {
  it('drops the least recently used entry first, a read counting as a use', () => {
    const c = new BoundedCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    assert.equal(c.get('a'), 1);
    c.set('c', 3);
    assert.equal(c.get('b'), undefined, 'b was used least recently');
    assert.equal(c.get('a'), 1);
    assert.equal(c.get('c'), 3);
    assert.equal(c.size, 2);
    assert.equal(c.set('a', 4), 4, 'set returns the value it keeps');
    assert.equal(c.get('a'), 4);
  });
});
