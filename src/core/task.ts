/**
 * @module Task state as a fold over the task's ledger entries, and the pure
 * decisions about moves. The store keeps the fold's result as a projection; the
 * ledger stays the source of truth and `ledger verify` rebuilds it.
 */
import type { ArtifactRef, LedgerEntry } from './ledger.ts';
import { ErrorCode, ok, refuse, type Remedy, type Result } from './errors.ts';
import { nextPhase, phaseIndex, type Phase } from './phases.ts';
import type { Config } from './config.ts';

export type TaskStatus = 'active' | 'done' | 'aborted';

export interface TaskState {
  readonly taskId: string;
  readonly title: string;
  readonly status: TaskStatus;
  /** The current phase; the last phase for a finished task. */
  readonly phase: Phase;
  readonly baseCommit: string | null;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly phaseEnteredAt: string;
  /** Sequence number of the entry that last entered the current phase: evidence before it is stale. */
  readonly phaseEpoch: number;
  readonly lastSeq: number;
  /** How many times each phase was entered. */
  readonly visits: Readonly<Record<Phase, number>>;
  /** Live artifacts by path (relative to the state folder): the digest the ledger last recorded, and where. */
  readonly artifacts: Readonly<Record<string, LiveArtifact>>;
  readonly counts: { readonly refusals: number; readonly backtracks: number; readonly skips: number };
  /**
   * The contract the task moves under: the config digest its task_started entry recorded, or the latest one a
   * person adopted for it (`contract_adopted`), with the file that holds its text. Absent for tasks started before
   * tasks recorded their contract.
   */
  readonly contract?: TaskContractRef;
  /** What the task was started with to pick its prompt: a pinned persona, domains and labels. Absent: none. */
  readonly routing?: TaskRouting;
}

/**
 * How a task routes its prompt, as `task start` recorded it: a persona pinned for every phase it serves, the domains
 * named explicitly (overlay ids) and the labels (an overlay's id or one of its labels picks it).
 */
export interface TaskRouting {
  readonly persona?: string;
  readonly domains: readonly string[];
  readonly labels: readonly string[];
}

/** The routing a task_started entry's `data.routing` records, or undefined when it records none. */
export function routingOf(data: Readonly<Record<string, unknown>>): TaskRouting | undefined {
  const r = data['routing'];
  if (!r || typeof r !== 'object' || Array.isArray(r)) return undefined;
  const o = r as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    ...(typeof o['persona'] === 'string' ? { persona: o['persona'] } : {}),
    domains: strings(o['domains']),
    labels: strings(o['labels']),
  };
}

/** The contract a task adopted: the config's digest, its text's file (relative to the state folder), its version. */
export interface TaskContractRef {
  readonly digest: string;
  readonly path: string | null;
  /** 1 at the start, one more at each adoption. */
  readonly version: number;
}

export interface LiveArtifact extends ArtifactRef {
  /** Sequence number of the entry that recorded this digest. */
  readonly seq: number;
}

export interface ArchivedArtifact {
  readonly from: string;
  readonly to: string;
}

