/**
 * @module Service-level figures computed from the store over a window, and the
 * alert rules of the config evaluated against them.
 *
 * - Task success rate = done / (done + aborted + stuck), over the task outcomes
 *   dated in the window: a task is done at its finishing transition, aborted at
 *   its `task_aborted` entry, and stuck, if it is still active, at the moment
 *   its last entry other than a refusal (violation, denied tool, lease,
 *   attestation) is `slo.stuckAfterHours` old. Goal ≥ 95 %. No outcome: no value.
 * - Loop rate = the share of the tasks with an entry in the window that entered
 *   some phase more than `slo.loopThreshold` times (counted over the task's
 *   life, backtracks included). Goal ≤ 2 %.
 * - Tool MTTR = the mean time from a denied tool call (`tool_blocked`, decision
 *   deny) to the task's next recorded action (evidence, verify, transition or
 *   backtrack entry), per incident: denials before the same action are one
 *   incident, timed from the first. Allowed tool calls are not in the ledger, so
 *   this is the time to the next step Autopilot saw, an upper bound of the
 *   agent's recovery. Incidents still open are counted, not averaged. Goal ≤ 30 s.
 * - Groundedness score = the mean, over the tasks that left a grounded phase
 *   (PLAN, THINK) in the window, of each task's latest score there: the share
 *   of the files and symbols its spec, plan and edge cases cite that resolve
 *   in the code (`data.grounding.score` of the transition). Goal ≥ 90 %.
 */
import type { LedgerEntry } from '../../core/ledger.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { Counter, randomSpanId, type FiringAlert } from '../../ports/events.ts';
import { countersOf, entriesInWindow, windowOf, type TimeWindow } from './metrics.ts';
import { ALERTS_HEADER, ALERTS_JOURNAL, alertLine, appendJournal } from '../ledger/journal.ts';
import type { Engine } from '../context.ts';

/** The goals the figures are held to. */
export const SLO_GOALS = {
  task_success_rate: { op: 'gte', target: 0.95 },
  loop_rate: { op: 'lte', target: 0.02 },
  tool_mttr_seconds: { op: 'lte', target: 30 },
  groundedness_score: { op: 'gte', target: 0.9 },
} as const;

/** The names an alert rule's `metric` may take: the four figures and the contract's counters. */
export const ALERT_METRICS: readonly string[] = [...Object.keys(SLO_GOALS), ...Object.values(Counter)];

export interface SloReport {
  readonly window: TimeWindow;
  readonly taskSuccessRate: {
    readonly value: number | null;
    readonly done: number;
    readonly aborted: number;
    readonly stuck: number;
    readonly stuckTasks: readonly string[];
    readonly goal: number;
    readonly met: boolean | null;
  };
  readonly loopRate: {
    readonly value: number | null;
    readonly tasks: number;
    readonly looping: number;
    readonly loopingTasks: readonly string[];
    /** Tasks the watchdog held in the window (counted among the looping ones). */
    readonly heldByWatchdog: readonly string[];
    readonly threshold: number;
    readonly goal: number;
    readonly met: boolean | null;
  };
  readonly toolMttr: {
    readonly seconds: number | null;
    readonly incidents: number;
    readonly open: number;
    readonly goal: number;
    readonly met: boolean | null;
  };
  readonly groundedness: {
    readonly value: number | null;
    /** Tasks with a grounded transition in the window, and those whose latest score is under the goal. */
    readonly tasks: number;
    readonly belowGoal: readonly string[];
    readonly goal: number;
    readonly met: boolean | null;
  };
}

const REFUSAL_KINDS = new Set(['violation', 'tool_blocked', 'lease', 'attestation', 'prompt_drift']);
const ACTION_KINDS = new Set(['evidence', 'verify', 'transition', 'backtrack']);

/** When an active task last made progress: its newest entry that is not a refusal or a side record. */
async function lastProgressMs(engine: Engine, taskId: string, startedAt: string): Promise<number> {
  const recent = await engine.store.entries({ taskId, newestFirst: true, limit: 200 });
  const entry = recent.find((x) => !REFUSAL_KINDS.has(x.kind));
  return Date.parse(entry?.ts ?? startedAt);
}

