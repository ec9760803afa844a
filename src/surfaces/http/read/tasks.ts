/** @module The task list and a task's details as the dashboard shows them: phase, holder, age, last move and flags. */
import type { LedgerEntry } from '../../../core/ledger.ts';
import { ErrorCode, ok, refuse, type Result } from '../../../core/errors.ts';
import type { TaskState, TaskStatus } from '../../../core/task.ts';
import type { Lease } from '../../../core/lease.ts';
import { approvalState, type ApprovalState } from '../../../engine/approvals/guard.ts';
import { isDriftWarning } from '../../../engine/telemetry/metrics.ts';
import type { Engine } from '../../../engine/context.ts';
import { describeEntry } from './describe.ts';

export interface TaskFlags {
  readonly refusals: number;
  readonly backtracks: number;
  /** Moves made while the agent's instructions had drifted, and drift refusals. */
  readonly drift: number;
  /** The approval state of the current phase visit. */
  readonly approval: ApprovalState;
}

export interface LastMove {
  readonly seq: number;
  readonly kind: string;
  readonly ts: string;
  readonly text: string;
}

export interface TaskSummary {
  readonly taskId: string;
  readonly title: string;
  readonly status: TaskStatus;
  readonly phase: string;
  /** Position of the phase in the process, from 0. */
  readonly phaseIndex: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly phaseEnteredAt: string;
  /** Who holds the lease now; null when nobody does. */
  readonly holder: string | null;
  readonly leaseExpiresAt: string | null;
  readonly lastMove: LastMove | null;
  readonly flags: TaskFlags;
}

export interface TaskFilter {
  readonly status?: string;
  /** Matches the task id or the title, case-insensitive. */
  readonly q?: string;
}

/** The lease when it is held right now. */
export function liveLease(lease: Lease | undefined, nowMs: number): (Lease & { holder: string }) | null {
  return lease && lease.holder !== null && Date.parse(lease.expiresAt) > nowMs
    ? (lease as Lease & { holder: string })
    : null;
}

/** Flags of a task from its entries: refusals, drift and the standing approval. */
async function flagsOf(engine: Engine, t: TaskState): Promise<TaskFlags> {
  const approvals = await engine.store.entries({ taskId: t.taskId, kind: 'approval', fromSeq: t.phaseEpoch });
  const warnings = (await engine.store.entries({ taskId: t.taskId, kind: 'prompt_drift' })).filter(
    isDriftWarning,
  ).length;
  const refused = (await engine.store.entries({ taskId: t.taskId, kind: 'violation' })).filter(
    (x) => x.data['code'] === ErrorCode.PROMPT_DRIFT,
  ).length;
  return {
    refusals: t.counts.refusals,
    backtracks: t.counts.backtracks,
    drift: warnings + refused,
    approval: t.status === 'active' ? approvalState(approvals, t).state : 'none',
  };
}

export async function summarize(engine: Engine, t: TaskState): Promise<TaskSummary> {
  // Lease changes are bookkeeping, not moves: the last move is the newest other entry.
  const recent = await engine.store.entries({ taskId: t.taskId, newestFirst: true, limit: 12 });
  const last = recent.find((x) => x.kind !== 'lease') ?? recent[0];
  const lease =
    t.status === 'active' ? liveLease(await engine.store.getLease(t.taskId), engine.clock.now().getTime()) : null;
  return {
    taskId: t.taskId,
    title: t.title,
    status: t.status,
    phase: t.phase,
    phaseIndex: engine.config.phases.indexOf(t.phase),
    startedAt: t.startedAt,
    updatedAt: t.updatedAt,
    phaseEnteredAt: t.phaseEnteredAt,
    holder: lease?.holder ?? null,
    leaseExpiresAt: lease?.expiresAt ?? null,
    lastMove: last ? { seq: last.seq, kind: last.kind, ts: last.ts, text: describeEntry(last) } : null,
    flags: await flagsOf(engine, t),
  };
}

/** How many tasks a page of the task list shows. */
export const TASKS_PER_PAGE = 50;

/** A page of the task list. */
export interface TaskList {
  /** The page's tasks: active ones first, then the most recently moved. */
  readonly tasks: TaskSummary[];
  /** How many tasks match the filter in all. */
  readonly matching: number;
  /** How many tasks the store holds. */
  readonly total: number;
  /**
   * Where the page starts among the matching tasks, from 0. A page reached through a cursor does not count the tasks
   * before it (that would read them all): its position is the one the link that led there carried.
   */
  readonly offset: number;
  readonly limit: number;
  /** Whether tasks match after the page's last one, and before its first one. */
  readonly more: { readonly older: boolean; readonly newer: boolean };
}

