/**
 * @module The command line's next step after an engine refusal whose message names no command: the engine speaks to
 * every surface, so each surface says in its own terms what to run next (the MCP server names its tools instead).
 */
import type { ErrorCode, Refusal } from '../../core/errors.ts';

/** What to run next, by refusal code; `verb` is the command that was refused (`advance`, `status`, …). */
const NEXT: Partial<
  Record<ErrorCode, (details: Record<string, unknown>, verb: string | undefined) => string | undefined>
> = {
  TASK_UNKNOWN: (d, verb) =>
    verb === 'advance'
      ? `start it with: autopilot task start ${String(d['taskId'])}, or list tasks with: autopilot task list`
      : 'list tasks with: autopilot task list',
  LEASE_REQUIRED: (d) =>
    typeof d['taskId'] === 'string' && typeof d['holder'] === 'string'
      ? `take it with: autopilot lease acquire ${d['taskId']} --holder ${d['holder']}`
      : undefined,
  TASK_EXISTS: (d) => `see it with: autopilot task status ${String(d['taskId'])}`,
  PHASE_SKIP: (d) =>
    d['back'] === true
      ? `use: autopilot backtrack ${String(d['taskId'])} --to ${String(d['to'])} --reason "…"`
      : undefined,
};

/** The refusal with the command line's next step appended to its message, when the code has one. */
export function withCliNextStep(error: Refusal, verb?: string): Refusal {
  const next = NEXT[error.code]?.(error.details, verb);
  return next ? { ...error, message: `${error.message}; ${next}` } : error;
}
