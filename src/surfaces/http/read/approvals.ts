/** @module The approval panel's list: active tasks waiting for a person, with the risk, the diff summary and the request. */
import type { LedgerEntry } from '../../../core/ledger.ts';
import type { TaskState } from '../../../core/task.ts';
import type { RiskReason } from '../../../core/risk.ts';
import { approvalState } from '../../../engine/approvals/guard.ts';
import { escalationOf } from '../../../engine/approvals/hold.ts';
import { taskDiff } from '../../../engine/evidence/producers/diff.ts';
import { contractStatus } from '../../../engine/task/contract.ts';
import { modeChanges } from '../../../engine/approvals/modes.ts';
import type { ModeChange } from '../../../core/decision.ts';
import { changedGateInputs } from '../../../engine/approvals/gate-inputs.ts';
import type { GateInput } from '../../../core/decision.ts';
import type { Engine } from '../../../engine/context.ts';
import { taskArtifacts, type ArtifactInfo } from './evidence.ts';
import { taskEntries } from './tasks.ts';

export interface DiffFile {
  readonly path: string;
  readonly status: string;
  readonly additions: number;
  readonly deletions: number;
}

export interface WaitingApproval {
  readonly task: TaskState;
  readonly state: 'requested' | 'escalated';
  /** The request of this phase visit (by policy or by the agent). */
  readonly request: LedgerEntry;
  /** The newest approval entry: the request, or an escalation. */
  readonly latest: LedgerEntry;
  /** The phase the task wants to enter, when the request is for a move. */
  readonly to: string | null;
  readonly risk: {
    readonly level: string | null;
    readonly reasons: readonly RiskReason[];
    readonly changedLines: number | null;
    readonly files: number | null;
  };
  /** Why the agent asked, when it did. */
  readonly reason: string | null;
  /** The task's diff from its base commit, as it is now. */
  readonly diff: { readonly files: readonly DiffFile[]; readonly additions: number; readonly deletions: number } | null;
  readonly evidence: readonly ArtifactInfo[];
  /** The phases a change request may send the task back to. */
  readonly backtrackTargets: readonly string[];
  /** The target the panel offers first: the implement phase (`roles.implement`) when it is one, else the latest. */
  readonly backtrackDefault: string | undefined;
  /**
   * The `backtrack_proposed` entry the request carries, when an unhealthy deployment asked: requesting changes to
   * `backtrackDefault` accepts the proposal, approving declines it.
   */
  readonly proposal: number | null;
}

/** The approval standing in a task's current phase visit, when it waits for a person. */
export async function waitingFor(engine: Engine, task: TaskState): Promise<WaitingApproval | undefined> {
  if (task.status !== 'active') return undefined;
  const visit = await engine.store.entries({ taskId: task.taskId, kind: 'approval', fromSeq: task.phaseEpoch });
  const approval = approvalState(visit, task);
  const waiting = (approval.state === 'requested' || approval.state === 'escalated') && approval.entry;
  // A task the watchdog held waits for a person too, with nothing asked.
  const held = waiting ? undefined : await escalationOf(engine, task);
  const standing = held ? { state: 'escalated' as const, entry: held } : approval;
  if ((standing.state !== 'requested' && standing.state !== 'escalated') || !standing.entry) return undefined;
  const request = held ?? [...visit].reverse().find((x) => x.data['action'] === 'requested') ?? standing.entry;
  const d = request.data;
  let diff: WaitingApproval['diff'] = null;
  try {
    const files = (await taskDiff(engine, task)).files.map((f) => ({
      path: f.path,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
    }));
    diff = {
      files,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
    };
  } catch {
    diff = null; // not a git checkout any more: the panel says so
  }
  const entries = await taskEntries(engine, task.taskId);
  const index = engine.config.phases.indexOf(task.phase);
  const targets = engine.config.phases.slice(0, Math.max(0, index));
  const implement = engine.config.roles.implement;
  return {
    task,
    state: standing.state,
    request,
    latest: standing.entry,
    to: request.toPhase,
    risk: {
      level: typeof d['risk'] === 'string' ? d['risk'] : null,
      reasons: Array.isArray(d['reasons']) ? (d['reasons'] as RiskReason[]) : [],
      changedLines: typeof d['changedLines'] === 'number' ? d['changedLines'] : null,
      files: typeof d['files'] === 'number' ? d['files'] : null,
    },
    reason: typeof d['reason'] === 'string' ? d['reason'] : null,
    diff,
    evidence: taskArtifacts(engine, task, entries).filter((a) => a.staleRound === null),
    backtrackTargets: targets,
    // A backtrack proposal (an unhealthy deployment's) offers its own phase: requesting changes to it accepts it.
    backtrackDefault:
      typeof d['proposal'] === 'number' && targets.includes(String(d['backtrackTo']))
        ? String(d['backtrackTo'])
        : implement !== null && targets.includes(implement)
          ? implement
          : targets.at(-1),
    proposal: typeof d['proposal'] === 'number' ? d['proposal'] : null,
  };
}

/** Every task waiting for a person, the longest waiting first. */
export async function waitingApprovals(engine: Engine): Promise<WaitingApproval[]> {
  const out: WaitingApproval[] = [];
  for (const t of await engine.store.activeTasks()) {
    const w = await waitingFor(engine, t);
    if (w) out.push(w);
  }
  return out.sort((a, b) => a.request.seq - b.request.seq);
}

/** An active task whose config is no longer the contract it adopted: its moves wait until a person adopts it. */
export interface ContractWaiting {
  readonly task: TaskState;
  /** The dotted config keys that differ. */
  readonly keys: readonly string[];
  /** When only modes of gates or policies changed: each mode, from and to, which a person may change on its own. */
  readonly modes?: readonly ModeChange[];
}

/** Every active task whose config changed since it adopted its contract. */
export async function contractChanges(engine: Engine): Promise<ContractWaiting[]> {
  const out: ContractWaiting[] = [];
  for (const t of await engine.store.activeTasks()) {
    const c = contractStatus(engine, t);
    if (!c.changed) continue;
    const modes = modeChanges(engine, t);
    out.push({ task: t, keys: c.keys, ...(modes.ok ? { modes: modes.value } : {}) });
  }
  return out;
}

/** An active task whose working tree changes the gate's own files, not yet allowed by a person at these digests. */
export interface GateInputsWaiting {
  readonly task: TaskState;
  /** The changed files, with the SHA-256 of their content now. */
  readonly inputs: readonly GateInput[];
}

/**
 * Every active task whose gate files (its workflow) differ from its base commit, unless a person already allowed
 * them as they are now: the CI gate fails such a branch until a person does.
 */
export async function gateInputChanges(engine: Engine): Promise<GateInputsWaiting[]> {
  const out: GateInputsWaiting[] = [];
  for (const t of await engine.store.activeTasks()) {
    const inputs = await changedGateInputs(engine, t).catch(() => []);
    if (inputs.length === 0) continue;
    const allowed = (await engine.store.entries({ taskId: t.taskId, kind: 'gate_inputs_adopted' })).flatMap((x) =>
      Array.isArray(x.data['inputs']) ? (x.data['inputs'] as GateInput[]) : [],
    );
    const open = inputs.filter((i) => !allowed.some((a) => a.path === i.path && a.sha256 === i.sha256));
    if (open.length) out.push({ task: t, inputs });
  }
  return out;
}
