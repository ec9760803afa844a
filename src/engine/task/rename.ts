/**
 * @module Use case: give a task a new title after its scope changed. A
 * `task_renamed` ledger entry whose projection changes the title and nothing
 * else; like every write it needs the task's lease.
 */
import { ok, type Result } from '../../core/errors.ts';
import { checkTitle, type TaskState, refuseInactive } from '../../core/task.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { append } from '../ledger/record.ts';
import { guardLease } from './leases.ts';
import type { Actor, Engine } from '../context.ts';
import { loadTask } from '../ledger/load-task.ts';
import { guardRoleRecorded } from '../evidence/role.ts';

export interface RenameTaskRequest {
  readonly taskId: string;
  readonly title: string;
  readonly token?: number;
}

export interface RenameTaskOutcome {
  readonly task: TaskState;
  readonly previousTitle: string;
  /** The entry that recorded the new title; null when the title was already this one (nothing is written). */
  readonly entry: LedgerEntry | null;
}

export async function renameTask(
  engine: Engine,
  actor: Actor,
  req: RenameTaskRequest,
): Promise<Result<RenameTaskOutcome>> {
  const startMs = Date.now();
  const role = await guardRoleRecorded(engine, actor, 'task_rename', req.taskId);
  if (!role.ok) return role;
  const title = checkTitle(req.title, true);
  if (!title.ok) return title;
  return engine.store.transact(async (tx): Promise<Result<RenameTaskOutcome>> => {
    const loaded = await loadTask(tx, req.taskId);
    if (!loaded.ok) return loaded;
    const state = loaded.value;
    // A finished task's record is what was done under its title: it stays as it was.
    if (state.status !== 'active') return refuseInactive(state, 'its title stays as it was recorded');
    if (state.title === title.value) return ok({ task: state, previousTitle: state.title, entry: null });
    const lease = await guardLease(engine, tx, state, actor, 'task_rename', req.token, startMs);
    if (!lease.ok) return lease;
    const entry = await append(engine, tx, {
      taskId: state.taskId,
      kind: 'task_renamed',
      fromPhase: state.phase,
      toPhase: null,
      actor: actor.id,
      artifacts: [],
      data: { title: title.value, previousTitle: state.title },
    });
    const task = await tx.getTask(state.taskId);
    if (!task) throw new Error('task projection missing after rename');
    return ok({ task, previousTitle: state.title, entry });
  });
}
