/** @module Reads one task from the store, or the TASK_UNKNOWN refusal every use case gives for an id it does not know. */
import { ok, type Result } from '../../core/errors.ts';
import { refuseTaskUnknown, type TaskState } from '../../core/task.ts';
import type { Store, StoreTx } from '../../ports/store.ts';

/**
 * The task `taskId` as `reader` (the store, or a transaction on it) holds it, or TASK_UNKNOWN `{taskId}` with a
 * message that names no command: the surface that shows the refusal adds the next step in its own terms.
 *
 * It sits in ledger/ rather than task/ because approvals/, below task/, reads tasks too.
 */
export async function loadTask(reader: Pick<Store | StoreTx, 'getTask'>, taskId: string): Promise<Result<TaskState>> {
  const state = await reader.getTask(taskId);
  return state ? ok(state) : refuseTaskUnknown(taskId);
}
