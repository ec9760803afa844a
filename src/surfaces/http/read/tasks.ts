/** @module The task list and a task's details as the dashboard shows them: phase, holder, age, last move and flags. */
import type { LedgerEntry } from '../../../core/ledger.ts';
import { ErrorCode } from '../../../core/errors.ts';
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

const STATUS_ORDER: Record<TaskStatus, number> = { active: 0, done: 1, aborted: 2 };

/** Every task matching the filter: active ones first, then the most recently moved. */
export async function listTasks(engine: Engine, filter: TaskFilter = {}): Promise<TaskSummary[]> {
  const q = filter.q?.trim().toLowerCase();
  const tasks = (await engine.store.listTasks())
    .filter(
      (t) =>
        !filter.status ||
        filter.status === 'all' ||
        (filter.status === 'waiting' ? t.status === 'active' : t.status === filter.status),
    )
    .filter((t) => !q || t.taskId.toLowerCase().includes(q) || t.title.toLowerCase().includes(q));
  const out = await Promise.all(tasks.map((t) => summarize(engine, t)));
  return out
    .filter((t) => filter.status !== 'waiting' || t.flags.approval === 'requested' || t.flags.approval === 'escalated')
    .sort(
      (a, b) =>
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0),
    );
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
  for (const t of await engine.store.listTasks()) {
    if (t.status !== 'active') continue;
    const s = approvalState(
      await engine.store.entries({ taskId: t.taskId, kind: 'approval', fromSeq: t.phaseEpoch }),
      t,
    ).state;
    if (s === 'requested' || s === 'escalated') n++;
  }
  return n;
}
