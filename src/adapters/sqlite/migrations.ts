/** @module SQLite schema migrations, as an ordered list; each runs once, in its own transaction. */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger, tasks, leases, keys',
    sql: `
      CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        ts TEXT NOT NULL,
        task_id TEXT,
        kind TEXT NOT NULL,
        from_phase TEXT,
        to_phase TEXT,
        actor TEXT NOT NULL,
        artifacts TEXT NOT NULL,
        data TEXT NOT NULL,
        key_id TEXT NOT NULL,
        signature TEXT NOT NULL
      );
      CREATE INDEX ledger_task ON ledger (task_id, seq);
      CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
      CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
      CREATE TABLE tasks (
        task_id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        last_seq INTEGER NOT NULL,
        state TEXT NOT NULL
      );
      CREATE TABLE leases (
        task_id TEXT PRIMARY KEY,
        phase TEXT NOT NULL,
        holder TEXT,
        token INTEGER NOT NULL,
        acquired_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE TABLE keys (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'index entries by kind',
    sql: `CREATE INDEX ledger_kind ON ledger (kind, seq);`,
  },
  {
    version: 3,
    name: 'refuse INSERT OR REPLACE over a ledger row',
    // REPLACE deletes the conflicting row without firing ledger_no_delete (recursive triggers are off).
    sql: `
      CREATE TRIGGER ledger_no_replace BEFORE INSERT ON ledger
        WHEN EXISTS (SELECT 1 FROM ledger WHERE seq = NEW.seq OR hash = NEW.hash)
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    `,
  },
  {
    version: 4,
    name: 'move claims: one move of a task at a time',
    sql: `
      CREATE TABLE move_claims (
        task_id TEXT PRIMARY KEY,
        token TEXT NOT NULL,
        holder TEXT NOT NULL,
        action TEXT NOT NULL,
        phase TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        taken_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'outbox: external side effects, decided with their ledger entry',
    sql: `
      CREATE TABLE outbox (
        key TEXT PRIMARY KEY,
        task_id TEXT NOT NULL,
        action TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_at TEXT NOT NULL,
        claim_token TEXT,
        claim_host TEXT,
        claim_pid INTEGER,
        claimed_at TEXT,
        decided_seq INTEGER NOT NULL,
        result_seq INTEGER,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX outbox_order ON outbox (created_at, key);
    `,
  },
  {
    version: 6,
    name: 'tasks: status, title and last update as columns, indexed for the active tasks and the task list',
    // Filled from each task's state for the rows already there; putTask writes them from now on.
    sql: `
      ALTER TABLE tasks ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
      ALTER TABLE tasks ADD COLUMN title TEXT NOT NULL DEFAULT '';
      ALTER TABLE tasks ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
      UPDATE tasks SET status = json_extract(state, '$.status'), title = json_extract(state, '$.title'),
        updated_at = json_extract(state, '$.updatedAt');
      CREATE INDEX tasks_status ON tasks (status, started_at, task_id);
      CREATE INDEX tasks_updated ON tasks (status, updated_at DESC, task_id);
    `,
  },
  {
    version: 7,
    name: 'tasks: indexed by start time, for the earlier tasks a move compares its evidence with',
    // In the order recentTasks reads (started_at DESC, then task_id): without it every move sorted the whole table.
    sql: `CREATE INDEX tasks_started ON tasks (started_at DESC, task_id);`,
  },
  {
    version: 8,
    name: 'tasks: the list read from an index that holds the title too, and the number of tasks of each status kept',
    // A task's state is a few kilobytes of JSON stored before the columns the list reads, so that a read of the
    // table walks every row's overflow pages: the list's index now carries the title its search matches, and the
    // counts are kept by triggers instead of counted at each read.
    sql: `
      DROP INDEX tasks_updated;
      CREATE INDEX tasks_list ON tasks (status, updated_at DESC, task_id, title);
      CREATE TABLE task_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO task_counts (status, n) SELECT status, count(*) FROM tasks GROUP BY status;
      CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO task_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER task_counts_update AFTER UPDATE OF status ON tasks WHEN OLD.status IS NOT NEW.status BEGIN
        UPDATE task_counts SET n = n - 1 WHERE status = OLD.status;
        INSERT INTO task_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
        UPDATE task_counts SET n = n - 1 WHERE status = OLD.status;
      END;
    `,
  },
];
