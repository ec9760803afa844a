/** @module The storage port: the ledger chain, the task projection, leases, move claims, the outbox and keys. */
import type { ChainHead, LedgerEntry } from '../core/ledger.ts';
import type { TaskState, TaskStatus } from '../core/task.ts';
import type { Lease } from '../core/lease.ts';
import type { MoveClaim } from '../core/move.ts';
import type { OutboxRow, OutboxState } from '../core/outbox.ts';

/** Thrown by `append` when the entry does not extend the current head: someone else appended first. */
export class StaleHeadError extends Error {
  constructor(
    readonly expected: ChainHead | null,
    readonly got: { seq: number; prevHash: string },
  ) {
    super(`stale head: entry ${got.seq} does not extend head ${expected ? expected.seq : 0}`);
    this.name = 'StaleHeadError';
  }
}

/** Operations inside one exclusive write transaction. */
export interface StoreTx {
  head(): Promise<ChainHead | null>;
  getTask(taskId: string): Promise<TaskState | undefined>;
  /** Appends one entry; throws StaleHeadError unless it extends the head exactly. */
  append(entry: LedgerEntry): Promise<void>;
  putTask(state: TaskState): Promise<void>;
  getLease(taskId: string): Promise<Lease | undefined>;
  putLease(lease: Lease): Promise<void>;
  /** The task's move claim (see core/move.ts), whether in force or not. */
  getMoveClaim(taskId: string): Promise<MoveClaim | undefined>;
  /** Puts the task's move claim, replacing the one it had. */
  putMoveClaim(claim: MoveClaim): Promise<void>;
  /** Drops the task's move claim if it is the one with `token`; another move's claim stays. */
  dropMoveClaim(taskId: string, token: string): Promise<void>;
  /**
   * Adds an outbox row unless one with its key exists (see core/outbox.ts); true when added. Written in the
   * transaction of the entry that decides the effect, so that the two commit or roll back together.
   */
  addOutbox(row: OutboxRow): Promise<boolean>;
  getOutbox(key: string): Promise<OutboxRow | undefined>;
  /** Replaces the row with `row.key`, which must exist. */
  putOutbox(row: OutboxRow): Promise<void>;
  /**
   * The store's own clock, read inside the transaction. A store that several
   * hosts share (PostgreSQL) gives its server's time, so that lease expiry and
   * fencing do not depend on whose clock is right; a store on one machine
   * (SQLite, memory) may leave it out, and the engine then uses its own clock.
   */
  now?(): Promise<Date>;
}

export interface EntryQuery {
  readonly taskId?: string;
  /** Entries with seq >= fromSeq. */
  readonly fromSeq?: number;
  readonly limit?: number;
  /** Only entries of this kind. */
  readonly kind?: LedgerEntry['kind'];
  /** Newest first (default oldest first). */
  readonly newestFirst?: boolean;
}

/** A task's place in the task list's order: its status, its last update and its id (see `TaskQuery.after`). */
export interface TaskCursor {
  readonly status: TaskStatus;
  readonly updatedAt: string;
  readonly taskId: string;
}

/** A page of the task list (see `Store.taskPage`). */
export interface TaskQuery {
  /** Only tasks in this status. */
  readonly status?: TaskStatus;
  /** Only tasks whose id or title holds this text, ASCII letters matched whatever their case. */
  readonly q?: string;
  /** At most this many tasks (default: all). */
  readonly limit?: number;
  /** Skips this many tasks of the order first (after `after` when it is given). */
  readonly offset?: number;
  /**
   * Keyset paging: only the tasks after this place in the order, read from the index where the place is, so that a
   * page costs the same however far down the list it is.
   */
  readonly after?: TaskCursor;
  /**
   * Keyset paging backwards: the `limit` tasks just before this place, in the list's order (fewer at its start).
   * Not with `after` or `offset`.
   */
  readonly before?: TaskCursor;
}

/** The tasks of a `TaskQuery`, and how many match it in all. */
export interface TaskPage {
  readonly tasks: TaskState[];
  readonly total: number;
}

