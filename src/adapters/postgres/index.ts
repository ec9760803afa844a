/**
 * @module The team store on PostgreSQL (pg). Writers in every process on every
 * host are serialised by a transaction-scoped advisory lock taken before the
 * head is read; reads retry a lost connection with bounded backoff; a commit
 * that cannot be confirmed is reported as such and never retried.
 */
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import type { ChainHead, LedgerEntry } from '../../core/ledger.ts';
import type { TaskState, TaskStatus } from '../../core/task.ts';
import type { Lease } from '../../core/lease.ts';
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { OutboxRow } from '../../core/outbox.ts';
import type { EntryQuery, OutboxQuery, Store, StoreTx, TaskPage, TaskQuery } from '../../ports/store.ts';
import { matchesOutbox, missingOutboxRow, OUTBOX_COLUMNS, outboxValues } from '../shared/outbox.ts';
import { Mutex, checkExtends, redactUrl } from '../shared/store.ts';
import { pageTasks } from '../shared/tasks.ts';
import { ENTRY_SELECT, rowDecoder } from '../shared/rows.ts';
import { MIGRATIONS } from './migrations.ts';

/** The two keys of the advisory locks; the second part is the schema, so that stores in different schemas do not wait for each other. */
const LOCK_CLASS = { write: 1095782484, migrate: 1095782485 } as const;
const lockSql = (fn: string, cls: number) => `SELECT ${fn}(${cls}, hashtext(COALESCE(current_schema(), '')))`;

const UNCONFIRMED = 'the write may or may not have been recorded; run autopilot ledger verify';

export interface PostgresOptions {
  /** Apply pending migrations when opening (default true); with false, opening only checks the schema version. */
  readonly migrate?: boolean;
  /** Connections in the pool (default 4): one for the write transaction, the rest for reads. */
  readonly maxConnections?: number;
  /** How long to wait for a connection, milliseconds (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Reads, and connecting at the start of a transaction, retry a lost connection this many times in all (default 8). */
  readonly attempts?: number;
  /** First backoff, milliseconds, doubling up to `maxBackoffMs` (defaults 100 and 2000). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * The server ends a session left idle inside a transaction this long, milliseconds (default 60000),
   * so that a frozen process cannot hold the write lock of the whole team.
   */
  readonly idleInTransactionMs?: number;
}

export interface MigrationReport {
  /** Versions this call applied. */
  readonly applied: number[];
  /** Every version the schema now has. */
  readonly versions: number[];
}

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT',
]);

/** True for failures of the connection itself (as opposed to errors the server reports about a statement). */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_ERRNOS.has(code)) return true;
    // 08: connection exception; 57P01-03: the server shutting down, crashed, or starting; 53300: too many connections.
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300')
      return true;
  }
  return /connection terminated|connection error|not queryable|timeout exceeded when trying to connect|connection ended|terminating connection/i.test(
    err.message,
  );
}

/** pg hands over BIGINT columns as decimal text, to keep their whole range; INTEGER columns as numbers. */
const rows = rowDecoder({ integersAsText: true });

