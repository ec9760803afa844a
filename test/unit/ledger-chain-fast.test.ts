import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { openChainReader } from '../../src/adapters/sqlite/chain-reader.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { verifyLedger } from '../../src/engine/ledger/verify.ts';
import { checkRows } from '../../src/engine/ledger/chain-worker.ts';
import { GENESIS_HASH } from '../../src/core/ledger.ts';
import { ErrorCode } from '../../src/core/errors.ts';
import type { ChainRow } from '../../src/ports/store.ts';
import { draft, makeSigner, tempDir, testEngine } from '../helpers/ledger.ts';

const signer = makeSigner();
const ENTRIES = 400;

describe('the chain check over raw rows', () => {
  const tmp = tempDir('autopilot-chain-');
  const file = join(tmp.dir, 'autopilot.db');

  before(async () => {
    const store = new SqliteStore(file);
    const e = testEngine(store, signer);
    await store.putKey(signer.keyId, signer.publicKeyPem);
    await store.transact(async (tx) => {
      for (let i = 0; i < ENTRIES; i++)
        await append(
          e,
          tx,
          draft({
            taskId: i % 5 === 0 ? null : `T-${i % 3}`,
            actor: i === 7 ? 'cli:"quoted" \\ ünï 😀 \u2028' : 'cli:test',
            data:
              i === 99
                ? { a: 1, data: { b: 2 } }
                : { i, text: i === 9 ? 'tab\there, new\nline, bell\u0007, emoji 😀' : 'x', nested: { b: 1, a: [i] } },
          }),
        );
    });
    await store.close();
  });
  after(() => tmp.remove());

  /** A copy of the ledger after `tamper` (with the triggers dropped, as an attacker with the file would). */
  function copyOf(name: string, tamper: (db: Database.Database) => void): string {
    const copy = join(tmp.dir, `${name}.db`);
    const db = new Database(file);
    db.exec(`VACUUM INTO '${copy}'`);
    db.close();
    const c = new Database(copy);
    c.exec('DROP TRIGGER IF EXISTS ledger_no_update');
    tamper(c);
    c.close();
    return copy;
  }

  async function verify(at: string, opts: Parameters<typeof verifyLedger>[1]) {
    const store = new SqliteStore(at);
    try {
      return await verifyLedger(testEngine(store, signer), { evidence: false, history: false, ...opts });
    } finally {
      await store.close();
    }
  }

  it('reads every row of a sound ledger as the text that was hashed, quotes, escapes and emoji included', async () => {
    const reader = await openChainReader({ file });
    try {
      const rows = await reader.rows(1, ENTRIES);
      assert.equal(rows.length, ENTRIES);
      const r = checkRows(rows, 1, ENTRIES, null);
      assert.equal(r.sound, true);
      assert.ok(r.sound && r.first === GENESIS_HASH && r.keyIds.length === 1);
      assert.equal(rows[ENTRIES - 1]![2], r.sound ? r.last : '');
    } finally {
      await reader.close();
    }
  });

  it('vouches for no range that has a gap, a broken link, a wrong hash or a column of the wrong type', () => {
    const row = (seq: number, prev: string, payload: string | null): ChainRow => {
      const hash = payload === null ? 'f'.repeat(64) : sha256(payload);
      return [seq, prev, hash, payload, 'k', 's'];
    };
    const a = row(1, GENESIS_HASH, '{"a":1}');
    const b = row(2, a[2], '{"b":2}');
    assert.equal(checkRows([a, b], 1, 2, null).sound, true);
    assert.equal(checkRows([a], 1, 2, null).sound, false, 'a row missing');
    assert.equal(checkRows([a, row(3, a[2], '{"b":2}')], 1, 2, null).sound, false, 'a gap in seq');
    assert.equal(checkRows([a, row(2, 'e'.repeat(64), '{"b":2}')], 1, 2, null).sound, false, 'a broken link');
    assert.equal(checkRows([a, [2, a[2], b[2], '{"b":3}', 'k', 's']], 1, 2, null).sound, false, 'a wrong hash');
    assert.equal(checkRows([a, row(2, a[2], null)], 1, 2, null).sound, false, 'no text');
    assert.equal(checkRows([a, b], 1, 2, () => false).sound, false, 'a bad signature');
  });

  it('names a broken link at a range boundary, in ledger order, with workers and without', async () => {
    const at = copyOf('link', (db) => {
      db.prepare('UPDATE ledger SET prev_hash = ? WHERE seq = 201').run('a'.repeat(64));
      db.prepare('UPDATE ledger SET data = \'{"forged":true}\' WHERE seq = 350').run();
    });
    for (const workers of [2, 0]) {
      const report = await verify(at, { chainOnly: true, signatures: false, workers, range: 50 });
      assert.deepEqual(report.problems, [
        { kind: 'chain', seq: 201, reason: 'prevHash does not match the previous entry hash' },
      ]);
      assert.equal(report.entries, 200);
    }
    const full = await verify(at, { workers: 2, range: 50 });
    assert.equal(full.problems[0]?.seq, 201);
  });

  it('does not vouch for texts moved between the JSON columns, which keep the hashed bytes but not the entry', async () => {
    const at = copyOf('split', (db) => {
      // The same bytes once concatenated (artifacts + ',"data":' + data), split at the "data" key inside the data.
      const row = db.prepare('SELECT artifacts, data FROM ledger WHERE seq = 100').get() as Record<string, string>;
      const sep = ',"data":';
      const at = row['data']!.indexOf(sep);
      const artifacts = `${row['artifacts']}${sep}${row['data']!.slice(0, at)}`;
      const data = row['data']!.slice(at + sep.length);
      assert.equal(`${artifacts}${sep}${data}`, `${row['artifacts']}${sep}${row['data']}`);
      db.prepare('UPDATE ledger SET artifacts = ?, data = ? WHERE seq = 100').run(artifacts, data);
    });
    const reader = await openChainReader({ file: at });
    try {
      const [row] = await reader.rows(100, 100);
      assert.equal(row![3], null, 'a JSON column that is no JSON list or object gives no text');
    } finally {
      await reader.close();
    }
    await assert.rejects(
      verify(at, { chainOnly: true, signatures: false, workers: 0 }),
      (err: Error & { code?: string }) => err.code === ErrorCode.LEDGER_TAMPERED,
    );
  });

  it('passes the sound ledger chain-only and in full, with the same count either way', async () => {
    const chain = await verify(file, { chainOnly: true, workers: 2, range: 64 });
    const full = await verify(file, { workers: 0 });
    assert.equal(chain.ok, true, chain.problems[0]?.reason);
    assert.equal(full.ok, true, full.problems[0]?.reason);
    assert.equal(chain.entries, ENTRIES);
    assert.equal(full.entries, ENTRIES);
    assert.deepEqual(chain.keys, [signer.keyId]);
    assert.equal(chain.tasks, 0, 'chain only leaves the refold out');
    assert.equal(full.tasks, 3);
  });
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
