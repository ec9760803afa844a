/** @module MCP tool `phase_backtrack`: send a task back to an earlier phase. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { backtrack } from '../../../engine/task/backtrack.ts';
import { arg, defineTool, describeTool, taskOut, taskView } from '../tool.ts';

export const phaseBacktrackTool = defineTool({
  name: 'phase_backtrack',
  title: 'Backtrack to an earlier phase',
  description: describeTool(
    'Sends a task back to an earlier phase, the earliest one a problem touches, with the reason. The evidence of that phase and of every later one is moved aside (kept for audit) and each of those phases must be passed again with fresh evidence.',
    'Call it when verify_run or a review shows a problem that an earlier phase must fix, e.g. a failing test: backtrack to IMPLEMENT. A backtrack is allowed from any phase unless process.backtrackFrom in the repository config says otherwise.',
    'Refused with PHASE_SKIP (not an earlier phase, or not allowed from the current one: to move forward use phase_advance), PHASE_UNKNOWN, USAGE (no reason), LEASE_HELD, LEASE_REQUIRED (leases are explicit here: call lease_acquire), LEASE_FENCED, PROMPT_DRIFT, ESCALATED (a person escalated the task: stop and wait for a person), ABORTED, TASK_DONE, TASK_UNKNOWN.',
  ),
  input: z.strictObject({
    taskId: arg.taskId,
    to: arg.phase.describe('The earlier phase to return to.'),
    reason: arg.reason.describe('What went wrong, for the ledger and the reviewer.'),
    token: arg.token.optional(),
  }),
  output: z.object({
    from: z.string(),
    to: z.string(),
    seq: z.number().int().describe('the ledger entry of the backtrack'),
    archived: z
      .array(z.object({ from: z.string(), to: z.string() }))
      .describe('evidence moved aside, from → to, relative to the state folder'),
    task: taskOut,
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run({ engine, actor }, args) {
    const r = await backtrack(engine, actor, {
      taskId: args.taskId,
      to: args.to,
      reason: args.reason,
      ...(args.token !== undefined ? { token: args.token } : {}),
    });
    if (!r.ok) return r;
    const v = r.value;
    return ok({
      from: v.from,
      to: v.to,
      seq: v.entry.seq,
      archived: v.archived.map((a) => ({ from: a.from, to: a.to })),
      task: taskView(v.task),
    });
  },
  summary: (v) =>
    `${v.task.taskId}: ${v.from} ↩ ${v.to} (ledger entry ${v.seq}); ${v.archived.length} stale artifacts kept for audit; pass ${v.to} and every later phase again`,
});