/** Applies one entry of the task to its state. Entries of other tasks must not be passed. */
export function applyEntry(state: TaskState | undefined, entry: LedgerEntry): TaskState | undefined {
  if (entry.kind === 'task_started') {
    const phase = entry.toPhase ?? '';
    return {
      taskId: entry.taskId ?? '',
      title: typeof entry.data['title'] === 'string' ? entry.data['title'] : '',
      status: 'active',
      phase,
      baseCommit: typeof entry.data['baseCommit'] === 'string' ? entry.data['baseCommit'] : null,
      startedAt: entry.ts,
      updatedAt: entry.ts,
      phaseEnteredAt: entry.ts,
      phaseEpoch: entry.seq,
      lastSeq: entry.seq,
      visits: { [phase]: 1 },
      // The contract the task adopted, when the entry records it.
      artifacts: Object.fromEntries(entry.artifacts.map((a) => [a.path, { ...a, seq: entry.seq }])),
      counts: { refusals: 0, backtracks: 0, skips: 0 },
      ...(typeof entry.data['configDigest'] === 'string'
        ? { contract: { digest: entry.data['configDigest'], path: entry.artifacts[0]?.path ?? null, version: 1 } }
        : {}),
      ...(routingOf(entry.data) ? { routing: routingOf(entry.data) as TaskRouting } : {}),
    };
  }
  if (!state) return undefined;
  const base = { ...state, updatedAt: entry.ts, lastSeq: entry.seq };
  const withArtifacts = (artifacts: Record<string, LiveArtifact>) => {
    for (const a of entry.artifacts) artifacts[a.path] = { ...a, seq: entry.seq };
    return artifacts;
  };
  switch (entry.kind) {
    case 'transition': {
      const artifacts = withArtifacts({ ...state.artifacts });
      if (entry.data['status'] === 'done') return { ...base, status: 'done', artifacts };
      const to = entry.toPhase ?? state.phase;
      return {
        ...base,
        phase: to,
        phaseEnteredAt: entry.ts,
        phaseEpoch: entry.seq,
        visits: { ...state.visits, [to]: (state.visits[to] ?? 0) + 1 },
        artifacts,
      };
    }
    case 'backtrack': {
      const artifacts = { ...state.artifacts };
      const archived = (entry.data['archived'] ?? []) as ArchivedArtifact[];
      for (const a of archived) delete artifacts[a.from];
      withArtifacts(artifacts);
      const to = entry.toPhase ?? state.phase;
      return {
        ...base,
        phase: to,
        phaseEnteredAt: entry.ts,
        phaseEpoch: entry.seq,
        visits: { ...state.visits, [to]: (state.visits[to] ?? 0) + 1 },
        artifacts,
        counts: { ...state.counts, backtracks: state.counts.backtracks + 1 },
      };
    }
    case 'evidence':
    case 'verify':
    case 'outbox':
      return { ...base, artifacts: withArtifacts({ ...state.artifacts }) };
    case 'violation': {
      const skip = entry.data['code'] === ErrorCode.PHASE_SKIP ? 1 : 0;
      return {
        ...base,
        counts: { ...state.counts, refusals: state.counts.refusals + 1, skips: state.counts.skips + skip },
      };
    }
    case 'tool_blocked':
      return { ...base, counts: { ...state.counts, refusals: state.counts.refusals + 1 } };
    case 'task_aborted':
      return { ...base, status: 'aborted' };
    case 'contract_adopted': {
      // A person adopted another config as the task's contract: later moves are compared with it.
      const digest = entry.data['configDigest'];
      if (typeof digest !== 'string') return base;
      const contract = { digest, path: entry.artifacts[0]?.path ?? null, version: (state.contract?.version ?? 1) + 1 };
      return { ...base, contract, artifacts: withArtifacts({ ...state.artifacts }) };
    }
    case 'task_renamed':
      // A new title and nothing else: phase, counts and evidence stay as they were.
      return typeof entry.data['title'] === 'string' ? { ...base, title: entry.data['title'] } : base;
    default:
      return base;
  }
}

/** Folds a task's entries, in order, into its state. */
export function foldTask(entries: readonly LedgerEntry[]): TaskState | undefined {
  let state: TaskState | undefined;
  for (const e of entries) state = applyEntry(state, e);
  return state;
}

export interface MoveDecision {
  readonly from: Phase;
  /** The phase entered, or null when the task finishes. */
  readonly to: Phase | null;
}

/**
 * The refusal of any change to a task that is no longer active: TASK_DONE when it finished, ABORTED when a person
 * stopped it. `what` says what was refused (`its evidence is sealed`); the default points to a new task.
 */
export function refuseInactive(state: Pick<TaskState, 'taskId' | 'status'>, what = 'start a new task for new work') {
  const code = state.status === 'aborted' ? ErrorCode.ABORTED : ErrorCode.TASK_DONE;
  const how = state.status === 'aborted' ? 'was aborted by a person' : `is ${state.status}`;
  return refuse(code, `task ${state.taskId} ${how}; ${what}`, { taskId: state.taskId, status: state.status });
}

const refuseFinished = (state: TaskState) => refuseInactive(state);

/**
 * The refusal for a task id the store does not know. The message names no command: each surface adds its own next
 * step (the CLI's verbs, the MCP tools), since an MCP client cannot run a CLI verb it is told about.
 */
export function refuseTaskUnknown(taskId: string) {
  return refuse(ErrorCode.TASK_UNKNOWN, `no task ${taskId}`, { taskId });
}

/**
 * A forward move: only to the next phase (leaving MONITOR finishes the task).
 * `to` undefined means "the next phase".
 */