export interface OutboxQuery {
  readonly taskId?: string;
  /** Only rows in one of these states. */
  readonly states?: readonly OutboxState[];
}

/**
 * One ledger row as the chain check reads it: its seq, prevHash and hash, the canonical text that was hashed (built
 * by the store from the stored columns, as `payloadFromParts` builds it; null when a column is not of its type or a
 * JSON column is not a JSON list / object), and its key id and signature.
 */
export type ChainRow = readonly [
  seq: number,
  prevHash: string,
  hash: string,
  payload: string | null,
  keyId: string,
  signature: string,
];

/** A reader of the ledger's rows for the chain check, on a connection of its own. */
export interface ChainReader {
  /** The rows with `fromSeq <= seq <= toSeq`, in seq order. */
  rows(fromSeq: number, toSeq: number): Promise<readonly ChainRow[]>;
  close(): Promise<void>;
}

/**
 * How any thread opens a `ChainReader` on this store: `module` (a URL) exports `openChainReader(options)`, and
 * `options` survive a structured clone, so that a worker thread opens a connection of its own.
 */
export interface ChainReaderSpec {
  readonly module: string;
  readonly options: unknown;
}

/** What a `ChainReaderSpec`'s module exports. */
export type OpenChainReader = (options: unknown) => Promise<ChainReader>;

/** Where the chain check reads raw rows: a reader on this thread, and how a worker thread opens one of its own. */
export interface ChainSource {
  open(): Promise<ChainReader>;
  /** Absent where the running code cannot name a module a worker would load (a bundle that folded it in). */
  readonly spec?: ChainReaderSpec;
}

export interface Store {
  /**
   * Where the store lives, for messages and the anchored head's record of which store it was read from
   * (`sqlite:<file>`, a PostgreSQL URL without its password). A store that cannot say leaves it out.
   */
  readonly location?: string;
  /** Runs `fn` holding the store's write lock, across processes; rolls back if it throws. */
  transact<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  head(): Promise<ChainHead | null>;
  entries(query?: EntryQuery): Promise<LedgerEntry[]>;
  getTask(taskId: string): Promise<TaskState | undefined>;
  /** Every task, by start time then task id. Reads the whole projection: a surface that shows tasks pages them. */
  listTasks(): Promise<TaskState[]>;
  /** The active tasks, by start time then task id: what the guard and hooks look for, read through an index. */
  activeTasks(): Promise<TaskState[]>;
  /**
   * A page of the tasks that match `query`: active ones first, then done, then aborted, each the most recently
   * updated first (ties in task id order), and the number of matches in all; read through an index, one status at a
   * time. Without `q` the number comes from the kept counts (`taskCounts`); with it, from the index of the statuses.
   */
  taskPage(query?: TaskQuery): Promise<TaskPage>;
  /**
   * How many tasks the store holds in each status, kept as tasks are written (not counted at each read); a status
   * without tasks is 0.
   */
  taskCounts(): Promise<Record<TaskStatus, number>>;
  /**
   * The tasks started at or before `startedAt` (ISO time) but `except`, the most recent first (ties in task id order),
   * `limit` at most: the earlier tasks a move compares its evidence with, read without listing every task.
   */
  recentTasks(startedAt: string, except: string, limit: number): Promise<TaskState[]>;
  getLease(taskId: string): Promise<Lease | undefined>;
  /** Outbox rows, oldest first (by creation time, then key). */
  listOutbox(query?: OutboxQuery): Promise<OutboxRow[]>;
  getOutbox(key: string): Promise<OutboxRow | undefined>;
  putKey(keyId: string, publicKeyPem: string): Promise<void>;
  keys(): Promise<Map<string, string>>;
  /**
   * The store's own consistency check (SQLite: `PRAGMA integrity_check`): what it
   * finds damaged, nothing when the store is sound. A store without one leaves it out.
   */
  integrity?(): Promise<readonly string[]>;
  /**
   * Where a chain check reads the ledger's rows without decoding them into entries, from as many threads as it
   * likes; a store that cannot say (an in-memory one) leaves it out, and the check reads `entries`.
   */
  chainReader?(): ChainSource | undefined;
  close(): Promise<void>;
}
