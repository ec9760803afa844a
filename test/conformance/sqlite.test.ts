import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { RECENT_TASKS, SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { MIGRATIONS } from '../../src/adapters/sqlite/migrations.ts';
import { checkChain, GENESIS_HASH } from '../../src/core/ledger.ts';
import { chainCrypto } from '../../src/engine/ledger/keys.ts';
import type { Store } from '../../src/ports/store.ts';
import { draft, makeSigner, seal, taskState, tempDir } from '../helpers/ledger.ts';
import type { RowTable } from '../../src/adapters/shared/rows.ts';
import { runStoreSuite, type RawValue } from './store-suite.ts';

/** Rewrites one row's data as an attacker with the file would: drop the trigger, update, leave. */
function tamperRow(file: string, seq: number): void {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS ledger_no_update');
    const row = db.prepare<[number], { data: string }>('SELECT data FROM ledger WHERE seq = ?').get(seq);
    assert.ok(row, `no ledger row ${seq}`);
    const data = { ...(JSON.parse(row.data) as Record<string, unknown>), note: 'forged' };
    db.prepare('UPDATE ledger SET data = ? WHERE seq = ?').run(JSON.stringify(data), seq);
  } finally {
    db.close();
  }
}

const KEY_COLUMN: Record<RowTable, string> = {
  ledger: 'seq',
  tasks: 'task_id',
  leases: 'task_id',
  keys: 'key_id',
  move_claims: 'task_id',
  outbox: 'key',
};

/** Runs `fn` on a new connection to `file` that may write the schema's text, and closes it. */
function withSchemaWriter(file: string, fn: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    db.unsafeMode(true);
    fn(db);
  } finally {
    db.close();
  }
}

/**
 * Puts `value` into one column of one row as a damaged record or an attacker with the file could: past the
 * ledger's triggers (dropped, as an attacker would), and past the column's declared type and NOT NULL, which would
 * turn a number into text or refuse NULL. The column is declared BLOB (no conversion) for the write and its
 * declaration put back after it, as the schema's text says nothing of the values stored under it.
 */