/** Where a page of the task list starts: an offset, or just after or before a task (keyset paging by task id). */
export interface TaskListPage {
  readonly offset?: number;
  readonly limit?: number;
  /** The page after this task's place in the list (with `offset`: the page's position, for its heading). */
  readonly after?: string;
  /** The page before this task's place in the list. */
  readonly before?: string;
}

const STATUSES = new Set<string>(['active', 'done', 'aborted']);

/** Whether an active task waits for a person's decision on its current phase. */
async function waitsForPerson(engine: Engine, t: TaskState): Promise<boolean> {
  const approvals = await engine.store.entries({ taskId: t.taskId, kind: 'approval', fromSeq: t.phaseEpoch });
  const s = approvalState(approvals, t).state;
  return s === 'requested' || s === 'escalated';
}

/**
 * One page of the tasks matching the filter, read through the store's task index: only the page's tasks are
 * summarized, and a page after or before a task starts in the index where that task is, so that a page costs the
 * same with ten tasks or ten thousand, however far down the list. `waiting` looks at the active tasks only. A
 * cursor that names no task is refused (USAGE).
 */
export async function listTasks(
  engine: Engine,
  filter: TaskFilter = {},
  page: TaskListPage = {},
): Promise<Result<TaskList>> {
  const limit = Math.min(Math.max(Math.floor(page.limit ?? TASKS_PER_PAGE), 1), 500);
  let offset = Math.max(Math.floor(page.offset ?? 0), 0);
  const q = filter.q?.trim() || undefined;
  const counts = await engine.store.taskCounts();
  const total = counts.active + counts.done + counts.aborted;
  const cursorId = page.after ?? page.before;
  const cursor = cursorId === undefined ? undefined : await engine.store.getTask(cursorId);
  if (cursorId !== undefined && !cursor)
    return refuse(
      ErrorCode.USAGE,
      `there is no task ${cursorId} to page ${page.after !== undefined ? 'after' : 'before'}: open the first page of the list (leave out after and before)`,
      { [page.after !== undefined ? 'after' : 'before']: cursorId },
    );
  let tasks: TaskState[];
  let matching: number;
  let more: TaskList['more'];
  if (filter.status === 'waiting') {
    const waiting: TaskState[] = [];
    for (const t of (await engine.store.taskPage({ status: 'active', ...(q ? { q } : {}) })).tasks)
      if (await waitsForPerson(engine, t)) waiting.push(t);
    tasks = waiting.slice(offset, offset + limit);
    matching = waiting.length;
    more = { older: offset + limit < matching, newer: offset > 0 };
  } else {
    const status = filter.status && STATUSES.has(filter.status) ? (filter.status as TaskStatus) : undefined;
    const query = { ...(status ? { status } : {}), ...(q ? { q } : {}) };
    const place = cursor && { status: cursor.status, updatedAt: cursor.updatedAt, taskId: cursor.taskId };
    // One task more than the page tells whether there is a page after it; backwards, a short page is the first one.
    let found = await engine.store.taskPage(
      place && page.before !== undefined
        ? { ...query, before: place, limit: limit + 1 }
        : { ...query, ...(place ? { after: place } : { offset }), limit: limit + 1 },
    );
    matching = found.total;
    if (place && page.before !== undefined) {
      if (found.tasks.length <= limit) {
        found = await engine.store.taskPage({ ...query, limit: limit + 1 });
        offset = 0;
        more = { older: found.tasks.length > limit, newer: false };
        tasks = found.tasks.slice(0, limit);
      } else {
        tasks = found.tasks.slice(1);
        more = { older: true, newer: true };
        offset = Math.max(offset, 1);
      }
    } else {
      tasks = found.tasks.slice(0, limit);
      more = { older: found.tasks.length > limit, newer: place !== undefined || offset > 0 };
    }
  }
  const summaries = await Promise.all(tasks.map((t) => summarize(engine, t)));
  return ok({ tasks: summaries, matching, total, offset, limit, more });
}

/** Every entry of a task, oldest first. */
export async function taskEntries(engine: Engine, taskId: string): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  for (let from = 1; ;) {
    const page = await engine.store.entries({ taskId, fromSeq: from, limit: 2000 });
    out.push(...page);
    if (page.length < 2000) return out;
    from = page[page.length - 1]!.seq + 1;
  }
}

/** How many tasks wait for a person. */
export async function waitingCount(engine: Engine): Promise<number> {
  let n = 0;
  for (const t of await engine.store.activeTasks()) if (await waitsForPerson(engine, t)) n++;
  return n;
}
