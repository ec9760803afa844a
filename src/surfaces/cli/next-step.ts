/**
 * @module The command line's next step after an engine refusal whose message names no command: the engine speaks to
 * every surface, so each surface says in its own terms what to run next (the MCP server names its tools instead).
 */
import { remedyOf, type ErrorCode, type Refusal, type Remedy } from '../../core/errors.ts';

type Details = Record<string, unknown>;

/** A detail that is a string, or undefined: a step is only offered when the details name what it needs. */
const text = (d: Details, key: string): string | undefined => (typeof d[key] === 'string' ? d[key] : undefined);

/** What to run next, by refusal code; `verb` is the command that was refused (`advance`, `status`, …). */
const NEXT: Partial<Record<ErrorCode, (details: Details, verb: string | undefined) => string | undefined>> = {
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
  TOOL_NOT_ALLOWED_IN_PHASE: (d) =>
    d['unattached'] === 'no-task'
      ? 'start one with: autopilot task start T-1 --title "…"'
      : d['unattached'] === 'several-tasks'
        ? 'name it with AUTOPILOT_TASK or --task'
        : undefined,
  TOOL_NOT_ALLOWED_FOR_PERSONA: (d) => {
    const persona = d['persona'] as { id?: unknown } | undefined;
    const [phase, tool] = [text(d, 'phase'), text(d, 'tool')];
    if (typeof persona?.id !== 'string' || !phase || !tool) return undefined;
    const task = text(d, 'taskId');
    return (
      `check a call before making it with: autopilot policy explain --phase ${phase} --persona ${persona.id} --tool ${tool} --input '…'` +
      (task ? `; when this phase's work is done: autopilot advance ${task}` : '')
    );
  },
};

/** The commands that carry out a refusal's remedy (details.remedy) for the task it names, in the order to run them. */
function remedySteps(remedy: Remedy, taskId: string | undefined): string[] {
  const steps: string[] = [];
  const task = taskId ?? '<TASK>';
  if (remedy.backtrackTo)
    steps.push(`go back with: autopilot backtrack ${task} --to ${remedy.backtrackTo} --reason "…"`);
  if (remedy.retry === 'verify') steps.push(`once it is fixed: autopilot verify ${task}`);
  if (remedy.retry === 'advance') steps.push(`once it is fixed: autopilot advance ${task}`);
  if (remedy.forward) steps.push(`use: autopilot advance ${task}`);
  if (remedy.person === 'dashboard') steps.push("a person decides in the dashboard's approval panel: autopilot serve");
  if (remedy.person === 'attest')
    steps.push('a person records the change with: autopilot attest update --reason "…" --tag TAG');
  if (remedy.check) steps.push(`check every finding with: autopilot evidence check ${task}`);
  return steps;
}

/**
 * The refusal with the command line's next step appended to its message, when the code or the remedy has one. A
 * message of several lines (with a tool's own output) gets its steps on a line of their own.
 */
export function withCliNextStep(error: Refusal, verb?: string): Refusal {
  const remedy = remedyOf(error.details);
  const steps = [
    ...(remedy ? remedySteps(remedy, text(error.details, 'taskId')) : []),
    NEXT[error.code]?.(error.details, verb),
  ].filter((s): s is string => !!s);
  if (steps.length === 0) return error;
  const sep = error.message.includes('\n') ? '\nNext: ' : '; ';
  return { ...error, message: `${error.message}${sep}${steps.join('; ')}` };
}
