/** @module What the store adapters share about reading tasks: the task list's order and its text match. */
import type { TaskState, TaskStatus } from '../../core/task.ts';
import type { TaskPage, TaskQuery } from '../../ports/store.ts';

/** The task list's order of statuses: active tasks first. */
export const STATUS_RANK: Readonly<Record<TaskStatus, number>> = { active: 0, done: 1, aborted: 2 };

/** Lower case for ASCII letters only, as SQLite's `lower()` and PostgreSQL's under the "C" collation. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** Whether `t` matches the query's status and text (the reference for the SQL stores). */
export function matchesTaskQuery(t: TaskState, q: TaskQuery): boolean {
  if (q.status !== undefined && t.status !== q.status) return false;
  if (!q.q) return true;
  const needle = asciiLower(q.q);
  return asciiLower(t.taskId).includes(needle) || asciiLower(t.title).includes(needle);
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What places a task in the list's order (a task, or a `TaskCursor`). */
export type TaskPlace = Pick<TaskState, 'status' | 'updatedAt' | 'taskId'>;

/** The task list's order: status (active first), the most recently updated first, then task id. */
export function compareTaskPage(a: TaskPlace, b: TaskPlace): number {
  return (
    (STATUS_RANK[a.status] ?? 3) - (STATUS_RANK[b.status] ?? 3) ||
    byKey(b.updatedAt, a.updatedAt) ||
    byKey(a.taskId, b.taskId)
  );
}

/** The limit and offset of a query as whole numbers (no limit: all). */
export function pageBounds(q: TaskQuery): { limit: number; offset: number } {
  const whole = (n: number | undefined, fallback: number) =>
    n === undefined || !Number.isFinite(n) ? fallback : Math.max(0, Math.floor(n));
  return { limit: whole(q.limit, Number.MAX_SAFE_INTEGER), offset: whole(q.offset, 0) };
}

/** The statuses in the task list's order. */
export const TASK_STATUSES: readonly TaskStatus[] = ['active', 'done', 'aborted'];

/** One status's run of the task list, as an adapter reads it from its index (`updated_at DESC, task_id` within it). */
export interface StatusSlice {
  readonly status: TaskStatus;
  /** The text to match in lower case (ASCII letters), null: any. */
  readonly q: string | null;
  /** Forward: only tasks after this place in the status's order; backward: only before it. null: from the end. */
  readonly from: { readonly updatedAt: string; readonly taskId: string } | null;
  /** Backward: the tasks nearest before `from` first (the reverse of the list's order). */
  readonly backward: boolean;
  readonly limit: number;
  readonly offset: number;
}

/** What an adapter gives `pageTasks`: one status's run read from its index, and how many of a status match. */
export interface StatusReader {
  read(slice: StatusSlice): Promise<TaskState[]>;
  /** With `q` null the adapter answers from its kept counts. */
  count(status: TaskStatus, q: string | null): Promise<number>;
}

const rankOf = (s: TaskStatus) => STATUS_RANK[s] ?? TASK_STATUSES.length;

/**
 * A page of the task list read one status at a time, each through the adapter's index on (status, update, id): a
 * cursor starts the read where it points, whole statuses that an offset skips are skipped by their counts, and only
 * the page's rows are read, so that the cost does not grow with the number of tasks (an offset within a status is
 * stepped over in the index, without reading the tasks).
 */
export async function pageTasks(query: TaskQuery, reader: StatusReader): Promise<TaskPage> {
  const { limit, offset } = pageBounds(query);
  const statuses = query.status ? [query.status] : TASK_STATUSES;
  const q = query.q ? asciiLower(query.q) : null;
  const counts = await Promise.all(statuses.map((s) => reader.count(s, q)));
  const total = counts.reduce((a, b) => a + b, 0);
  const tasks: TaskState[] = [];
  if (limit === 0) return { tasks, total };
  const at = query.before ?? query.after;
  const place = (s: TaskStatus) => (at ? Math.sign(rankOf(s) - rankOf(at.status)) : 1);
  if (query.before) {
    // Nearest first, status by status towards the list's start; then put back in the list's order.
    for (const status of [...statuses].reverse()) {
      if (tasks.length >= limit || place(status) > 0) continue;
      const from = place(status) === 0 ? query.before : null;
      tasks.push(...(await reader.read({ status, q, from, backward: true, limit: limit - tasks.length, offset: 0 })));
    }
    return { tasks: tasks.reverse(), total };
  }
  let skip = offset;
  for (const [i, status] of statuses.entries()) {
    if (tasks.length >= limit || place(status) < 0) continue;
    const from = place(status) === 0 ? query.after! : null;
    if (from === null && skip >= counts[i]!) {
      skip -= counts[i]!;
      continue;
    }
    const want = limit - tasks.length;
    if (from === null) {
      tasks.push(...(await reader.read({ status, q, from, backward: false, limit: want, offset: skip })));
      skip = 0;
    } else {
      // How many the cursor's own status holds after it is not kept: read the offset's rows too and drop them here.
      const rows = await reader.read({ status, q, from, backward: false, limit: skip + want, offset: 0 });
      tasks.push(...rows.slice(skip));
      skip = Math.max(0, skip - rows.length);
    }
  }
  return { tasks, total };
}
