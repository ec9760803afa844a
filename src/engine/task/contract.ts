/**
 * @module The contract check every move and write of a task goes through: the config loaded now must be the
 * contract the task adopted (at its start, or by a person's decision since). A config changed mid-task, weakened
 * or not, is refused (CONFIG_CHANGED) and recorded, until it is restored or a person adopts it for the task.
 */
import { ErrorCode, ok, refuse, type Remedy, type Result } from '../../core/errors.ts';
import type { TaskState } from '../../core/task.ts';
import type { StoreTx } from '../../ports/store.ts';
import { recordRefusal } from '../ledger/record.ts';
import { contractChange, type ContractChange } from '../repo/contract.ts';
import { configDigest } from '../repo/config-digest.ts';
import type { Actor, Engine } from '../context.ts';

/** The refusal of a move under another config than the task's contract. */
export function refuseConfigChanged(taskId: string, change: ContractChange) {
  const keys = change.keys.length
    ? `${change.keys.slice(0, 8).join(', ')}${change.keys.length > 8 ? ` and ${change.keys.length - 8} more` : ''}`
    : (change.note ?? 'the keys could not be compared');
  return refuse(
    ErrorCode.CONFIG_CHANGED,
    `the config is not the contract ${taskId} adopted (changed: ${keys}); ${taskId} moves only under its contract. Restore .autopilot/config.yaml (git checkout -- .autopilot/config.yaml), or have a person adopt the new config for this task with their passkey ("Adopt the new contract" in the dashboard's approval panel). A running MCP server or dashboard reads the config when it starts: restart it after changing the config`,
    {
      taskId,
      remedy: { person: 'dashboard' } satisfies Remedy,
      adopted: change.adopted,
      current: change.current,
      keys: change.keys,
      ...(change.note ? { note: change.note } : {}),
    },
  );
}

/** Checks the contract of an active task inside a transaction; a change is refused and recorded as a violation. */
export async function guardContract(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  attempt: { action: string; to?: string | null },
  startMs: number,
): Promise<Result<void>> {
  if (state.status !== 'active') return ok(undefined);
  const change = contractChange(engine.layout.stateDir, engine.config, state);
  if (!change) return ok(undefined);
  const r = refuseConfigChanged(state.taskId, change);
  return { ok: false, error: await recordRefusal(engine, tx, state, actor, attempt, r.error, startMs) };
}

/** What reading verbs say of the contract: whether the config loaded now is the task's, and what changed. */
export function contractStatus(
  engine: Engine,
  state: TaskState,
): { adopted: string | null; current: string; version: number | null; changed: boolean; keys: string[] } {
  const change = contractChange(engine.layout.stateDir, engine.config, state);
  return {
    adopted: state.contract?.digest ?? null,
    current: change?.current ?? configDigest(engine.config),
    version: state.contract?.version ?? null,
    changed: !!change,
    keys: change?.keys ?? [],
  };
}
