import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/adapters/memory/index.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import { Mutex } from '../../src/adapters/shared/store.ts';
import { runStoreSuite } from './store-suite.ts';

runStoreSuite(
  'memory',
  async () => {
    const entries: LedgerEntry[] = [];
    const store = new MemoryStore(entries);
    return {
      store,
      // Replaces the stored entry as an attacker with access to the store's memory would.
      tamper: async (seq) => {
        const i = entries.findIndex((entry) => entry.seq === seq);
        const e = entries[i];
        if (e) entries[i] = { ...e, data: { ...e.data, note: 'forged' } };
      },
    };
  },
  { persistent: false },
);

describe('memory adapter', () => {
  it('Mutex runs critical sections one at a time, in call order, past failures', async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    let inside = 0;
    const section = (name: string, fail = false) =>
      mutex.run(async () => {
        inside++;
        assert.equal(inside, 1, 'two sections overlapped');
        log.push(`${name}:in`);
        await new Promise((r) => setImmediate(r));
        log.push(`${name}:out`);
        inside--;
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([section('a'), section('b', true), section('c')]);
    assert.deepEqual(log, ['a:in', 'a:out', 'b:in', 'b:out', 'c:in', 'c:out']);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });
});
