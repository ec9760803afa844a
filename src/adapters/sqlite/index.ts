/**
 * @module The embedded store on SQLite (better-sqlite3, WAL). Writers across
 * processes are serialised by `BEGIN IMMEDIATE`; within a process by a mutex.
 */
import Database from 'better-sqlite3';
import { payloadPartsOf, type ChainHead, type LedgerEntry } from '../../core/ledger.ts';
import type { TaskState, TaskStatus } from '../../core/task.ts';
import type { Lease } from '../../core/lease.ts';
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { OutboxRow } from '../../core/outbox.ts';
import type { ChainSource, EntryQuery, OutboxQuery, Store, StoreTx, TaskPage, TaskQuery } from '../../ports/store.ts';
import { matchesOutbox, missingOutboxRow, OUTBOX_COLUMNS, outboxValues } from '../shared/outbox.ts';
import { Mutex, checkExtends } from '../shared/store.ts';
import { ENTRY_SELECT, rowDecoder } from '../shared/rows.ts';
import { pageTasks } from '../shared/tasks.ts';
import { MIGRATIONS } from './migrations.ts';
import { CHAIN_READER_MODULE, openChainReader, type SqliteChainOptions } from './chain-reader.ts';
import { BoundedCache } from '../../core/bounded-cache.ts';

/** SQLite hands over every integer as a number: text in an integer column is a value of the wrong type. */
const rows = rowDecoder({ integersAsText: false });

export interface SqliteOptions {
  /** How long a writer waits for another process's lock, milliseconds. */
  readonly busyTimeoutMs?: number;
  readonly readonly?: boolean;
}

// A task of the status whose id or title holds the text (its ASCII letters in lower case); NULL: any text.
const TASK_MATCH = 'status = @status AND (@q IS NULL OR instr(lower(task_id), @q) > 0 OR instr(lower(title), @q) > 0)';
interface TaskMatch {
  status: string;
  q: string | null;
}
type StatusArgs = TaskMatch & { limit: number; offset: number };
/** A keyset cursor's place within its status: its last update and task id. */
interface Place {
  u: string;
  id: string;
}

/** The earlier tasks a move compares its evidence with: read through the tasks_started index (migration 7). */
export const RECENT_TASKS =
  'SELECT task_id, state FROM tasks WHERE started_at <= ? AND task_id <> ? ORDER BY started_at DESC, task_id LIMIT ?';

/** The statements that read, prepared on a connection. */
function prepareReads(db: Database.Database) {
  return {
    head: db.prepare<[], { seq: unknown; hash: unknown }>('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1'),
    getTask: db.prepare<[string], { task_id: unknown; state: unknown }>(
      'SELECT task_id, state FROM tasks WHERE task_id = ?',
    ),
    listTasks: db.prepare<[], { task_id: unknown; state: unknown }>(
      'SELECT task_id, state FROM tasks ORDER BY started_at, task_id',
    ),
    recentTasks: db.prepare<[string, string, number], { task_id: unknown; state: unknown }>(RECENT_TASKS),
    activeTasks: db.prepare<[], { task_id: unknown; state: unknown }>(
      "SELECT task_id, state FROM tasks WHERE status = 'active' ORDER BY started_at, task_id",
    ),
    // One status at a time through tasks_list, which holds the title the text matches: only the page's rows are read
    // from the table (see pageTasks).
    taskCounts: db.prepare<[], { status: unknown; n: unknown }>('SELECT status, n FROM task_counts'),
    countStatus: db.prepare<[TaskMatch], { n: unknown }>(
      `SELECT count(*) AS n FROM tasks INDEXED BY tasks_list WHERE ${TASK_MATCH}`,
    ),
    statusPage: db.prepare<[StatusArgs], { task_id: unknown; state: unknown }>(
      `SELECT task_id, state FROM tasks WHERE ${TASK_MATCH}
       ORDER BY updated_at DESC, task_id LIMIT @limit OFFSET @offset`,
    ),
    statusLast: db.prepare<[StatusArgs], { task_id: unknown; state: unknown }>(
      `SELECT task_id, state FROM tasks WHERE ${TASK_MATCH} ORDER BY updated_at, task_id DESC LIMIT @limit OFFSET @offset`,
    ),
    statusAfter: db.prepare<[StatusArgs & Place], { task_id: unknown; state: unknown }>(
      `SELECT task_id, state FROM tasks WHERE ${TASK_MATCH} AND updated_at <= @u AND (updated_at < @u OR task_id > @id)
       ORDER BY updated_at DESC, task_id LIMIT @limit OFFSET @offset`,
    ),
    statusBefore: db.prepare<[StatusArgs & Place], { task_id: unknown; state: unknown }>(
      `SELECT task_id, state FROM tasks WHERE ${TASK_MATCH} AND updated_at >= @u AND (updated_at > @u OR task_id < @id)
       ORDER BY updated_at, task_id DESC LIMIT @limit OFFSET @offset`,
    ),
    getLease: db.prepare<[string], Record<string, unknown>>('SELECT * FROM leases WHERE task_id = ?'),
    keys: db.prepare<[], Record<string, unknown>>('SELECT key_id, public_key FROM keys'),
  };
}
type Reads = ReturnType<typeof prepareReads>;