const toHead = (r: { seq: unknown; hash: unknown } | undefined): ChainHead | null =>
  r ? rows.head(r.seq, r.hash) : null;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const SQL = {
  head: 'SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1',
  getTask: 'SELECT task_id, state FROM tasks WHERE task_id = $1',
  getLease: 'SELECT * FROM leases WHERE task_id = $1',
  insert: `INSERT INTO ledger (seq, prev_hash, hash, ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
  putTask: `INSERT INTO tasks (task_id, started_at, last_seq, state, status, title, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (task_id) DO UPDATE SET last_seq = excluded.last_seq, state = excluded.state,
              status = excluded.status, title = excluded.title, updated_at = excluded.updated_at`,
  putLease: `INSERT INTO leases (task_id, phase, holder, token, acquired_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (task_id) DO UPDATE SET phase = excluded.phase, holder = excluded.holder, token = excluded.token,
               acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
  getClaim: 'SELECT * FROM move_claims WHERE task_id = $1',
  putClaim: `INSERT INTO move_claims (task_id, token, holder, action, phase, host, pid, taken_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (task_id) DO UPDATE SET token = excluded.token, holder = excluded.holder, action = excluded.action,
               phase = excluded.phase, host = excluded.host, pid = excluded.pid, taken_at = excluded.taken_at,
               expires_at = excluded.expires_at`,
  dropClaim: 'DELETE FROM move_claims WHERE task_id = $1 AND token = $2',
  addOutbox: `INSERT INTO outbox (${OUTBOX_COLUMNS.join(', ')}) VALUES (${OUTBOX_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
              ON CONFLICT (key) DO NOTHING`,
  getOutbox: 'SELECT * FROM outbox WHERE key = $1',
  putOutbox: `UPDATE outbox SET ${OUTBOX_COLUMNS.slice(1)
    .map((c, i) => `${c} = $${i + 2}`)
    .join(', ')} WHERE key = $1`,
  listOutbox: 'SELECT * FROM outbox ORDER BY created_at, key',
} as const;

export class PostgresStore implements Store {
  readonly #pool: Pool;
  readonly #mutex = new Mutex();
  readonly #where: string;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  #closed = false;

  /** The database's URL, without its password. */
  get location(): string {
    return this.#where;
  }

  private constructor(url: string, opts: PostgresOptions) {
    this.#where = redactUrl(url);
    this.#attempts = Math.max(1, opts.attempts ?? 8);
    this.#backoffMs = opts.backoffMs ?? 100;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 2000;
    this.#pool = new Pool({
      connectionString: url,
      max: opts.maxConnections ?? 4,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 10_000,
      // An idle pool never keeps a short-lived process alive, even if close() is forgotten.
      allowExitOnIdle: true,
      keepAlive: true,
      idle_in_transaction_session_timeout: opts.idleInTransactionMs ?? 60_000,
      application_name: 'autopilot',
    });
    // An idle connection cut by the server is dropped by the pool; without a listener the error would end the process.
    this.#pool.on('error', () => {});
  }

  /** A store on the database at `url` that has not talked to it yet: no migration, no schema check (for `store migrate`). */
  static connect(url: string, opts: PostgresOptions = {}): PostgresStore {
    return new PostgresStore(url, opts);
  }

  /** Connects to the database at `url`, applies pending migrations (unless `migrate: false`) and checks the schema version. */
  static async open(url: string, opts: PostgresOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(url, opts);
    try {
      const versions = await store.versions();
      const latest = MIGRATIONS.at(-1)?.version ?? 0;
      const newest = versions.at(-1) ?? 0;
      if (newest > latest) {
        throw new AutopilotError(
          ErrorCode.CONFIG_INVALID,
          `the store at ${store.#where} has schema version ${newest}, newer than this Autopilot knows (${latest}): upgrade Autopilot on this machine`,
          { key: 'store', reason: 'schema newer than this version' },
        );
      }
      if (newest < latest) {
        if (opts.migrate === false) {
          throw new AutopilotError(
            ErrorCode.CONFIG_INVALID,
            `the store at ${store.#where} has schema version ${newest}, this Autopilot needs ${latest}: run autopilot store migrate`,
            {
              key: 'store',
              reason: 'schema behind',
            },
          );
        }
        await store.migrate();
      }
      return store;
    } catch (err) {
      await store.close();
      const code = (err as { code?: unknown }).code;
      // A wrong password, user or database name is the configuration's fault: say which store.
      if (!(err instanceof AutopilotError) && typeof code === 'string' && (code.startsWith('28') || code === '3D000')) {
        throw new AutopilotError(
          ErrorCode.CONFIG_INVALID,
          `the store at ${store.#where} refused the connection: ${(err as Error).message}`,
          {
            key: 'store',
            reason: (err as Error).message,
          },
        );
      }
      throw err;
    }
  }

  /** The schema versions recorded in schema_migrations, ascending (empty for a new database). */
  async versions(): Promise<number[]> {
    const exists = await this.#read<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
    if (!exists[0]?.t) return [];
    return (await this.#read<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) =>
      Number(r.version),
    );
  }

  /** Applies every pending migration, each in its own transaction, holding the migration lock so that two processes never both apply one. */
  async migrate(): Promise<MigrationReport> {
    const before = await this.versions();
    // Nothing pending: no lock and no DDL, so that a role without CREATE can ask too.
    if (MIGRATIONS.every((m) => before.includes(m.version))) return { applied: [], versions: before };
    const client = await this.#connect();
    const applied: number[] = [];
    let broken: unknown;
    try {
      await client.query(lockSql('pg_advisory_lock', LOCK_CLASS.migrate));
      try {
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())',
        );
        for (const m of MIGRATIONS) {
          await client.query('BEGIN');
          try {
            // Another process may have migrated while this one waited for the lock.
            const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
            if (done.rowCount === 0) {
              await client.query(m.sql);
              await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
              applied.push(m.version);
            }
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => {});
            throw err;
          }
        }
      } finally {
        await client.query(lockSql('pg_advisory_unlock', LOCK_CLASS.migrate)).catch((err: unknown) => (broken = err));
      }
    } catch (err) {
      broken = err;
      if (isConnectionError(err)) {
        throw new AutopilotError(
          ErrorCode.INTERNAL,
          `lost the connection to ${this.#where} while migrating (${(err as Error).message}); every migration is atomic: run autopilot store migrate again`,
          {
            store: this.#where,
          },
        );
      }
      throw err;
    } finally {
      // A session that failed mid-way may still hold the lock: drop it rather than hand it back.
      client.release(broken ? true : undefined);
    }
    return { applied, versions: await this.versions() };
  }

  async transact<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    // One write transaction at a time per process: the others wait here, not holding a connection the reads need.
    return this.#mutex.run(async () => {
      const client = await this.#begin();
      let lost: unknown;
      const onError = (err: unknown) => (lost ??= err);
      client.on('error', onError);
      const written: { seq: number; hash: string }[] = [];
      let head: ChainHead | null | undefined;
      const fail = (err: unknown): never => {
        if (!isConnectionError(err) && lost === undefined) throw err;
        lost ??= err;
        throw new AutopilotError(
          ErrorCode.INTERNAL,
          `lost the connection to the store at ${this.#where} before the commit (${(err as Error).message}): nothing of this step was recorded; run the command again`,
          { store: this.#where, phase: 'before-commit' },
        );
      };
      const q = async <R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> =>
        (await client.query<R>(text, values).catch(fail)).rows;
      const tx: StoreTx = {
        head: async () =>
          head === undefined ? (head = toHead((await q<{ seq: unknown; hash: unknown }>(SQL.head))[0])) : head,
        getTask: async (id) => {
          const row = (await q<{ task_id: unknown; state: unknown }>(SQL.getTask, [id]))[0];
          return row && rows.task(row.task_id, row.state);
        },
        append: async (entry) => {
          checkExtends(await tx.head(), entry);
          await q(SQL.insert, [
            entry.seq,
            entry.prevHash,
            entry.hash,
            entry.ts,
            entry.taskId,
            entry.kind,
            entry.fromPhase,
            entry.toPhase,
            entry.actor,
            JSON.stringify(entry.artifacts),
            JSON.stringify(entry.data),
            entry.keyId,
            entry.signature,
          ]);
          head = { seq: entry.seq, hash: entry.hash };
          written.push(head);
        },
        putTask: async (state) =>
          void (await q(SQL.putTask, [
            state.taskId,
            state.startedAt,
            state.lastSeq,
            JSON.stringify(state),
            state.status,
            state.title,
            state.updatedAt,
          ])),
        getLease: async (id) => {
          const row = (await q<Record<string, unknown>>(SQL.getLease, [id]))[0];
          return row && rows.lease(row);
        },
        putLease: async (l) =>
          void (await q(SQL.putLease, [l.taskId, l.phase, l.holder, l.token, l.acquiredAt, l.expiresAt])),
        getMoveClaim: async (id) => {
          const row = (await q<Record<string, unknown>>(SQL.getClaim, [id]))[0];
          return row && rows.claim(row);
        },
        putMoveClaim: async (c) =>
          void (await q(SQL.putClaim, [
            c.taskId,
            c.token,
            c.holder,
            c.action,
            c.phase,
            c.host,
            c.pid,
            c.takenAt,
            c.expiresAt,
          ])),
        dropMoveClaim: async (id, token) => void (await q(SQL.dropClaim, [id, token])),
        addOutbox: async (row) => (await client.query(SQL.addOutbox, outboxValues(row)).catch(fail)).rowCount === 1,
        getOutbox: async (key) => {
          const row = (await q<Record<string, unknown>>(SQL.getOutbox, [key]))[0];
          return row && rows.outbox(row);
        },
        putOutbox: async (row) => {
          if ((await client.query(SQL.putOutbox, outboxValues(row)).catch(fail)).rowCount !== 1)
            throw missingOutboxRow(row.key);
        },
        // The server's clock, read after the lock: every host decides lease expiry on the same time line.
        now: async () => (await q<{ now: Date }>('SELECT clock_timestamp() AS now'))[0]!.now,
      };
      try {
        let result: T;
        try {
          result = await fn(tx);
        } catch (err) {
          if (lost === undefined) await client.query('ROLLBACK').catch((r: unknown) => (lost = r));
          throw err;
        }
        if (lost !== undefined) {
          throw new AutopilotError(
            ErrorCode.INTERNAL,
            `lost the connection to the store at ${this.#where} before the commit: nothing of this step was recorded; run the command again`,
            {
              store: this.#where,
              phase: 'before-commit',
            },
          );
        }
        try {
          await client.query('COMMIT');
        } catch (err) {
          if (!isConnectionError(err)) throw err; // the server answered: it rolled the transaction back
          lost = err;
          throw new AutopilotError(
            ErrorCode.INTERNAL,
            `lost the connection to the store at ${this.#where} during the commit (${(err as Error).message}): ${UNCONFIRMED}`,
            {
              store: this.#where,
              phase: 'commit',
              entries: written,
            },
          );
        }
        return result;
      } finally {
        client.off('error', onError);
        client.release(lost === undefined ? undefined : true);
      }
    });
  }

  async head(): Promise<ChainHead | null> {
    return toHead((await this.#read<{ seq: unknown; hash: unknown }>(SQL.head))[0]);
  }

  async entries(q: EntryQuery = {}): Promise<LedgerEntry[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const arg = (v: string | number) => `$${args.push(v)}`;
    if (q.taskId !== undefined) where.push(`task_id = ${arg(q.taskId)}`);
    if (q.fromSeq !== undefined) where.push(`seq >= ${arg(q.fromSeq)}`);
    if (q.kind !== undefined) where.push(`kind = ${arg(q.kind)}`);
    const sql = `SELECT ${ENTRY_SELECT} FROM ledger ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq${q.newestFirst ? ' DESC' : ''}${
      q.limit !== undefined ? ` LIMIT ${arg(q.limit)}` : ''
    }`;
    return (await this.#readArrays(sql, args)).map(rows.entry);
  }

  async getTask(taskId: string): Promise<TaskState | undefined> {
    const row = (await this.#read<{ task_id: unknown; state: unknown }>(SQL.getTask, [taskId]))[0];
    return row && rows.task(row.task_id, row.state);
  }

  async listTasks(): Promise<TaskState[]> {
    return (
      await this.#read<{ task_id: unknown; state: unknown }>(
        'SELECT task_id, state FROM tasks ORDER BY started_at, task_id',
      )
    ).map((r) => rows.task(r.task_id, r.state));
  }

  async activeTasks(): Promise<TaskState[]> {
    return (
      await this.#read<{ task_id: unknown; state: unknown }>(
        "SELECT task_id, state FROM tasks WHERE status = 'active' ORDER BY started_at, task_id",
      )
    ).map((r) => rows.task(r.task_id, r.state));
  }

  async taskPage(query: TaskQuery = {}): Promise<TaskPage> {
    // lower() under the "C" collation folds ASCII letters only, as SQLite's; one status at a time through tasks_list.
    const match = `status = $1 AND ($2::text IS NULL OR strpos(lower(task_id COLLATE "C"), $2) > 0
      OR strpos(lower(title COLLATE "C"), $2) > 0)`;
    const counts = query.q ? undefined : await this.taskCounts();
    type Row = { task_id: unknown; state: unknown };
    return pageTasks(query, {
      read: async ({ status, q, from, backward, limit, offset }) => {
        const args: (string | number | null)[] = [status, q, Math.min(limit, Number.MAX_SAFE_INTEGER), offset];
        const sql = !from
          ? `SELECT task_id, state FROM tasks WHERE ${match}
             ORDER BY ${backward ? 'updated_at, task_id DESC' : 'updated_at DESC, task_id'} LIMIT $3 OFFSET $4`
          : backward
            ? `SELECT task_id, state FROM tasks WHERE ${match} AND updated_at >= $5 AND (updated_at > $5 OR task_id < $6)
               ORDER BY updated_at, task_id DESC LIMIT $3 OFFSET $4`
            : `SELECT task_id, state FROM tasks WHERE ${match} AND updated_at <= $5 AND (updated_at < $5 OR task_id > $6)
               ORDER BY updated_at DESC, task_id LIMIT $3 OFFSET $4`;
        const found = await this.#read<Row>(sql, from ? [...args, from.updatedAt, from.taskId] : args);
        return found.map((r) => rows.task(r.task_id, r.state));
      },
      count: async (status, q) =>
        counts?.[status] ??
        Number((await this.#read<{ n: unknown }>(`SELECT count(*) AS n FROM tasks WHERE ${match}`, [status, q]))[0]?.n),
    });
  }

  async taskCounts(): Promise<Record<TaskStatus, number>> {
    const counts: Record<TaskStatus, number> = { active: 0, done: 0, aborted: 0 };
    for (const r of await this.#read<{ status: unknown; n: unknown }>('SELECT status, n FROM task_counts'))
      counts[String(r.status) as TaskStatus] = Number(r.n);
    return counts;
  }

  async recentTasks(startedAt: string, except: string, limit: number): Promise<TaskState[]> {
    return (
      await this.#read<{ task_id: unknown; state: unknown }>(
        'SELECT task_id, state FROM tasks WHERE started_at <= $1 AND task_id <> $2 ORDER BY started_at DESC, task_id LIMIT $3',
        [startedAt, except, Math.max(0, limit)],
      )
    ).map((r) => rows.task(r.task_id, r.state));
  }

  async getLease(taskId: string): Promise<Lease | undefined> {
    const row = (await this.#read<Record<string, unknown>>(SQL.getLease, [taskId]))[0];
    return row && rows.lease(row);
  }

  async listOutbox(q: OutboxQuery = {}): Promise<OutboxRow[]> {
    return (await this.#read<Record<string, unknown>>(SQL.listOutbox))
      .map((r) => rows.outbox(r))
      .filter((r) => matchesOutbox(r, q));
  }

  async getOutbox(key: string): Promise<OutboxRow | undefined> {
    const row = (await this.#read<Record<string, unknown>>(SQL.getOutbox, [key]))[0];
    return row && rows.outbox(row);
  }

  async putKey(keyId: string, publicKeyPem: string): Promise<void> {
    // Idempotent (the first key filed under an id stays), so retrying it like a read is safe.
    await this.#read('INSERT INTO keys (key_id, public_key) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING', [
      keyId,
      publicKeyPem,
    ]);
  }

  async keys(): Promise<Map<string, string>> {
    return new Map((await this.#read<Record<string, unknown>>('SELECT key_id, public_key FROM keys')).map(rows.key));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  #backoff(attempt: number): number {
    const ms = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (attempt - 1));
    return ms / 2 + Math.random() * (ms / 2);
  }

  #unreachable(err: unknown, attempts: number, what: string): AutopilotError {
    return new AutopilotError(
      ErrorCode.INTERNAL,
      `the store at ${this.#where} cannot be reached (${(err as Error).message}; ${attempts} attempts): ${what}`,
      {
        store: this.#where,
      },
    );
  }

  /** One statement outside any transaction, retried with backoff while the connection fails. */
  async #read<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    return this.#retried(async () => (await this.#pool.query<R>(text, values)).rows);
  }

  /** `#read` with each row as an array of its values, in the order the statement selects them. */
  async #readArrays(text: string, values?: unknown[]): Promise<unknown[][]> {
    return this.#retried(async () => (await this.#pool.query<unknown[]>({ text, values, rowMode: 'array' })).rows);
  }

  async #retried<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        if (attempt >= this.#attempts) throw this.#unreachable(err, attempt, 'nothing was read');
        await sleep(this.#backoff(attempt));
      }
    }
  }

  async #connect(): Promise<PoolClient> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#pool.connect();
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        if (attempt >= this.#attempts) throw this.#unreachable(err, attempt, 'nothing was recorded');
        await sleep(this.#backoff(attempt));
      }
    }
  }

  /**
   * A connection inside BEGIN, holding the write lock. Until the caller's
   * function runs nothing has been written, so a connection lost here is retried.
   */
  async #begin(): Promise<PoolClient> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#connect();
      try {
        await client.query(`BEGIN; ${lockSql('pg_advisory_xact_lock', LOCK_CLASS.write)}`);
        return client;
      } catch (err) {
        client.release(true);
        if (!isConnectionError(err)) throw err;
        if (attempt >= this.#attempts) throw this.#unreachable(err, attempt, 'nothing was recorded');
        await sleep(this.#backoff(attempt));
      }
    }
  }
}
