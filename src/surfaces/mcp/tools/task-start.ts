/** @module MCP tool `task_start`: start a task in the first phase. */
import * as z from 'zod';
import { startTask } from '../../../engine/task/start.ts';
import { ok } from '../../../core/errors.ts';
import { arg, defineTool, describeTool, taskOut, taskView } from '../tool.ts';

export const taskStartTool = defineTool({
  name: 'task_start',
  title: 'Start a task',
  description: describeTool(
    'Starts a new task in the first phase (STRATEGIZE by default) and records its base commit, against which Autopilot later computes the diff.',
    'Call it once, before any work on a piece of work, with an id nobody used yet. Then read the phase instructions with prompt_get, write the evidence with evidence_put and move on with phase_advance.',
    'Refused with TASK_EXISTS when the id is taken (use task_status on it, or pick another id), USAGE for a malformed id or base, an unknown persona or domain (details.known lists them), or a malformed label.',
  ),
  input: z.strictObject({
    taskId: arg.taskId,
    title: z.string().max(200).optional().describe('What the task is about, in a line.'),
    base: z.string().min(1).max(200).optional().describe('The git ref the task starts from; HEAD when left out.'),
    domain: z
      .union([z.string().min(1).max(64), z.array(z.string().min(1).max(64)).max(20)])
      .optional()
      .describe(
        "The task's domain or domains: overlay ids (orchestrator, web, ml, api, security, data-migrations, or the repository's own) whose guidance goes into every phase's prompt.",
      ),
    labels: z
      .array(z.string().min(1).max(64))
      .max(20)
      .optional()
      .describe("The task's labels; an overlay whose id or one of whose labels matches goes into the prompts too."),
    persona: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("A persona to run the phases it serves with, instead of the config's (planner, implementer, …)."),
  }),
  output: z.object({
    task: taskOut,
    seq: z.number().int().describe('the ledger entry that started the task'),
    evidence: z.array(z.string()).describe('the artifacts the first phase needs'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ engine, actor }, args) {
    const r = await startTask(engine, actor, {
      taskId: args.taskId,
      ...(args.title !== undefined ? { title: args.title } : {}),
      ...(args.base !== undefined ? { base: args.base } : {}),
      ...(args.domain !== undefined ? { domains: typeof args.domain === 'string' ? [args.domain] : args.domain } : {}),
      ...(args.labels !== undefined ? { labels: args.labels } : {}),
      ...(args.persona !== undefined ? { persona: args.persona } : {}),
    });
    if (!r.ok) return r;
    const { task, entry } = r.value;
    return ok({
      task: taskView(task),
      seq: entry.seq,
      evidence: (engine.config.evidence[task.phase] ?? []).map((a) => a.name),
    });
  },
  summary: (v) =>
    `started ${v.task.taskId} in ${v.task.phase} (ledger entry ${v.seq}); next: write ${v.evidence.join(', ') || 'the evidence'} with evidence_put, then call phase_advance`,
});
