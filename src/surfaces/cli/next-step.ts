/**
 * @module The command line's next step after an engine refusal whose message names no command: the engine speaks to
 * every surface, so each surface says in its own terms what to run next (the MCP server names its tools instead).
 */
import type { ErrorCode, Refusal } from '../../core/errors.ts';

/** What to run next, by refusal code; `verb` is the command that was refused (`advance`, `status`, …). */
const NEXT: Partial<Record<ErrorCode, (details: Record<string, unknown>, verb: string | undefined) => string>> = {
  TASK_UNKNOWN: (d, verb) =>
    verb === 'advance'
      ? `start it with: autopilot task start ${String(d['taskId'])}, or list tasks with: autopilot task list`
      : 'list tasks with: autopilot task list',
};

/** The refusal with the command line's next step appended to its message, when the code has one. */
export function withCliNextStep(error: Refusal, verb?: string): Refusal {
  const next = NEXT[error.code]?.(error.details, verb);
  return next ? { ...error, message: `${error.message}; ${next}` } : error;
}