/** The statements of the writer's connection: its reads and every write. */
function prepareWrites(db: Database.Database, reads: Reads) {
  return {
    ...reads,
    insert: db.prepare(
      `INSERT INTO ledger (seq, prev_hash, hash, ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature)
       VALUES (@seq, @prevHash, @hash, @ts, @taskId, @kind, @fromPhase, @toPhase, @actor, @artifacts, @data, @keyId, @signature)`,
    ),
    putTask: db.prepare(
      `INSERT INTO tasks (task_id, started_at, last_seq, state, status, title, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (task_id) DO UPDATE SET last_seq = excluded.last_seq, state = excluded.state,
         status = excluded.status, title = excluded.title, updated_at = excluded.updated_at`,
    ),
    putLease: db.prepare(
      `INSERT INTO leases (task_id, phase, holder, token, acquired_at, expires_at) VALUES (@taskId, @phase, @holder, @token, @acquiredAt, @expiresAt)
       ON CONFLICT (task_id) DO UPDATE SET phase = excluded.phase, holder = excluded.holder, token = excluded.token,
         acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
    ),
    putKey: db.prepare('INSERT OR IGNORE INTO keys (key_id, public_key) VALUES (?, ?)'),
    // Move claims are read and written inside write transactions only: a read-only open never needs their table.
    getClaim: db.prepare<[string], Record<string, unknown>>('SELECT * FROM move_claims WHERE task_id = ?'),
    putClaim: db.prepare(
      `INSERT OR REPLACE INTO move_claims (task_id, token, holder, action, phase, host, pid, taken_at, expires_at)
       VALUES (@taskId, @token, @holder, @action, @phase, @host, @pid, @takenAt, @expiresAt)`,
    ),
    dropClaim: db.prepare('DELETE FROM move_claims WHERE task_id = ? AND token = ?'),
    // Like move claims, the outbox is written inside write transactions; its reads outside go through `#outboxReads`.
    addOutbox: db.prepare(
      `INSERT INTO outbox (${OUTBOX_COLUMNS.join(', ')}) VALUES (${OUTBOX_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (key) DO NOTHING`,
    ),
    getOutbox: db.prepare<[string], Record<string, unknown>>('SELECT * FROM outbox WHERE key = ?'),
    putOutbox: db.prepare(
      `UPDATE outbox SET ${OUTBOX_COLUMNS.slice(1)
        .map((c) => `${c} = ?`)
        .join(', ')} WHERE key = ?`,
    ),
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
  };
}

/**
 * A statement that does not compile against the store's schema: a table or column renamed
 * or dropped by a change to the file that SQLite itself does not see as corruption.
 */
function schemaError(file: string, err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (code !== 'SQLITE_ERROR') return err;
  return new AutopilotError(
    ErrorCode.LEDGER_TAMPERED,
    `the store's schema is not the one Autopilot made (${(err as Error).message}): ${file} was changed outside Autopilot; restore it from a backup, or keep it aside for a person to examine`,
    { reason: 'schema', path: file },
  );
}

type EntryStatement = Database.Statement<(string | number)[], unknown[]>;

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  /**
   * Reads outside `transact` go through their own connection: on the writer's
   * connection they would see (and, on rollback, have seen) the writes of a
   * transaction still open in this process.
   */
  readonly #rdb: Database.Database;
  readonly #mutex = new Mutex();
  readonly #s: ReturnType<typeof prepareWrites>;
  readonly #r: Reads;
  /** The read statements on the writer's connection. */
  readonly #w: Reads;

  /** `sqlite:<file>`. */
  get location(): string {
    return `sqlite:${this.file}`;
  }

  constructor(
    readonly file: string,
    opts: SqliteOptions = {},
  ) {
    this.#db = new Database(file, { readonly: opts.readonly ?? false, timeout: opts.busyTimeoutMs ?? 10_000 });
    if (!opts.readonly) {
      this.#db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a killed process; only a power loss can drop the last commits.
      this.#db.pragma('synchronous = NORMAL');
      // A checkpoint (an fsync of the WAL and of the database) runs inside the commit that crosses this
      // many pages: 4000 (16 MiB) makes it a fourth as frequent as SQLite's 1000, and hot pages written
      // many times in between are copied once. The WAL file is cut back to that size afterwards.
      this.#db.pragma('wal_autocheckpoint = 4000');
      this.#db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
      this.#db.pragma('foreign_keys = ON');
      try {
        migrate(this.#db);
      } catch (err) {
        this.#db.close();
        throw schemaError(file, err);
      }
    }
    const db = this.#db;
    const separateReader = !opts.readonly && file !== '' && file !== ':memory:';
    this.#rdb = separateReader ? new Database(file, { readonly: true, timeout: opts.busyTimeoutMs ?? 10_000 }) : db;
    // Reads of the database file through a memory map rather than a pread a page: a walk of the whole ledger reads every page once.
    for (const conn of new Set([db, this.#rdb])) conn.pragma(`mmap_size = ${256 * 1024 * 1024}`);
    // Every statement is prepared here, against the schema the migrations made: one that no longer
    // compiles means the schema's text was changed outside Autopilot.
    try {
      this.#r = prepareReads(this.#rdb);
      this.#w = prepareReads(db);
      this.#s = prepareWrites(db, this.#w);
    } catch (err) {
      db.close();
      if (this.#rdb !== db) this.#rdb.close();
      throw schemaError(file, err);
    }
  }

  async transact<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      const s = this.#s;
      s.begin.run();
      // Only this connection writes until COMMIT: the head, once read, changes only by our own appends.
      let head: ChainHead | null | undefined;
      const currentHead = () => (head === undefined ? (head = this.#headSync(s)) : head);
      // Likewise the task projections: parsed once a transaction, then the state last put (the memory store shares its objects too).
      const tasks = new Map<string, TaskState | undefined>();
      const task = (id: string) => {
        if (!tasks.has(id)) tasks.set(id, this.#getTaskSync(s, id));
        return tasks.get(id);
      };
      const tx: StoreTx = {
        head: async () => currentHead(),
        getTask: async (id) => task(id),
        append: async (entry) => {
          checkExtends(currentHead(), entry);
          // Texts sealed with the entry are its canonical JSON: kept as they are, so verifying need not canonicalize.
          const parts = payloadPartsOf(entry);
          s.insert.run({
            ...entry,
            artifacts: parts?.artifacts ?? JSON.stringify(entry.artifacts),
            data: parts?.data ?? JSON.stringify(entry.data),
          });
          head = { seq: entry.seq, hash: entry.hash };
        },
        putTask: async (state) => {
          s.putTask.run(
            state.taskId,
            state.startedAt,
            state.lastSeq,
            JSON.stringify(state),
            state.status,
            state.title,
            state.updatedAt,
          );
          tasks.set(state.taskId, state);
        },
        getLease: async (id) => {
          const row = s.getLease.get(id);
          return row && rows.lease(row);
        },
        putLease: async (lease) => void s.putLease.run(lease),
        getMoveClaim: async (id) => {
          const row = s.getClaim.get(id);
          return row && rows.claim(row);
        },
        putMoveClaim: async (claim) => void s.putClaim.run(claim),
        dropMoveClaim: async (id, token) => void s.dropClaim.run(id, token),
        addOutbox: async (row) => s.addOutbox.run(...outboxValues(row)).changes === 1,
        getOutbox: async (key) => {
          const row = s.getOutbox.get(key);
          return row && rows.outbox(row);
        },
        putOutbox: async (row) => {
          const [key, ...rest] = outboxValues(row);
          if (s.putOutbox.run(...rest, key).changes !== 1) throw missingOutboxRow(row.key);
        },
      };
      try {
        const result = await fn(tx);
        s.commit.run();
        return result;
      } catch (err) {
        if (this.#db.inTransaction) s.rollback.run();
        throw err;
      }
    });
  }

  #headSync(on: Reads): ChainHead | null {
    const row = on.head.get();
    return row ? rows.head(row.seq, row.hash) : null;
  }

  #getTaskSync(on: Reads, taskId: string): TaskState | undefined {
    const row = on.getTask.get(taskId);
    return row && rows.task(row.task_id, row.state);
  }

  /**
   * Where a read outside `transact` goes: the writer's connection while no
   * transaction of this process is open on it, the reader's otherwise. Every
   * commit of the writer sends the reader's page cache back to the file (a few
   * preads a query), while the writer's own cache stays warm.
   */
  #reading(): { reads: Reads; db: Database.Database; queries: Map<string, EntryStatement> } {
    return this.#db.inTransaction || this.#rdb === this.#db
      ? { reads: this.#r, db: this.#rdb, queries: this.#queries }
      : { reads: this.#w, db: this.#db, queries: this.#writerQueries };
  }

  async head(): Promise<ChainHead | null> {
    return this.#headSync(this.#reading().reads);
  }

  async entries(q: EntryQuery = {}): Promise<LedgerEntry[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.taskId !== undefined) {
      where.push('task_id = ?');
      args.push(q.taskId);
    }
    if (q.fromSeq !== undefined) {
      where.push('seq >= ?');
      args.push(q.fromSeq);
    }
    if (q.kind !== undefined) {
      where.push('kind = ?');
      args.push(q.kind);
    }
    const sql = `SELECT ${ENTRY_SELECT} FROM ledger ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq${q.newestFirst ? ' DESC' : ''}${
      q.limit !== undefined ? ' LIMIT ?' : ''
    }`;
    if (q.limit !== undefined) args.push(q.limit);
    const on = this.#reading();
    let stmt = on.queries.get(sql);
    if (!stmt) {
      stmt = on.db.prepare<(string | number)[], unknown[]>(sql).raw(true);
      on.queries.set(sql, stmt);
    }
    return stmt.all(...args).map(rows.entry);
  }

  /** Prepared entry queries by SQL text, one map a connection: there are only a few shapes, and preparing costs more than running. */
  readonly #queries = new Map<string, EntryStatement>();
  readonly #writerQueries = new Map<string, EntryStatement>();

  async getTask(taskId: string): Promise<TaskState | undefined> {
    return this.#getTaskSync(this.#reading().reads, taskId);
  }

  async listTasks(): Promise<TaskState[]> {
    return this.#reading()
      .reads.listTasks.all()
      .map((r) => rows.task(r.task_id, r.state));
  }

  async activeTasks(): Promise<TaskState[]> {
    return this.#reading()
      .reads.activeTasks.all()
      .map((r) => rows.task(r.task_id, r.state));
  }

  async taskPage(query: TaskQuery = {}): Promise<TaskPage> {
    const reads = this.#reading().reads;
    const counts = query.q ? undefined : await this.taskCounts();
    return pageTasks(query, {
      read: async ({ status, q, from, backward, limit, offset }) => {
        const args = { status, q, limit: Math.min(limit, 1e9), offset };
        const found = from
          ? (backward ? reads.statusBefore : reads.statusAfter).all({ ...args, u: from.updatedAt, id: from.taskId })
          : (backward ? reads.statusLast : reads.statusPage).all(args);
        return found.map((r) => rows.task(r.task_id, r.state));
      },
      count: async (status, q) => counts?.[status] ?? Number(reads.countStatus.get({ status, q })?.n ?? 0),
    });
  }

  async taskCounts(): Promise<Record<TaskStatus, number>> {
    const counts: Record<TaskStatus, number> = { active: 0, done: 0, aborted: 0 };
    for (const r of this.#reading().reads.taskCounts.all()) counts[String(r.status) as TaskStatus] = Number(r.n);
    return counts;
  }

  async recentTasks(startedAt: string, except: string, limit: number): Promise<TaskState[]> {
    return this.#reading()
      .reads.recentTasks.all(startedAt, except, Math.max(0, limit))
      .map((r) => this.#decodedTask(r.task_id, r.state));
  }

  /**
   * Every move reads the same earlier tasks (recentTasks), mostly unchanged since the last move: a row whose text is
   * the one decoded last time gives the state decoded then (deeply read-only), and only a changed row is parsed.
   */
  readonly #decoded = new BoundedCache<unknown, { readonly text: unknown; readonly state: TaskState }>(1024);

  #decodedTask(taskId: unknown, text: unknown): TaskState {
    const hit = this.#decoded.get(taskId);
    if (hit && typeof text === 'string' && hit.text === text) return hit.state;
    const state = rows.task(taskId, text);
    this.#decoded.set(taskId, { text, state });
    return state;
  }

  async getLease(taskId: string): Promise<Lease | undefined> {
    const row = this.#reading().reads.getLease.get(taskId);
    return row && rows.lease(row);
  }

  async listOutbox(q: OutboxQuery = {}): Promise<OutboxRow[]> {
    const all = this.#outboxReads()
      .list.all()
      .map((r) => rows.outbox(r));
    return all.filter((r) => matchesOutbox(r, q));
  }

  async getOutbox(key: string): Promise<OutboxRow | undefined> {
    const row = this.#outboxReads().get.get(key);
    return row && rows.outbox(row);
  }

  /**
   * The outbox's reads outside a transaction, prepared on first use: a store opened read-only on a file made before
   * the outbox existed has no such table, and must still open for everything else.
   */
  #outboxReads() {
    const on = this.#reading();
    let reads = this.#outboxStatements.get(on.db);
    if (!reads) {
      reads = {
        list: on.db.prepare<[], Record<string, unknown>>('SELECT * FROM outbox ORDER BY created_at, key'),
        get: on.db.prepare<[string], Record<string, unknown>>('SELECT * FROM outbox WHERE key = ?'),
      };
      this.#outboxStatements.set(on.db, reads);
    }
    return reads;
  }

  readonly #outboxStatements = new Map<
    Database.Database,
    {
      list: Database.Statement<[], Record<string, unknown>>;
      get: Database.Statement<[string], Record<string, unknown>>;
    }
  >();

  async putKey(keyId: string, publicKeyPem: string): Promise<void> {
    this.#s.putKey.run(keyId, publicKeyPem);
  }

  async keys(): Promise<Map<string, string>> {
    return new Map(this.#reading().reads.keys.all().map(rows.key));
  }

  async integrity(): Promise<readonly string[]> {
    const found = (this.#rdb.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    return found.length === 1 && found[0] === 'ok' ? [] : found;
  }

  /** A reader on the same file, for this thread or a worker's (none for an in-memory database: no other connection sees it). */
  chainReader(): ChainSource | undefined {
    if (this.file === '' || this.file === ':memory:') return undefined;
    const options: SqliteChainOptions = { file: this.file };
    return {
      open: () => openChainReader(options),
      // Bundled, this module is a chunk of another name, which a worker could not load it by.
      ...(/\/chain-reader\.(js|ts)$/.test(CHAIN_READER_MODULE)
        ? { spec: { module: CHAIN_READER_MODULE, options } }
        : {}),
    };
  }

  async close(): Promise<void> {
    if (this.#rdb !== this.#db) this.#rdb.close();
    this.#db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
      .all()
      .map((r) => r.version),
  );
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      // Another process may have migrated while this one waited for the lock.
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
      if (!done) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          new Date().toISOString(),
        );
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}