export function decideAdvance(state: TaskState, to: Phase | undefined, config: Config): Result<MoveDecision> {
  if (state.status !== 'active') return refuseFinished(state);
  const next = nextPhase(config.phases, state.phase) ?? null;
  if (to === undefined || to === next) return ok({ from: state.phase, to: next });
  if (!config.phases.includes(to)) return refusePhaseUnknown(to, config);
  const ti = phaseIndex(config.phases, to);
  const ci = phaseIndex(config.phases, state.phase);
  if (ti <= ci) {
    return refuse(
      ErrorCode.PHASE_SKIP,
      `advance only moves forward; to go back from ${state.phase} to ${to}, backtrack`,
      { taskId: state.taskId, from: state.phase, to, next, back: true },
    );
  }
  return refuse(
    ErrorCode.PHASE_SKIP,
    `cannot skip from ${state.phase} to ${to}: the next phase is ${next ?? 'the end of the task'}; pass ${config.phases
      .slice(ci + 1, ti)
      .join(', ')} first`,
    { from: state.phase, to, next },
  );
}

export function refusePhaseUnknown(phase: string, config: Config) {
  return refuse(ErrorCode.PHASE_UNKNOWN, `unknown phase "${phase}"; phases are ${config.phases.join(', ')}`, {
    phase,
    known: config.phases,
  });
}

/** A backtrack: to any earlier phase, from a phase the config allows, with a reason. */
export function decideBacktrack(state: TaskState, to: Phase, reason: string, config: Config): Result<MoveDecision> {
  if (state.status !== 'active') return refuseFinished(state);
  if (!config.phases.includes(to)) return refusePhaseUnknown(to, config);
  if (reason.trim().length === 0) {
    return refuse(ErrorCode.USAGE, 'a backtrack needs a reason: --reason "what went wrong"', { argument: 'reason' });
  }
  const ti = phaseIndex(config.phases, to);
  const ci = phaseIndex(config.phases, state.phase);
  if (ti >= ci) {
    return refuse(
      ErrorCode.PHASE_SKIP,
      `backtrack only goes to an earlier phase than ${state.phase}; to move forward, advance`,
      {
        taskId: state.taskId,
        from: state.phase,
        to,
        next: nextPhase(config.phases, state.phase) ?? null,
        remedy: { forward: true } satisfies Remedy,
      },
    );
  }
  const allowed = config.process.backtrackFrom;
  if (allowed !== 'any' && !allowed.includes(state.phase)) {
    return refuse(
      ErrorCode.PHASE_SKIP,
      `the config does not allow backtracking from ${state.phase} (process.backtrackFrom: ${allowed.join(', ')})`,
      { from: state.phase, to, next: nextPhase(config.phases, state.phase) ?? null },
    );
  }
  return ok({ from: state.phase, to });
}

/** Phases from `to` through `from`, inclusive: whose evidence a backtrack makes stale. */
export function stalePhases(config: Config, from: Phase, to: Phase): Phase[] {
  return config.phases.slice(phaseIndex(config.phases, to), phaseIndex(config.phases, from) + 1);
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Task ids become folder names: letters, digits, dot, dash, underscore, at most 64, not starting with a dot. */
/** The longest title a task may have. */
export const MAX_TITLE_LENGTH = 200;

/**
 * A task's title, trimmed: at most {@link MAX_TITLE_LENGTH} characters of one
 * line; empty only where `required` is false (`task start` takes none).
 */
export function checkTitle(raw: string, required: boolean): Result<string> {
  const title = raw.trim();
  if (title.length === 0 && required)
    return refuse(ErrorCode.USAGE, 'the title is empty; give the new title, e.g. --title "Add rate limiting"', {
      argument: 'title',
    });
  if (title.length > MAX_TITLE_LENGTH)
    return refuse(
      ErrorCode.USAGE,
      `the title is ${title.length} characters long; shorten it to at most ${MAX_TITLE_LENGTH}`,
      { argument: 'title' },
    );
  // A line break or another control character would break the task list and the journal's one line a decision.
  if (/\p{Cc}/u.test(title))
    return refuse(ErrorCode.USAGE, 'the title has a line break or another control character; give it on one line', {
      argument: 'title',
    });
  return ok(title);
}

export function checkTaskId(taskId: string): Result<string> {
  if (!TASK_ID.test(taskId) || taskId.includes('..')) {
    return refuse(
      ErrorCode.USAGE,
      `invalid task id "${taskId.slice(0, 80)}": use letters, digits, ".", "-" or "_" (at most 64, e.g. T-1 or JIRA-123)`,
      { argument: 'taskId' },
    );
  }
  return ok(taskId);
}
