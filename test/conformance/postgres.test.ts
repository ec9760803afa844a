import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PostgresStore } from '../../src/adapters/postgres/index.ts';
import { MIGRATIONS } from '../../src/adapters/postgres/migrations.ts';
import { SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { checkChain, GENESIS_HASH, type LedgerEntry } from '../../src/core/ledger.ts';
import { AutopilotError, ErrorCode } from '../../src/core/errors.ts';
import { chainCrypto } from '../../src/engine/ledger/keys.ts';
import { leaseOp } from '../../src/engine/task/leases.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { ManualClock } from '../helpers/clock.ts';
import type { Store } from '../../src/ports/store.ts';
import { cryptoFor, draft, gate, makeSigner, seal, tempDir, testEngine } from '../helpers/ledger.ts';
import { startPostgres, type PgServer } from '../helpers/postgres.ts';
import type { RowTable } from '../../src/adapters/shared/rows.ts';
import { runStoreSuite } from './store-suite.ts';

let server: Promise<PgServer> | undefined;
const pgServer = () => (server ??= startPostgres());
after(async () => {
  if (server) await (await server).dispose();
});

const KEY_COLUMN: Record<RowTable, string> = {
  ledger: 'seq',
  tasks: 'task_id',
  leases: 'task_id',
  keys: 'key_id',
  move_claims: 'task_id',
  outbox: 'key',
};

runStoreSuite(
  'postgres',
  async () => {
    const srv = await pgServer();
    // A schema per test: as fresh as a new database, and it also proves that stores in two schemas keep apart.
    const url = await srv.createSchema();
    const store = await PostgresStore.open(url);
    let current: Store = store;
    return {
      store,
      reopen: async () => {
        await current.close();
        current = await PostgresStore.open(url);
        return current;
      },
      // As an attacker with the database password would: switch the trigger off, rewrite the row.
      tamper: async (seq) => {
        await srv.sql(url, 'ALTER TABLE ledger DISABLE TRIGGER ledger_no_update');
        await srv.sql(url, `UPDATE ledger SET data = (data::jsonb || '{"note": "forged"}')::text WHERE seq = $1`, [
          seq,
        ]);
      },
      // As an attacker with the database password would: the ledger's triggers off, and the column turned jsonb
      // (pg hands over a jsonb value as the JavaScript value it holds), so that one row can hold a number, text or
      // NULL where the schema wants text or an integer; the other rows keep their values (as JSON strings and numbers).
      writeRaw: async (table, key, column, value) => {
        const keyColumn = KEY_COLUMN[table];
        if (table === 'ledger') await srv.sql(url, 'ALTER TABLE ledger DISABLE TRIGGER USER');
        let set = '$1';
        let param: unknown = value === null ? null : String(value);
        if (column !== keyColumn) {
          await srv.sql(
            url,
            `ALTER TABLE ${table} ALTER COLUMN ${column} DROP NOT NULL, ALTER COLUMN ${column} TYPE jsonb USING to_jsonb(${column})`,
          );
          set = '$1::jsonb';
          param = value === null ? null : typeof value === 'string' ? JSON.stringify(value) : String(value);
        }
        const r = await srv.sql(url, `UPDATE ${table} SET ${column} = ${set} WHERE ${keyColumn} = $2`, [param, key]);
        assert.equal(r.rowCount, 1, `no row ${key} in ${table}`);
      },
      dispose: () => current.close(),
    };
  },
  // No blob: a bytea column holds blobs in every row (see "reads a column whose type was changed" below).
  { rawRows: ['text', 'integer', 'real', 'null'] },
);

const WORKER = fileURLToPath(new URL('./postgres-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

const isAutopilotError = (code: string, message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof AutopilotError, `expected an AutopilotError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.match(e.message, message);
  return true;
};

/**
 * A TCP proxy in front of the server that can cut the connection around the
 * next COMMIT a client sends: before passing it on, or after the server has
 * answered it (the answer never reaches the client).
 */
async function commitCutter(port: number) {
  let trap: 'before' | 'after' | null = null;
  let fired = 0;
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const server = connect(port, '127.0.0.1');
    sockets.add(client).add(server);
    const cut = () => {
      fired++;
      client.destroy();
      server.destroy();
    };
    let cutOnReply = false;
    let pending = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      // Frontend messages: the untyped startup message, then [type][int32 length][body].
      pending = Buffer.concat([pending, chunk]);
      const out: Buffer[] = [];
      for (;;) {
        const header = started ? 5 : 4;
        if (pending.length < header) break;
        const len = started ? pending.readInt32BE(1) + 1 : pending.readInt32BE(0);
        if (pending.length < len) break;
        const msg = pending.subarray(0, len);
        pending = pending.subarray(len);
        if (started && trap && msg[0] === 0x51 && msg.subarray(5).toString('utf8').replace(/\0$/, '') === 'COMMIT') {
          const mode = trap;
          trap = null;
          if (mode === 'before') return cut();
          cutOnReply = true;
        }
        started = true;
        out.push(msg);
      }
      if (out.length) server.write(Buffer.concat(out));
    });
    server.on('data', (chunk: Buffer) => (cutOnReply ? cut() : client.write(chunk)));
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const address = proxy.address();
  if (!address || typeof address !== 'object') throw new Error('no proxy port');
  return {
    port: address.port,
    arm: (mode: 'before' | 'after') => (trap = mode),
    fired: () => fired,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => r());
      }),
  };
}

describe('postgres adapter', () => {
  const signer = makeSigner();

  it('refuses UPDATE, DELETE, TRUNCATE and rows that do not extend the chain through plain SQL', async () => {
    const srv = await pgServer();
    const url = await srv.createSchema();
    const store = await PostgresStore.open(url);
    try {
      const e1 = seal(signer, null, draft());
      const e2 = seal(signer, e1, draft());
      await store.transact(async (tx) => {
        await tx.append(e1);
        await tx.append(e2);
      });
      const cols =
        'seq, prev_hash, hash, ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature';
      const refused: [string, RegExp][] = [
        ["UPDATE ledger SET data = '{}' WHERE seq = 1", /append-only/],
        ['DELETE FROM ledger WHERE seq = 2', /append-only/],
        ['DELETE FROM ledger', /append-only/],
        ['TRUNCATE ledger', /append-only/],
        [
          `INSERT INTO ledger (${cols}) SELECT ${cols} FROM ledger WHERE seq = 1 ON CONFLICT (seq) DO UPDATE SET data = '{}'`,
          /append-only|does not extend/,
        ],
        // A row on top of the head, but pointing elsewhere; a gap; a replay of seq 1 under a new hash.
        [
          `INSERT INTO ledger (${cols}) SELECT 3, prev_hash, md5(hash), ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature FROM ledger WHERE seq = 2`,
          /does not extend/,
        ],
        [
          `INSERT INTO ledger (${cols}) SELECT 4, hash, md5(hash), ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature FROM ledger WHERE seq = 2`,
          /does not extend/,
        ],
        [
          `INSERT INTO ledger (${cols}) SELECT 1, prev_hash, md5(hash), ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature FROM ledger WHERE seq = 1`,
          /does not extend/,
        ],
      ];
      for (const [sql, message] of refused) await assert.rejects(srv.sql(url, sql), message, sql);
      assert.deepEqual(await store.entries(), [e1, e2]);
      // The right row still goes in.
      const e3 = seal(signer, e2, draft());
      await store.transact((tx) => tx.append(e3));
      assert.deepEqual(await store.head(), { seq: 3, hash: e3.hash });
    } finally {
      await store.close();
    }
  });

  it('names a corrupt row where a column was retyped under the data: blobs, timestamps, numbers past 2^53', async () => {
    const srv = await pgServer();
    const url = await srv.createSchema();
    const store = await PostgresStore.open(url);
    try {
      const e1 = seal(signer, null, draft());
      await store.transact(async (tx) => {
        await tx.append(e1);
        await tx.putLease({
          taskId: 'T-1',
          phase: 'SPEC',
          holder: 'agent-a',
          token: 1,
          acquiredAt: new Date(0).toISOString(),
          expiresAt: new Date(60_000).toISOString(),
        });
      });
      await store.putKey(signer.keyId, signer.publicKeyPem);
      const named = (table: string, row: unknown, column: string, says: RegExp) => (e: unknown) => {
        assert.ok(e instanceof AutopilotError, `expected an AutopilotError, got ${String(e)}`);
        assert.equal(e.code, ErrorCode.LEDGER_TAMPERED);
        assert.deepEqual([e.details['table'], e.details['row'], e.details['column']], [table, row, column]);
        assert.match(e.message, says);
        return true;
      };
      // The same bytes, as bytea: pg hands over a Buffer, which a signature check would still read as the key.
      await srv.sql(url, "ALTER TABLE keys ALTER COLUMN public_key TYPE bytea USING convert_to(public_key, 'UTF8')");
      await assert.rejects(store.keys(), named('keys', signer.keyId, 'public_key', /is a blob, not text/));
      // The same instant, as timestamptz: pg hands over a Date.
      await srv.sql(url, 'ALTER TABLE leases ALTER COLUMN expires_at TYPE timestamptz USING expires_at::timestamptz');
      await assert.rejects(store.getLease('T-1'), named('leases', 'T-1', 'expires_at', /is a timestamp, not text/));
      // A token past 2^53 in its BIGINT column: cast to a number, it would silently become another token.
      await srv.sql(url, "UPDATE leases SET token = 9007199254740993, expires_at = now() WHERE task_id = 'T-1'");
      await srv.sql(url, 'ALTER TABLE leases ALTER COLUMN expires_at TYPE text');
      await assert.rejects(
        store.getLease('T-1'),
        named('leases', 'T-1', 'token', /is 9007199254740993, past the integers/),
      );
      // The ledger's columns untouched, its entries still read.
      assert.deepEqual(await store.entries(), [e1]);
    } finally {
      await store.close();
    }
  });

  it('migrates once under the lock, however many processes open a new database at once', async () => {
    const srv = await pgServer();
    const url = await srv.createDatabase();
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresStore.open(url)));
    await Promise.all(stores.map((s) => s.close()));
    const rows = await srv.sql(url, 'SELECT version, name FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      rows.rows.map((r: { version: number; name: string }) => [r.version, r.name]),
      MIGRATIONS.map((m) => [m.version, m.name]),
    );
    const again = PostgresStore.connect(url);
    try {
      assert.deepEqual(await again.migrate(), { applied: [], versions: MIGRATIONS.map((m) => m.version) });
    } finally {
      await again.close();
    }
    // A schema from a newer Autopilot is refused rather than written to.
    await srv.sql(url, "INSERT INTO schema_migrations (version, name) VALUES (9999, 'from the future')");
    await assert.rejects(
      PostgresStore.open(url),
      isAutopilotError(ErrorCode.CONFIG_INVALID, /newer than this Autopilot knows/),
    );
    // Without migrate, a store that is behind says what to run.
    await assert.rejects(
      PostgresStore.open(await srv.createSchema(), { migrate: false }),
      isAutopilotError(ErrorCode.CONFIG_INVALID, /run autopilot store migrate/),
    );
  });

  it(
    'never forks, skips or repeats, and lets one lease holder work at a time, with several processes at once',
    { timeout: 120_000 },
    async () => {
      const srv = await pgServer();
      const url = await srv.createSchema();
      const store = await PostgresStore.open(url);
      try {
        const starter = makeSigner();
        await store.putKey(starter.keyId, starter.publicKeyPem);
        await store.transact((tx) =>
          append(
            testEngine(store, starter),
            tx,
            draft({ taskId: 'T-shared', kind: 'task_started', toPhase: 'STRATEGIZE', data: { title: 'shared' } }),
          ),
        );
        const workers = 4;
        const rounds = 3;
        const ttl = 1;
        const runs = await Promise.all(
          Array.from({ length: workers }, (_, w) =>
            runWorker([
              url,
              `worker-${w}`,
              String(workers + 1),
              String(rounds),
              String(ttl),
              w === 0 ? 'stall' : 'follow',
            ]),
          ),
        );
        for (const r of runs) assert.equal(r.code, 0, `a worker failed: ${r.stderr}`);
        const reports = runs.map(
          (r) =>
            JSON.parse(r.stdout.trim()) as {
              keyId: string;
              own: number;
              held: number;
              worked: number;
              contended: number;
              stale: string | null;
            },
        );

        const entries = await store.entries();
        assert.deepEqual(
          entries.map((entry) => entry.seq),
          Array.from({ length: entries.length }, (_, i) => i + 1),
          'a gap or a repeat in seq',
        );
        assert.equal(entries[0]?.prevHash, GENESIS_HASH);
        assert.equal(new Set(entries.map((entry) => entry.hash)).size, entries.length);
        const keys = await store.keys();
        assert.equal(keys.size, workers + 1);
        assert.equal(checkChain(entries, null, chainCrypto(keys)), null);
        assert.deepEqual(await store.head(), { seq: entries.length, hash: entries.at(-1)!.hash });
        for (const [w, r] of reports.entries()) {
          assert.equal(r.own, 1 + rounds * 3);
          assert.equal(entries.filter((entry) => entry.taskId === `T-worker-${w}`).length, r.own);
          assert.equal(r.held, rounds);
          assert.equal(r.worked, rounds * 3);
        }
        assert.ok(
          reports.some((r) => r.contended > 0),
          'the workers never contended for the lease',
        );

        // Walk the ledger in its one order: every unit of work on the shared task was done
        // by the holder of the newest token, and tokens only grow when the lease changes hands.
        let current: { holder: string; token: number } | null = null;
        let maxToken = 0;
        let work = 0;
        let takeoverFromStalled = false;
        for (const e of entries.filter((x) => x.taskId === 'T-shared')) {
          const d = e.data as {
            change?: string;
            holder?: string;
            token?: number;
            step?: number;
            previousHolder?: string;
            code?: string;
          };
          if (e.kind === 'lease') {
            if (d.change === 'acquired' || d.change === 'takeover') {
              assert.ok(
                current === null || d.change === 'takeover',
                `seq ${e.seq}: acquired while ${current?.holder} held the lease`,
              );
              assert.ok(d.token! > maxToken, `seq ${e.seq}: token ${d.token} does not grow past ${maxToken}`);
              maxToken = d.token!;
              if (d.change === 'takeover' && d.previousHolder === 'worker-0') takeoverFromStalled = true;
              current = { holder: d.holder!, token: d.token! };
            } else if (d.change === 'reclaimed') {
              assert.equal(d.token, maxToken);
              current = { holder: d.holder!, token: d.token! };
            } else if (d.change === 'released') {
              assert.deepEqual(
                { holder: d.holder, token: d.token },
                current,
                `seq ${e.seq}: released by someone who did not hold it`,
              );
              current = null;
            }
          } else if (e.kind === 'evidence') {
            work++;
            assert.ok(current, `seq ${e.seq}: work with nobody holding the lease`);
            assert.deepEqual(
              { holder: d.holder, token: d.token },
              current,
              `seq ${e.seq}: work by ${d.holder} with token ${d.token} while ${current.holder} held token ${current.token}`,
            );
            assert.equal(e.actor, d.holder);
          }
        }
        assert.equal(
          work,
          reports.reduce((n, r) => n + r.worked, 0),
        );
        // The stalled holder woke up after another had taken over: its old token was fenced off, and that refusal is in the ledger.
        assert.ok(takeoverFromStalled, 'nobody took the lease over from the stalled holder');
        assert.equal(reports[0]?.stale, ErrorCode.LEASE_FENCED);
        assert.ok(
          entries.some(
            (entry) =>
              entry.kind === 'violation' && entry.actor === 'worker-0' && entry.data['code'] === ErrorCode.LEASE_FENCED,
          ),
        );
      } finally {
        await store.close();
      }
    },
  );

  it("decides lease expiry by the database's clock, not the host's", async () => {
    const srv = await pgServer();
    const store = await PostgresStore.open(await srv.createSchema());
    const tmp = tempDir('autopilot-skew-');
    const sqlite = new SqliteStore(`${tmp.dir}/autopilot.db`);
    try {
      const start = (s: Store) =>
        s.transact((tx) => append(testEngine(s, signer), tx, draft({ kind: 'task_started', toPhase: 'STRATEGIZE' })));
      await start(store);
      await start(sqlite);
      // This host's clock is 74 years fast.
      const ahead = (s: Store) => testEngine(s, signer, new ManualClock(Date.UTC(2100, 0, 1)));
      const a = await leaseOp(ahead(store), { id: 'A' }, 'acquire', { taskId: 'T-1', ttlSeconds: 60 });
      assert.ok(a.ok, JSON.stringify(a));
      const dbNow = (await srv.sql('postgres', 'SELECT clock_timestamp() AS now')).rows[0].now as Date;
      const expires = Date.parse(a.value.lease.expiresAt);
      assert.ok(
        Math.abs(expires - (dbNow.getTime() + 60_000)) < 30_000,
        `expiry ${a.value.lease.expiresAt} is not the database's now + 60 s`,
      );
      // By this host's clock A's lease ran out long ago; by the database's it is live.
      const b = await leaseOp(ahead(store), { id: 'B' }, 'acquire', { taskId: 'T-1', ttlSeconds: 60 });
      assert.equal(b.ok, false);
      assert.equal(!b.ok && b.error.code, ErrorCode.LEASE_HELD);

      // A host 26 years slow sees an expired lease as expired: the database says so.
      await store.transact((tx) =>
        tx.putLease({ ...a.value.lease, expiresAt: new Date(dbNow.getTime() - 1000).toISOString() }),
      );
      const behind = testEngine(store, signer, new ManualClock(Date.UTC(2000, 0, 1)));
      const c = await leaseOp(behind, { id: 'C' }, 'acquire', { taskId: 'T-1', ttlSeconds: 60 });
      assert.ok(c.ok, JSON.stringify(c));
      assert.equal(c.value.change, 'takeover');
      assert.equal(c.value.lease.token, a.value.lease.token + 1);

      // The same steps on the single-machine store follow the engine's clock: the difference is the store's.
      const sa = await leaseOp(testEngine(sqlite, signer), { id: 'A' }, 'acquire', { taskId: 'T-1', ttlSeconds: 60 });
      assert.ok(sa.ok);
      const sb = await leaseOp(ahead(sqlite), { id: 'B' }, 'acquire', { taskId: 'T-1', ttlSeconds: 60 });
      assert.ok(sb.ok && sb.value.change === 'takeover');
    } finally {
      await store.close();
      await sqlite.close();
      tmp.remove();
    }
  });

  it('recovers reads across a server restart, and reports writes the outage stopped', { timeout: 90_000 }, async () => {
    const srv = await pgServer();
    const url = await srv.createSchema();
    const store = await PostgresStore.open(url, { attempts: 40, backoffMs: 50, maxBackoffMs: 400 });
    try {
      const e1 = seal(signer, null, draft({ data: { n: 1 } }));
      const e2 = seal(signer, e1, draft({ data: { n: 2 } }));
      await store.transact((tx) => tx.append(e1));
      await store.transact((tx) => tx.append(e2));
      assert.equal((await store.entries()).length, 2);

      // A transaction open when the server restarts: its connection is cut before the commit, and it says nothing was recorded.
      const inside = gate();
      const resume = gate();
      const e3 = seal(signer, e2, draft({ data: { n: 3 } }));
      const running = store.transact(async (tx) => {
        await tx.append(e3);
        inside.open();
        await resume.promise;
        await tx.putTask({ ...(await tx.getTask('T-1'))!, lastSeq: 3 });
      });
      await inside.promise;
      await srv.restart();
      resume.open();
      await assert.rejects(
        running,
        isAutopilotError(ErrorCode.INTERNAL, /before the commit.*nothing of this step was recorded/),
      );

      // Reads recover on their own: the pooled connections the restart cut are replaced.
      assert.deepEqual(await store.entries(), [e1, e2]);

      // A read made while the server is down waits for it, within its bounded retries.
      await srv.stop();
      const reading = store.entries();
      await sleep(300);
      await srv.start();
      assert.deepEqual(await reading, [e1, e2]);

      // A write while the server stays down is reported as not recorded, and is not replayed later.
      await srv.stop();
      const impatient = PostgresStore.connect(url, { attempts: 3, backoffMs: 20 });
      try {
        await assert.rejects(
          impatient.transact((tx) => tx.append(e3)),
          isAutopilotError(ErrorCode.INTERNAL, /cannot be reached.*nothing was recorded/),
        );
      } finally {
        await impatient.close();
      }
      await srv.start();
      assert.deepEqual(await store.entries(), [e1, e2]);
      await store.transact((tx) => tx.append(e3));
      assert.deepEqual(await store.entries(), [e1, e2, e3]);
      assert.equal(checkChain(await store.entries(), null, cryptoFor(signer)), null);
    } finally {
      await store.close();
    }
  });

  it('ends a transaction left idle too long, so that a frozen process cannot hold the write lock', async () => {
    const srv = await pgServer();
    const url = await srv.createSchema();
    const frozen = await PostgresStore.open(url, { idleInTransactionMs: 300 });
    const other = await PostgresStore.open(url);
    try {
      const e1 = seal(signer, null, draft({ actor: 'frozen' }));
      const inside = gate();
      const wake = gate();
      const stuck = frozen.transact(async (tx) => {
        await tx.append(e1);
        inside.open();
        await wake.promise;
        await tx.getTask('T-1');
      });
      await inside.promise;
      // The other store gets the lock once the server has ended the idle session.
      const e1b = seal(signer, null, draft({ actor: 'other' }));
      await other.transact((tx) => tx.append(e1b));
      wake.open();
      await assert.rejects(stuck, isAutopilotError(ErrorCode.INTERNAL, /nothing of this step was recorded/));
      assert.deepEqual(await other.entries(), [e1b]);
    } finally {
      await frozen.close();
      await other.close();
    }
  });

  it('reports a commit it cannot confirm, and never retries it', async () => {
    const srv = await pgServer();
    const url = await srv.createSchema();
    const proxy = await commitCutter(srv.port);
    const viaProxy = url.replace(`:${srv.port}/`, `:${proxy.port}/`);
    const store = await PostgresStore.open(viaProxy);
    const direct = await PostgresStore.open(url);
    try {
      const e1 = seal(signer, null, draft({ data: { n: 1 } }));
      await store.transact((tx) => tx.append(e1));
      const unconfirmed = isAutopilotError(
        ErrorCode.INTERNAL,
        /the write may or may not have been recorded; run autopilot ledger verify/,
      );

      // The server gets the COMMIT and commits; the answer is lost on the way back.
      const e2 = seal(signer, e1, draft({ data: { n: 2 } }));
      proxy.arm('after');
      let thrown: unknown;
      await store.transact((tx) => tx.append(e2)).catch((e: unknown) => (thrown = e));
      assert.equal(proxy.fired(), 1);
      assert.ok(unconfirmed(thrown));
      assert.deepEqual((thrown as AutopilotError).details['entries'], [{ seq: 2, hash: e2.hash }]);
      // It was recorded, exactly once: the store did not try again.
      assert.deepEqual(await direct.entries(), [e1, e2]);

      // The COMMIT never reaches the server: same report, and indeed nothing was recorded.
      const e3 = seal(signer, e2, draft({ data: { n: 3 } }));
      proxy.arm('before');
      await assert.rejects(
        store.transact((tx) => tx.append(e3)),
        unconfirmed,
      );
      assert.equal(proxy.fired(), 2);
      assert.deepEqual(await direct.entries(), [e1, e2]);

      // The store goes on working through new connections.
      await store.transact((tx) => tx.append(e3));
      assert.deepEqual(await direct.entries(), [e1, e2, e3] as LedgerEntry[]);
    } finally {
      await store.close();
      await direct.close();
      await proxy.close();
    }
  });
});
