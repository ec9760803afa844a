/**
 * @module A person's decision to adopt the config loaded now as a task's contract. The new contract's text is
 * written beside the task's evidence as its next version and named, with its digest, by a signed
 * `contract_adopted` entry carrying the person's passkey proof; the task's later moves are compared with it, and the
 * CI gate judges them by it.
 */
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import type { StoreTx } from '../../ports/store.ts';
import { append } from '../ledger/record.ts';
import { taskFolder } from '../evidence/folder.ts';
import { configDigest } from '../repo/config-digest.ts';
import { contractChange, contractText, contractVersionRel, type ContractChange } from '../repo/contract.ts';
import { sha256Hex, writeAtomic } from '../repo/files.ts';
import type { Actor, Engine } from '../context.ts';

/** Refused when the config loaded now is already `state`'s contract (or the task adopted none): nothing to adopt. */
export function adoptable(engine: Engine, state: TaskState): Result<ContractChange> {
  const change = contractChange(engine.layout.stateDir, engine.config, state);
  if (!change) {
    return refuse(
      ErrorCode.USAGE,
      state.contract
        ? `the config is already the contract ${state.taskId} adopted (digest ${state.contract.digest.slice(0, 12)}…): there is nothing to adopt`
        : `${state.taskId} was started before tasks recorded their contract: it is judged by the committed config, and there is nothing to adopt`,
      { argument: 'adopt-contract' },
    );
  }
  return ok(change);
}

/**
 * Records the adoption inside the decision's transaction, with `proof` (the signed decision's fields the entry must
 * carry: its diff digest and passkey assertion); refused when there is nothing to adopt.
 */
export async function adoptContract(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  person: Actor,
  reason: string,
  proof: Readonly<Record<string, unknown>>,
): Promise<Result<{ task: TaskState; entry: LedgerEntry }>> {
  const adopting = adoptable(engine, state);
  if (!adopting.ok) return adopting;
  const change = adopting.value;
  const folder = taskFolder(engine.layout, state.taskId);
  if (!folder.ok) return folder;
  const version = (state.contract?.version ?? 1) + 1;
  const rel = contractVersionRel(state.taskId, version);
  const text = contractText(engine.layout.configFile, engine.config);
  // Written before the entry commits, like the first contract at task start: a decision that fails leaves a file
  // no entry names, which the next adoption of that version replaces.
  writeAtomic(folder.value, rel.slice(rel.lastIndexOf('/') + 1), text);
  const entry = await append(engine, tx, {
    taskId: state.taskId,
    kind: 'contract_adopted',
    fromPhase: state.phase,
    toPhase: null,
    actor: person.id,
    artifacts: [{ path: rel, sha256: sha256Hex(text), producer: 'autopilot' }],
    data: {
      reason,
      by: person.id,
      version,
      previous: change.adopted,
      configDigest: configDigest(engine.config),
      keys: change.keys,
      ...proof,
    },
  });
  return ok({ task: (await tx.getTask(state.taskId)) ?? state, entry });
}