function writeRaw(file: string, table: RowTable, key: string | number, column: string, value: RawValue): void {
  const keyColumn = KEY_COLUMN[table];
  let declared = '';
  const setTable = (db: Database.Database, sql: string) => {
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?").run(sql, table);
    db.pragma('writable_schema = OFF');
  };
  withSchemaWriter(file, (db) => {
    if (table === 'ledger') db.exec('DROP TRIGGER IF EXISTS ledger_no_update');
    declared = db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
      .pluck()
      .get(table) as string;
    if (column === keyColumn) return;
    const loose = declared.replace(new RegExp(`\\b(${column}) (?:TEXT|INTEGER)(?: NOT NULL)?`), '$1 BLOB');
    assert.notEqual(loose, declared, `no declaration of ${table}.${column} to loosen`);
    setTable(db, loose);
  });
  // A connection opened after the change reads the loosened declaration.
  withSchemaWriter(file, (db) => {
    const changed = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${keyColumn} = ?`).run(value, key).changes;
    assert.equal(changed, 1, `no row ${key} in ${table}`);
  });
  if (column !== keyColumn) withSchemaWriter(file, (db) => setTable(db, declared));
}

runStoreSuite(
  'sqlite',
  async () => {
    const tmp = tempDir('autopilot-sqlite-');
    const file = join(tmp.dir, 'autopilot.db');
    let current: Store = new SqliteStore(file);
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = new SqliteStore(file);
        return current;
      },
      tamper: async (seq) => tamperRow(file, seq),
      writeRaw: async (table, key, column, value) => writeRaw(file, table, key, column, value),
      dispose: async () => {
        await current.close();
        tmp.remove();
      },
    };
  },
  { rawRows: ['text', 'integer', 'real', 'blob', 'null'] },
);

const WORKER = fileURLToPath(new URL('./append-worker.ts', import.meta.url));

function runWorker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('sqlite adapter', () => {
  it('never forks, skips or repeats with several processes appending to one file', { timeout: 60_000 }, async () => {
    const tmp = tempDir('autopilot-procs-');
    try {
      const file = join(tmp.dir, 'autopilot.db');
      const workers = 4;
      const perWorker = 200;
      // The workers open a brand-new file at once (the migration races too), then wait for each other.
      const runs = await Promise.all(
        Array.from({ length: workers }, (_, w) => runWorker([file, String(perWorker), `worker-${w}`, String(workers)])),
      );
      for (const r of runs) assert.equal(r.code, 0, `a worker failed: ${r.stderr}`);
      const reports = runs.map(
        (r) => JSON.parse(r.stdout.trim()) as { keyId: string; publicKeyPem: string; seqs: number[] },
      );

      const store = new SqliteStore(file);
      try {
        const entries = await store.entries();
        const total = workers * perWorker;
        assert.equal(entries.length, total);
        assert.deepEqual(
          entries.map((entry) => entry.seq),
          Array.from({ length: total }, (_, i) => i + 1),
        );
        assert.equal(entries[0]?.prevHash, GENESIS_HASH);
        assert.equal(new Set(entries.map((entry) => entry.hash)).size, total);
        // Each worker got exactly the seqs it reports, and together they cover the chain once.
        const reported = reports.flatMap((r) => r.seqs).sort((a, b) => a - b);
        assert.deepEqual(
          reported,
          entries.map((entry) => entry.seq),
        );
        for (const [w, r] of reports.entries()) {
          assert.equal(r.seqs.length, perWorker);
          assert.equal(entries.filter((entry) => entry.actor === `worker-${w}`).length, perWorker);
        }
        // They interleaved: not one worker's whole run after another's.
        const switches = entries.filter((entry, i) => i > 0 && entry.actor !== entries[i - 1]?.actor).length;
        assert.ok(switches > workers - 1, `the workers never interleaved (${switches} switches)`);
        const keys = await store.keys();
        assert.equal(keys.size, workers);
        for (const r of reports) assert.equal(keys.get(r.keyId), r.publicKeyPem);
        assert.equal(checkChain(entries, null, chainCrypto(keys)), null);
        // The engine's projection was written in the same transactions.
        for (let w = 0; w < workers; w++)
          assert.equal((await store.getTask(`T-${w}`))?.lastSeq, Math.max(...(reports[w]?.seqs ?? [])));
      } finally {
        await store.close();
      }
    } finally {
      tmp.remove();
    }
  });

  it('refuses UPDATE and DELETE on the ledger through plain SQL', async () => {
    const tmp = tempDir('autopilot-triggers-');
    try {
      const file = join(tmp.dir, 'autopilot.db');
      const signer = makeSigner();
      const store = new SqliteStore(file);
      const e1 = seal(signer, null, draft());
      await store.transact((tx) => tx.append(e1));
      await store.close();
      const db = new Database(file);
      try {
        assert.throws(() => db.prepare("UPDATE ledger SET data = '{}' WHERE seq = 1").run(), /append-only/);
        assert.throws(() => db.prepare('UPDATE ledger SET hash = ? WHERE seq = 1').run('f'.repeat(64)), /append-only/);
        assert.throws(() => db.prepare('DELETE FROM ledger WHERE seq = 1').run(), /append-only/);
        assert.throws(() => db.prepare('DELETE FROM ledger').run(), /append-only/);
        // REPLACE deletes the old row without firing the delete trigger: it needs its own.
        const replace = (set: string) =>
          db
            .prepare(
              `INSERT OR REPLACE INTO ledger (seq, prev_hash, hash, ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature)
               SELECT ${set} FROM ledger WHERE seq = 1`,
            )
            .run();
        assert.throws(
          () =>
            replace(
              `seq, prev_hash, hash, ts, task_id, kind, from_phase, to_phase, actor, artifacts, '{"forged":true}', key_id, signature`,
            ),
          /append-only/,
        );
        assert.throws(
          () =>
            replace(
              `2, prev_hash, hash, ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature`,
            ),
          /append-only/,
        );
        assert.throws(
          () =>
            db
              .prepare(
                "INSERT INTO ledger SELECT * FROM ledger WHERE seq = 1 ON CONFLICT (seq) DO UPDATE SET data = '{}'",
              )
              .run(),
          /append-only/,
        );
        assert.equal(db.prepare('SELECT COUNT(*) AS n FROM ledger').pluck().get(), 1);
      } finally {
        db.close();
      }
      const reopened = new SqliteStore(file);
      try {
        assert.deepEqual(await reopened.entries(), [e1]);
      } finally {
        await reopened.close();
      }
    } finally {
      tmp.remove();
    }
  });

  it('migrates once: reopening keeps the schema version and data', async () => {
    const tmp = tempDir('autopilot-migrate-');
    try {
      const file = join(tmp.dir, 'autopilot.db');
      for (let i = 0; i < 3; i++) await new SqliteStore(file).close();
      const db = new Database(file, { readonly: true });
      try {
        assert.deepEqual(
          db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
          MIGRATIONS.map((m) => m.version),
        );
        assert.deepEqual(
          db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all(),
          [
            'ledger_no_delete',
            'ledger_no_replace',
            'ledger_no_update',
            'task_counts_delete',
            'task_counts_insert',
            'task_counts_update',
          ],
        );
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        db.close();
      }
    } finally {
      tmp.remove();
    }
  });

  it('reads the earlier tasks of a move through an index, not by sorting the whole task table', async () => {
    const tmp = tempDir('autopilot-recent-plan-');
    try {
      const file = join(tmp.dir, 'autopilot.db');
      await new SqliteStore(file).close();
      const db = new Database(file, { readonly: true });
      try {
        // The query recentTasks runs: each move of a used repository runs it, over thousands of tasks.
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${RECENT_TASKS}`).all('2026-01-01T00:00:00.000Z', 'T-1', 50) as {
          detail: string;
        }[];
        const details = plan.map((p) => p.detail);
        assert.ok(
          details.some((d) => d.includes('USING INDEX tasks_started')),
          details.join('; '),
        );
        assert.ok(!details.some((d) => d.includes('TEMP B-TREE')), details.join('; '));
      } finally {
        db.close();
      }
    } finally {
      tmp.remove();
    }
  });

  it('fills the task columns of a file made before them from the task states', async () => {
    const tmp = tempDir('autopilot-task-columns-');
    try {
      const file = join(tmp.dir, 'autopilot.db');
      const signer = makeSigner();
      const done = { ...taskState('T-2', '2026-01-01T00:00:02.000Z', signer), status: 'done' as const };
      const active = taskState('T-1', '2026-01-01T00:00:01.000Z', signer);
      const db = new Database(file);
      try {
        db.exec(
          'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
        );
        for (const m of MIGRATIONS.filter((m) => m.version < 6)) {
          db.exec(m.sql);
          db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, 'then');
        }
        const put = db.prepare('INSERT INTO tasks (task_id, started_at, last_seq, state) VALUES (?, ?, ?, ?)');
        for (const t of [active, done]) put.run(t.taskId, t.startedAt, t.lastSeq, JSON.stringify(t));
      } finally {
        db.close();
      }
      const store = new SqliteStore(file);
      try {
        assert.deepEqual(await store.activeTasks(), [active]);
        assert.deepEqual(await store.taskPage({ q: 'OF T-2' }), { tasks: [done], total: 1 });
      } finally {
        await store.close();
      }
    } finally {
      tmp.remove();
    }
  });

  it('reads through a read-only store', async () => {
    const tmp = tempDir('autopilot-ro-');
    try {
      const file = join(tmp.dir, 'autopilot.db');
      const signer = makeSigner();
      const store = new SqliteStore(file);
      const e1 = seal(signer, null, draft());
      await store.transact((tx) => tx.append(e1));
      await store.putKey(signer.keyId, signer.publicKeyPem);
      await store.close();
      const ro = new SqliteStore(file, { readonly: true });
      try {
        assert.deepEqual(await ro.entries(), [e1]);
        assert.deepEqual(await ro.head(), { seq: 1, hash: e1.hash });
        await assert.rejects(
          ro.transact((tx) => tx.append(seal(signer, e1, draft()))),
          /readonly|read-only/i,
        );
      } finally {
        await ro.close();
      }
    } finally {
      tmp.remove();
    }
  });
});