/** Mean time to the next action after denied tool calls, per incident (see the module header). */
export function toolMttr(entries: readonly LedgerEntry[]): { seconds: number | null; incidents: number; open: number } {
  const openSince = new Map<string, number>();
  const durations: number[] = [];
  for (const x of entries) {
    if (x.taskId === null) continue;
    if (x.kind === 'tool_blocked' && x.data['decision'] === 'deny') {
      if (!openSince.has(x.taskId)) openSince.set(x.taskId, Date.parse(x.ts));
    } else if (ACTION_KINDS.has(x.kind)) {
      const since = openSince.get(x.taskId);
      if (since !== undefined) {
        durations.push(Date.parse(x.ts) - since);
        openSince.delete(x.taskId);
      }
    }
  }
  const seconds = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length / 1000 : null;
  return { seconds, incidents: durations.length + openSince.size, open: openSince.size };
}

/** Each task's latest groundedness score in `entries` (time order), and their mean (see the module header). */
export function groundedness(entries: readonly LedgerEntry[]): { value: number | null; scores: Map<string, number> } {
  const scores = new Map<string, number>();
  for (const x of entries) {
    if (x.taskId === null || x.kind !== 'transition') continue;
    const g = x.data['grounding'];
    const score = g && typeof g === 'object' ? (g as { score?: unknown }).score : undefined;
    if (typeof score === 'number' && Number.isFinite(score)) scores.set(x.taskId, score);
  }
  const values = [...scores.values()];
  const value = values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
  return { value: value === null ? null : Math.round(value * 10000) / 10000, scores };
}

const meets = (value: number | null, goal: { op: 'gte' | 'lte'; target: number }) =>
  value === null ? null : goal.op === 'gte' ? value >= goal.target : value <= goal.target;

/** The three figures over the window ending now. */
export async function computeSlo(engine: Engine, windowMs: number): Promise<SloReport> {
  const until = engine.clock.now().getTime();
  const since = until - windowMs;
  return sloOf(engine, await entriesInWindow(engine, since, until), since, until);
}

async function sloOf(
  engine: Engine,
  entries: readonly LedgerEntry[],
  since: number,
  until: number,
): Promise<SloReport> {
  const done = new Set<string>();
  const aborted = new Set<string>();
  for (const x of entries) {
    if (x.taskId === null) continue;
    if (x.kind === 'transition' && x.data['status'] === 'done') done.add(x.taskId);
    if (x.kind === 'task_aborted') aborted.add(x.taskId);
  }
  const tasks = await engine.store.listTasks();
  const stuckTasks: string[] = [];
  const stuckAfter = engine.config.slo.stuckAfterHours * 3_600_000;
  for (const t of tasks) {
    if (t.status !== 'active' || Date.parse(t.updatedAt) + stuckAfter <= since) continue;
    const stuckAt = (await lastProgressMs(engine, t.taskId, t.startedAt)) + stuckAfter;
    if (stuckAt > since && stuckAt <= until) stuckTasks.push(t.taskId);
  }
  const outcomes = done.size + aborted.size + stuckTasks.length;
  const success = outcomes ? done.size / outcomes : null;

  const seen = new Set(entries.map((x) => x.taskId).filter((t): t is string => t !== null));
  const threshold = engine.config.slo.loopThreshold;
  // A task the watchdog held in the window loops too, however few its visits.
  const held = new Set(entries.filter((x) => x.kind === 'task_held' && x.taskId !== null).map((x) => x.taskId!));
  const loopingTasks = tasks
    .filter((t) => seen.has(t.taskId) && (held.has(t.taskId) || Object.values(t.visits).some((n) => n > threshold)))
    .map((t) => t.taskId);
  const population = tasks.filter((t) => seen.has(t.taskId)).length;
  const loop = population ? loopingTasks.length / population : null;

  const mttr = toolMttr(entries);
  const grounded = groundedness(entries);
  const groundGoal = SLO_GOALS.groundedness_score;
  return {
    window: windowOf(since, until),
    taskSuccessRate: {
      value: success,
      done: done.size,
      aborted: aborted.size,
      stuck: stuckTasks.length,
      stuckTasks: stuckTasks.sort(),
      goal: SLO_GOALS.task_success_rate.target,
      met: meets(success, SLO_GOALS.task_success_rate),
    },
    loopRate: {
      value: loop,
      tasks: population,
      looping: loopingTasks.length,
      loopingTasks: loopingTasks.sort(),
      heldByWatchdog: [...held].sort(),
      threshold,
      goal: SLO_GOALS.loop_rate.target,
      met: meets(loop, SLO_GOALS.loop_rate),
    },
    toolMttr: {
      ...mttr,
      goal: SLO_GOALS.tool_mttr_seconds.target,
      met: meets(mttr.seconds, SLO_GOALS.tool_mttr_seconds),
    },
    groundedness: {
      value: grounded.value,
      tasks: grounded.scores.size,
      belowGoal: [...grounded.scores]
        .filter(([, s]) => s < groundGoal.target)
        .map(([t]) => t)
        .sort(),
      goal: groundGoal.target,
      met: meets(grounded.value, groundGoal),
    },
  };
}

