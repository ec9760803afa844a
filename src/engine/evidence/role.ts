/**
 * @module What a session in the reviewer role may do: read the task and write the review phase's rubric, nothing
 * else. Every use case that writes checks it, so that the CLI's `--role reviewer` is held to it as MCP's is.
 */
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { reviewRules } from '../../core/review.ts';
import type { Actor, Engine } from '../context.ts';
import { recordRefusal } from '../ledger/record.ts';

/**
 * Refuses `action` for a reviewer, except an evidence write of the review rubric in the review phase (`put`).
 * Other actors pass.
 */
export function guardRole(
  engine: Engine,
  actor: Actor,
  action: string,
  put?: { readonly phase: string; readonly name: string },
): Result<null> {
  // A role the engine does not hand out (a caller passing `person`) is no working agent either: a person's rubric is
  // written only by a verified passkey decision (approvals/person-review.ts), never through this path.
  if (actor.role !== undefined && (actor.role as string) !== 'reviewer')
    return refuse(
      ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA,
      `no session acts in the role ${String(actor.role).slice(0, 40)}: a person's review is written in the dashboard and signed with their passkey`,
      { action, role: String(actor.role).slice(0, 40), allowed: null },
    );
  if (actor.role !== 'reviewer') return ok(null);
  const rules = reviewRules(engine.config);
  if (rules && put && put.phase === rules.phase && put.name === rules.artifact) return ok(null);
  const allowed = rules ? `${rules.artifact} in ${rules.phase}` : 'nothing: this process has no review phase';
  return refuse(
    ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA,
    `a reviewer session may not ${put ? `write ${put.name} in ${put.phase}` : action}: it reads the work and writes ${allowed}; the working agent does the rest`,
    { action, role: actor.role, allowed: rules ? { phase: rules.phase, name: rules.artifact } : null },
  );
}

/**
 * {@link guardRole} for a use case on a task, with its refusal recorded as a `violation` entry of the task (and
 * counted) like the other refusals; a task id that names no task has nothing to record it against.
 */
export async function guardRoleRecorded(
  engine: Engine,
  actor: Actor,
  action: string,
  taskId: string,
  to: string | null = null,
): Promise<Result<null>> {
  const role = guardRole(engine, actor, action);
  if (role.ok) return role;
  const startMs = Date.now();
  return engine.store.transact(async (tx): Promise<Result<null>> => {
    const state = await tx.getTask(taskId);
    if (!state) return role;
    return { ok: false, error: await recordRefusal(engine, tx, state, actor, { action, to }, role.error, startMs) };
  });
}
