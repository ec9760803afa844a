/**
 * @module What a session in the reviewer role may do: read the task and write the review phase's rubric, nothing
 * else. Every use case that writes checks it, so that the CLI's `--role reviewer` is held to it as MCP's is.
 */
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { reviewRules } from '../../core/review.ts';
import type { Actor, Engine } from '../context.ts';

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
