/** @module The in-memory reference store: the behaviour every other adapter must match. */
import type { ChainHead, LedgerEntry } from '../../core/ledger.ts';
import type { TaskState, TaskStatus } from '../../core/task.ts';
import type { Lease } from '../../core/lease.ts';
import type { MoveClaim } from '../../core/move.ts';
import type { OutboxRow } from '../../core/outbox.ts';
import type { EntryQuery, OutboxQuery, Store, StoreTx, TaskPage, TaskQuery } from '../../ports/store.ts';
import { compareOutbox, matchesOutbox, missingOutboxRow } from '../shared/outbox.ts';
import { Mutex, checkExtends } from '../shared/store.ts';
import { compareTaskPage, matchesTaskQuery, pageBounds, type TaskPlace } from '../shared/tasks.ts';

export class MemoryStore implements Store {
  readonly #entries: LedgerEntry[];
  readonly #tasks = new Map<string, TaskState>();
  readonly #leases = new Map<string, Lease>();
  readonly #claims = new Map<string, MoveClaim>();
  readonly #keys = new Map<string, string>();
  readonly #outbox = new Map<string, OutboxRow>();
  readonly #mutex = new Mutex();

  /** A store over `entries` (empty by default), which it appends to; a test may change the array as an attacker with file access would. */
  constructor(entries: LedgerEntry[] = []) {
    this.#entries = entries;
  }

  async transact<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      const entries: LedgerEntry[] = [];
      const tasks = new Map<string, TaskState>();
      const leases = new Map<string, Lease>();
      // A claim put (a value) or dropped (null) in this transaction.
      const claims = new Map<string, MoveClaim | null>();
      const outbox = new Map<string, OutboxRow>();
      const outboxRow = (key: string) => outbox.get(key) ?? this.#outbox.get(key);
      const claim = (id: string) => (claims.has(id) ? (claims.get(id) ?? undefined) : this.#claims.get(id));
      const head = (): ChainHead | null => {
        const last = entries.at(-1) ?? this.#entries.at(-1);
        return last ? { seq: last.seq, hash: last.hash } : null;
      };
      const tx: StoreTx = {
        head: async () => head(),
        getTask: async (id) => tasks.get(id) ?? this.#tasks.get(id),
        append: async (entry) => {
          checkExtends(head(), entry);
          entries.push(entry);
        },
        putTask: async (state) => void tasks.set(state.taskId, state),
        getLease: async (id) => leases.get(id) ?? this.#leases.get(id),
        putLease: async (lease) => void leases.set(lease.taskId, lease),
        getMoveClaim: async (id) => claim(id),
        putMoveClaim: async (c) => void claims.set(c.taskId, c),
        dropMoveClaim: async (id, token) => {
          if (claim(id)?.token === token) claims.set(id, null);
        },
        addOutbox: async (row) => {
          if (outboxRow(row.key)) return false;
          outbox.set(row.key, row);
          return true;
        },
        getOutbox: async (key) => outboxRow(key),
        putOutbox: async (row) => {
          if (!outboxRow(row.key)) throw missingOutboxRow(row.key);
          outbox.set(row.key, row);
        },
      };
      const result = await fn(tx);
      this.#entries.push(...entries);
      for (const [k, v] of tasks) this.#tasks.set(k, v);
      for (const [k, v] of leases) this.#leases.set(k, v);
      for (const [k, v] of outbox) this.#outbox.set(k, v);
      for (const [k, v] of claims) {
        if (v) this.#claims.set(k, v);
        else this.#claims.delete(k);
      }
      return result;
    });
  }

  async head(): Promise<ChainHead | null> {
    const last = this.#entries.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : null;
  }

  async entries(q: EntryQuery = {}): Promise<LedgerEntry[]> {
    let out = this.#entries.filter(
      (entry) =>
        (q.taskId === undefined || entry.taskId === q.taskId) &&
        (q.kind === undefined || entry.kind === q.kind) &&
        entry.seq >= (q.fromSeq ?? 0),
    );
    if (q.newestFirst) out = out.reverse();
    if (q.limit !== undefined) out = out.slice(0, q.limit);
    return out;
  }

  async getTask(taskId: string): Promise<TaskState | undefined> {
    return this.#tasks.get(taskId);
  }

  async listTasks(): Promise<TaskState[]> {
    const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.#tasks.values()].sort((a, b) => byKey(a.startedAt, b.startedAt) || byKey(a.taskId, b.taskId));
  }

  async activeTasks(): Promise<TaskState[]> {
    return (await this.listTasks()).filter((t) => t.status === 'active');
  }

  async taskPage(query: TaskQuery = {}): Promise<TaskPage> {
    const matching = [...this.#tasks.values()].filter((t) => matchesTaskQuery(t, query)).sort(compareTaskPage);
    const { limit, offset } = pageBounds(query);
    // The reference for keyset paging: where the cursor falls in the whole sorted list.
    const firstAfter = (c: TaskPlace) => {
      const i = matching.findIndex((t) => compareTaskPage(t, c) > 0);
      return i < 0 ? matching.length : i;
    };
    if (query.before) {
      const end = matching.findIndex((t) => compareTaskPage(t, query.before!) >= 0);
      const stop = end < 0 ? matching.length : end;
      return { tasks: matching.slice(Math.max(0, stop - limit), stop), total: matching.length };
    }
    const start = (query.after ? firstAfter(query.after) : 0) + offset;
    return { tasks: matching.slice(start, start + limit), total: matching.length };
  }

  async taskCounts(): Promise<Record<TaskStatus, number>> {
    const counts: Record<TaskStatus, number> = { active: 0, done: 0, aborted: 0 };
    for (const t of this.#tasks.values()) counts[t.status] = (counts[t.status] ?? 0) + 1;
    return counts;
  }

  async recentTasks(startedAt: string, except: string, limit: number): Promise<TaskState[]> {
    const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.#tasks.values()]
      .filter((t) => t.startedAt <= startedAt && t.taskId !== except)
      .sort((a, b) => byKey(b.startedAt, a.startedAt) || byKey(a.taskId, b.taskId))
      .slice(0, Math.max(0, limit));
  }

  async getLease(taskId: string): Promise<Lease | undefined> {
    return this.#leases.get(taskId);
  }

  async listOutbox(q: OutboxQuery = {}): Promise<OutboxRow[]> {
    return [...this.#outbox.values()].filter((r) => matchesOutbox(r, q)).sort(compareOutbox);
  }

  async getOutbox(key: string): Promise<OutboxRow | undefined> {
    return this.#outbox.get(key);
  }

  async putKey(keyId: string, publicKeyPem: string): Promise<void> {
    // The first key filed under an id stays, as in SQLite (INSERT OR IGNORE).
    if (!this.#keys.has(keyId)) this.#keys.set(keyId, publicKeyPem);
  }

  async keys(): Promise<Map<string, string>> {
    return new Map(this.#keys);
  }

  async close(): Promise<void> {}
}
