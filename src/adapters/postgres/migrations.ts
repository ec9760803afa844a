/**
 * @module PostgreSQL schema migrations, as an ordered list; each runs once, in
 * its own transaction, under an advisory lock, and is recorded in schema_migrations.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger, tasks, leases, keys',
    // JSON columns are text, as in SQLite: jsonb would reorder keys and refuse "\u0000", and the
    // entries must read back exactly as they were hashed.
    sql: `
      CREATE TABLE ledger (
        seq BIGINT PRIMARY KEY CHECK (seq >= 1),
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
      CREATE INDEX ledger_kind ON ledger (kind, seq);

      CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only' USING ERRCODE = 'restrict_violation';
      END $$;
      CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
      CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

      -- A row goes in only on top of the last one, whoever writes it: no gap, no fork, even from plain SQL.
      CREATE FUNCTION ledger_extends_head() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      DECLARE
        last_seq BIGINT;
        last_hash TEXT;
      BEGIN
        SELECT seq, hash INTO last_seq, last_hash FROM ledger ORDER BY seq DESC LIMIT 1;
        IF NEW.seq <> COALESCE(last_seq, 0) + 1 OR NEW.prev_hash <> COALESCE(last_hash, repeat('0', 64)) THEN
          RAISE EXCEPTION 'ledger entry % does not extend the head %', NEW.seq, COALESCE(last_seq, 0) USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER ledger_extends BEFORE INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_extends_head();

      -- Tasks list by start time, then id, in code-point order (COLLATE "C") whatever the database's locale.
      CREATE TABLE tasks (
        task_id TEXT COLLATE "C" PRIMARY KEY,
        started_at TEXT COLLATE "C" NOT NULL,
        last_seq BIGINT NOT NULL,
        state TEXT NOT NULL
      );
      CREATE INDEX tasks_started ON tasks (started_at, task_id);

      CREATE TABLE leases (
        task_id TEXT PRIMARY KEY,
        phase TEXT NOT NULL,
        holder TEXT,
        token BIGINT NOT NULL,
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
    version: 3,
    name: 'outbox: external side effects, decided with their ledger entry',
    sql: `
      CREATE TABLE outbox (
        key TEXT COLLATE "C" PRIMARY KEY,
        task_id TEXT NOT NULL,
        action TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_at TEXT NOT NULL,
        claim_token TEXT,
        claim_host TEXT,
        claim_pid INTEGER,
        claimed_at TEXT,
        decided_seq BIGINT NOT NULL,
        result_seq BIGINT,
        last_error TEXT,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX outbox_order ON outbox (created_at, key);
    `,
  },
  {
    version: 4,
    name: 'tasks: status, title and last update as columns, indexed for the active tasks and the task list',
    // Filled from each task's state for the rows already there; putTask writes them from now on.
    sql: `
      ALTER TABLE tasks ADD COLUMN status TEXT COLLATE "C" NOT NULL DEFAULT 'active';
      ALTER TABLE tasks ADD COLUMN title TEXT COLLATE "C" NOT NULL DEFAULT '';
      ALTER TABLE tasks ADD COLUMN updated_at TEXT COLLATE "C" NOT NULL DEFAULT '';
      UPDATE tasks SET status = state::jsonb->>'status', title = state::jsonb->>'title',
        updated_at = state::jsonb->>'updatedAt';
      CREATE INDEX tasks_status ON tasks (status, started_at, task_id);
      CREATE INDEX tasks_updated ON tasks (status, updated_at DESC, task_id);
    `,
  },
  {
    version: 5,
    name: 'tasks: the list read from an index that holds the title too, and the number of tasks of each status kept',
    // The list reads one status at a time from the index, its search matches the title there, and its counts are
    // kept by a trigger instead of counted at each read. Writers hold the store's write lock, so the count rows are
    // never contended.
    sql: `
      DROP INDEX tasks_updated;
      CREATE INDEX tasks_list ON tasks (status, updated_at DESC, task_id) INCLUDE (title);
      CREATE TABLE task_counts (status TEXT COLLATE "C" PRIMARY KEY, n BIGINT NOT NULL);
      INSERT INTO task_counts (status, n) SELECT status, count(*) FROM tasks GROUP BY status;
      CREATE FUNCTION task_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE task_counts SET n = n - 1 WHERE status = OLD.status;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          INSERT INTO task_counts (status, n) VALUES (NEW.status, 1)
            ON CONFLICT (status) DO UPDATE SET n = task_counts.n + 1;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER task_counts_insert_delete AFTER INSERT OR DELETE ON tasks
        FOR EACH ROW EXECUTE FUNCTION task_counts_keep();
      CREATE TRIGGER task_counts_update AFTER UPDATE OF status ON tasks
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION task_counts_keep();
    `,
  },
];
