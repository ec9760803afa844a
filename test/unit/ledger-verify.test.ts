import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { MemoryStore } from '../../src/adapters/memory/index.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { verifyLedger } from '../../src/engine/ledger/verify.ts';
import { firstBadSignature, type SignatureBatch, type WorkerMessage } from '../../src/engine/ledger/verify-worker.ts';
import type { Store } from '../../src/ports/store.ts';
import { cryptoFor, draft, makeSigner, tempDir, testEngine } from '../helpers/ledger.ts';

const signer = makeSigner();
const other = makeSigner();
const ENTRIES = 1200;

/** A ledger of `ENTRIES` entries over a few tasks, appended as the engine appends. */
async function fill(store: Store): Promise<void> {
  const e = testEngine(store, signer);
  await store.putKey(signer.keyId, signer.publicKeyPem);
  await store.transact(async (tx) => {
    for (let t = 0; t < 4; t++)
      await append(
        e,
        tx,
        draft({ taskId: `T-${t}`, kind: 'task_started', toPhase: 'STRATEGIZE', data: { title: `task ${t}` } }),
      );
    for (let i = 4; i < ENTRIES; i++)
      await append(e, tx, draft({ taskId: `T-${i % 4}`, data: { i, note: { b: i, a: [i] } } }));
  });
}

/** Rewrites a row as an attacker with the file would: drop the trigger, update, leave. */
function rewrite(file: string, seq: number, set: { data?: string; signature?: string }): void {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS ledger_no_update');
    if (set.data !== undefined) db.prepare('UPDATE ledger SET data = ? WHERE seq = ?').run(set.data, seq);
    if (set.signature !== undefined)
      db.prepare('UPDATE ledger SET signature = ? WHERE seq = ?').run(set.signature, seq);
  } finally {
    db.close();
  }
}

/** A signature that is valid, but by another key and over another hash: what a forger without the key can offer. */
const forged = other.sign('f'.repeat(64));

describe('verifyLedger', () => {
  const tmp = tempDir('autopilot-verify-');
  const file = join(tmp.dir, 'autopilot.db');
  let dataOf: (seq: number) => string;

  before(async () => {
    const store = new SqliteStore(file);
    await fill(store);
    const rows = new Map((await store.entries()).map((entry) => [entry.seq, JSON.stringify(entry.data)]));
    dataOf = (seq) => rows.get(seq)!;
    await store.close();
  });
  after(() => tmp.remove());

  /** Both reports of a fresh copy of the ledger after `tamper`: with worker threads, and on this thread alone. */
  async function reports(name: string, tamper: (file: string) => void) {
    const copy = join(tmp.dir, `${name}.db`);
    const src = new Database(file, { readonly: true });
    await src.backup(copy);
    src.close();
    tamper(copy);
    const store = new SqliteStore(copy);
    try {
      const e = testEngine(store, signer);
      return [
        await verifyLedger(e, { evidence: false, workers: 2 }),
        await verifyLedger(e, { evidence: false, workers: 0 }),
      ] as const;
    } finally {
      await store.close();
    }
  }

  it('passes a sound ledger, with and without workers', async () => {
    const [withWorkers, alone] = await reports('sound', () => {});
    assert.equal(withWorkers.ok, true, withWorkers.problems[0]?.reason);
    assert.deepEqual(withWorkers, alone);
    assert.equal(withWorkers.entries, ENTRIES);
    assert.equal(withWorkers.tasks, 4);
  });

  it('names the first bad entry in ledger order, a signature before a later broken hash', async () => {
    const [withWorkers, alone] = await reports('sig-then-hash', (f) => {
      rewrite(f, 1000, { data: '{"forged":true}' });
      rewrite(f, 700, { signature: forged });
    });
    assert.deepEqual(withWorkers, alone);
    assert.deepEqual(withWorkers.problems, [
      { kind: 'chain', seq: 700, reason: `signature does not verify with key ${signer.keyId}` },
    ]);
    assert.equal(withWorkers.entries, 699);
  });

  it('names a broken hash before a later bad signature, and the hash first within one entry', async () => {
    const [withWorkers, alone] = await reports('hash-then-sig', (f) => {
      rewrite(f, 600, { data: '{"forged":true}', signature: forged });
      rewrite(f, 601, { signature: forged });
    });
    assert.deepEqual(withWorkers, alone);
    assert.deepEqual(withWorkers.problems, [
      { kind: 'chain', seq: 600, reason: 'hash does not match the entry content' },
    ]);
    assert.equal(withWorkers.entries, 599);
  });

  it('accepts a row whose texts are rewritten non-canonically with the same values', async () => {
    const [withWorkers] = await reports('reordered', (f) => {
      const data = JSON.parse(dataOf(300)) as Record<string, unknown>;
      rewrite(f, 300, { data: JSON.stringify(Object.fromEntries(Object.entries(data).reverse())) });
    });
    assert.equal(withWorkers.ok, true, withWorkers.problems[0]?.reason);
  });

  it('agrees on the memory store, which keeps no texts', async () => {
    const store = new MemoryStore();
    await fill(store);
    const e = testEngine(store, signer);
    const [withWorkers, alone] = [
      await verifyLedger(e, { evidence: false, workers: 2 }),
      await verifyLedger(e, { evidence: false, workers: 0 }),
    ];
    assert.equal(withWorkers.ok, true, withWorkers.problems[0]?.reason);
    assert.deepEqual(withWorkers, alone);
  });
});

describe('the signature worker', () => {
  it('answers ready, then the index of the first bad signature of each batch', { timeout: 120_000 }, async () => {
    const hashes = ['a', 'b', 'c'].map((c) => c.repeat(64));
    const batch: SignatureBatch = {
      id: 7,
      keyIds: hashes.map(() => signer.keyId),
      hashes,
      signatures: [signer.sign(hashes[0]!), forged, signer.sign(hashes[2]!)],
    };
    assert.equal(firstBadSignature(cryptoFor(signer), batch), 1);
    // From the sources the worker registers tsx itself, as verifyLedger starts it.
    const api = import.meta.resolve('tsx/esm/api');
    const url = new URL('../../src/engine/ledger/verify-worker.ts', import.meta.url).href;
    const worker = new Worker(
      `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`,
      {
        eval: true,
        workerData: { verifyLedgerKeys: [[signer.keyId, signer.publicKeyPem]] },
      },
    );
    try {
      const messages: WorkerMessage[] = [];
      await new Promise<void>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (m: WorkerMessage) => {
          messages.push(m);
          if ('ready' in m) worker.postMessage(batch);
          else resolve();
        });
      });
      assert.deepEqual(messages, [{ ready: true }, { id: 7, bad: 1 }]);
    } finally {
      await worker.terminate();
    }
  });
});
