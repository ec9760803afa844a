/** @module What the agents' hooks share on an open engine: the task a hook acts on, the context it gives an agent, and why a task may not stop. */
import { ErrorCode, type Refusal } from '../../core/errors.ts';
import type { TaskState } from '../../core/task.ts';
import { similarTaskHints } from '../../engine/graph/similar.ts';
import { phasePromptFor } from '../../engine/drift/persona.ts';
import { checkEvidence } from '../../engine/task/evidence.ts';
import type { GuardOutcome } from '../../engine/task/guard.ts';
import { allowedCapabilities } from '../../core/policy/tool-policy.ts';
import type { Engine } from '../../engine/context.ts';
import { clause } from '../../core/phrasing.ts';

/** The task a hook acts on, or why there is none. */
export type TaskChoice =
  | { readonly kind: 'task'; readonly task: TaskState; readonly named: boolean }
  | { readonly kind: 'none'; readonly why: string; readonly active: number }
  | { readonly kind: 'refused'; readonly error: Refusal };

/** Which task: AUTOPILOT_TASK when set, else the only active task. */
export async function chooseTask(engine: Engine, env: Readonly<Record<string, string>>): Promise<TaskChoice> {
  const named = env['AUTOPILOT_TASK']?.trim();
  if (named) {
    const task = await engine.store.getTask(named);
    if (!task) {
      return {
        kind: 'refused',
        error: {
          code: ErrorCode.TASK_UNKNOWN,
          message: `AUTOPILOT_TASK names ${named}, and there is no such task; start it with: autopilot task start ${named} --title "…"`,
          details: { taskId: named },
        },
      };
    }
    return { kind: 'task', task, named: true };
  }
  const active = await engine.store.activeTasks();
  if (active.length === 1) return { kind: 'task', task: active[0]!, named: false };
  const why =
    active.length === 0
      ? 'no task is active in this repository'
      : `${active.length} tasks are active (${active
          .map((t) => t.taskId)
          .slice(0, 5)
          .join(', ')}) and AUTOPILOT_TASK does not say which one this is`;
  return { kind: 'none', why, active: active.length };
}

/** How to start a task, in the words of the MCP tools and of the command line (an agent behind the hooks has both). */
const TASK_START_HOW =
  'call the MCP tool task_start with a taskId and a title (or run `autopilot task start T-1 --title "…"`)';

/** How to start a task, in the words of the MCP tools and of the command line. */
export const START_HINT = `start one before changing anything: ${TASK_START_HOW}`;

/** The guard's reason with the hooks' own next step when the call belongs to no task, or to one of several. */
export function guardReason(g: Pick<GuardOutcome, 'reason' | 'unattached'>): string {
  if (g.unattached === 'no-task') return `${clause(g.reason)}: ${TASK_START_HOW}`;
  if (g.unattached === 'several-tasks') return `${clause(g.reason)}: set AUTOPILOT_TASK to the task you work on`;
  return g.reason;
}

/**
 * What an agent is told at the start of a session and with each prompt: the
 * task, its phase, the phase's rules and what its evidence still lacks.
 * `full` adds the whole phase prompt; otherwise the rules are one paragraph.
 */
export async function taskContext(
  engine: Engine,
  env: Readonly<Record<string, string>>,
  full: boolean,
): Promise<string> {
  const choice = await chooseTask(engine, env);
  const first = engine.config.phases[0] as string;
  if (choice.kind === 'refused') return `Autopilot: ${clause(choice.error.message)}.`;
  if (choice.kind === 'none' || choice.task.status !== 'active') {
    const why = choice.kind === 'none' ? choice.why : `task ${choice.task.taskId} is ${choice.task.status}`;
    return [
      `Autopilot: ${clause(why)}. Every task here goes through ${engine.config.phases.join(' → ')}, with evidence for each phase;`,
      `${START_HINT}.`,
      `Until then, tool calls are judged as in ${first}, which allows: ${allowedCapabilities(engine.config, first).join(', ') || 'nothing'}.`,
      ...(choice.kind === 'none' && choice.active > 1 ? ['Set AUTOPILOT_TASK to the task you work on.'] : []),
    ].join(' ');
  }
  const task = choice.task;
  const at = engine.config.phases.indexOf(task.phase) + 1;
  const lines = [
    `Autopilot: task ${task.taskId}${task.title ? ` "${task.title}"` : ''} is in ${task.phase} (phase ${at} of ${engine.config.phases.length}).`,
  ];
  const report = await checkEvidence(engine, { taskId: task.taskId });
  if (report.ok && !report.value.passed) {
    lines.push(
      `Its evidence does not meet the contract yet:`,
      ...report.value.findings.slice(0, 8).map((f) => `- ${f.file}: ${f.problem} ${f.fix}`),
    );
  } else if (report.ok) {
    lines.push(`Its evidence meets the contract: call phase_advance to move on.`);
  }
  if (full) {
    // Read once a session: comparing with every finished task is too much for each prompt.
    lines.push(...(await similarTaskHints(engine, task)));
    // The compiled prompt: the phase's instructions with the persona, overlays and the task's own context.
    lines.push('', phasePromptFor(engine, task.phase, task).compiled.text.trimEnd());
  } else {
    lines.push(
      `Allowed in ${task.phase}: ${allowedCapabilities(engine.config, task.phase).join(', ') || 'nothing'}; other tool calls are denied.` +
        ' Put evidence with evidence_put, move on with phase_advance, go back with phase_backtrack.',
    );
  }
  return lines.join('\n');
}

/** Why a task may not stop yet: the current phase's evidence falls short. Undefined when it may stop. */
export async function stopReason(engine: Engine, env: Readonly<Record<string, string>>): Promise<string | undefined> {
  const choice = await chooseTask(engine, env);
  if (choice.kind !== 'task' || choice.task.status !== 'active') return undefined;
  const task = choice.task;
  const report = await checkEvidence(engine, { taskId: task.taskId });
  if (!report.ok || report.value.passed) return undefined;
  const findings = report.value.findings.slice(0, 8).map((f) => `- ${f.file}: ${f.problem} ${f.fix}`);
  return [
    `Autopilot: task ${task.taskId} is in ${task.phase} and the phase's evidence does not meet the contract yet:`,
    ...findings,
    `Finish it (evidence_put), then call phase_advance; if you must stop now, say why to the person you work with.`,
  ].join('\n');
}