export interface AlertResult {
  readonly name: string;
  readonly metric: string;
  readonly op: FiringAlert['op'];
  readonly threshold: number;
  readonly windowHours: number;
  /** The metric over the rule's window; null when there was nothing to measure (a null never fires). */
  readonly value: number | null;
  readonly firing: boolean;
}

export interface AlertsReport {
  readonly evaluatedAt: string;
  readonly alerts: readonly AlertResult[];
  readonly firing: readonly FiringAlert[];
  /** The `autopilot.alerts` span the evaluation was recorded as. */
  readonly spanId: string;
}

const compare = (value: number, op: FiringAlert['op'], threshold: number) =>
  op === 'gt'
    ? value > threshold
    : op === 'gte'
      ? value >= threshold
      : op === 'lt'
        ? value < threshold
        : value <= threshold;

/**
 * Evaluates the config's alert rules, each over its own window ending now. The
 * evaluation is an `autopilot.alerts` span with an event per firing alert, and
 * each firing alert is a line of the journal's `_alerts.md`.
 */
export async function evaluateAlerts(engine: Engine): Promise<Result<AlertsReport>> {
  for (const [i, rule] of engine.config.alerts.entries()) {
    if (!ALERT_METRICS.includes(rule.metric)) {
      return refuse(
        ErrorCode.CONFIG_INVALID,
        `config key alerts.${i}.metric: unknown metric "${rule.metric}"; use one of ${ALERT_METRICS.join(', ')}`,
        {
          key: `alerts.${i}.metric`,
          reason: 'unknown metric',
        },
      );
    }
  }
  const startMs = Date.now();
  const now = engine.clock.now();
  const until = now.getTime();
  const byWindow = new Map<number, Promise<{ slo: SloReport; counters: Record<Counter, number> }>>();
  const figures = (hours: number) => {
    let f = byWindow.get(hours);
    if (!f) {
      const since = until - hours * 3_600_000;
      f = entriesInWindow(engine, since, until).then(async (entries) => ({
        slo: await sloOf(engine, entries, since, until),
        counters: countersOf(entries).counters,
      }));
      byWindow.set(hours, f);
    }
    return f;
  };
  const alerts: AlertResult[] = [];
  for (const rule of engine.config.alerts) {
    const { slo, counters } = await figures(rule.windowHours);
    const value =
      rule.metric === 'task_success_rate'
        ? slo.taskSuccessRate.value
        : rule.metric === 'loop_rate'
          ? slo.loopRate.value
          : rule.metric === 'tool_mttr_seconds'
            ? slo.toolMttr.seconds
            : rule.metric === 'groundedness_score'
              ? slo.groundedness.value
              : counters[rule.metric as Counter];
    alerts.push({ ...rule, value, firing: value !== null && compare(value, rule.op, rule.threshold) });
  }
  const firing: FiringAlert[] = alerts
    .filter((a) => a.firing)
    .map((a) => ({
      name: a.name,
      metric: a.metric,
      op: a.op,
      threshold: a.threshold,
      value: a.value as number,
      windowHours: a.windowHours,
    }));
  const spanId = randomSpanId();
  engine.sink.emit({
    type: 'alerts',
    taskId: null,
    spanId,
    evaluated: alerts.length,
    firing,
    startMs,
    endMs: Date.now(),
  });
  appendJournal(
    engine.layout.journalDir,
    ALERTS_JOURNAL,
    ALERTS_HEADER,
    firing.map((a) => alertLine(now, a, spanId)),
  );
  return ok({ evaluatedAt: now.toISOString(), alerts, firing, spanId });
}
