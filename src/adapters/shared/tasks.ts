/** @module What the store adapters share about reading tasks: the task list's order and its text match. */
import type { TaskState, TaskStatus } from '../../core/task.ts';
import type { TaskQuery } from '../../ports/store.ts';

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

/** The task list's order: status (active first), the most recently updated first, then task id. */
export function compareTaskPage(a: TaskState, b: TaskState): number {
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
