/** @module MCP tool `review_get`: what a reviewer reads to judge a task's work: the diff, the spec and plan, VERIFY's results, and who wrote each. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { reviewPacket } from '../../../engine/task/review.ts';
import { arg, defineTool, describeTool, taskOut, taskView } from '../tool.ts';
import { plural } from '../../../core/phrasing.ts';

export const reviewGetTool = defineTool({
  name: 'review_get',
  title: 'Read the work to review',
  description: describeTool(
    "Reads what a review judges: every live artifact of the task's phases up to the review phase with its text (IMPLEMENT's git_diff.patch, spec.md, plan.md, VERIFY's test_results.json and coverage_report.json, …), the hand (lease holder) and role that recorded each, and the hands that worked the implement phase.",
    'Call it from a reviewer session (autopilot mcp --role reviewer) to judge the work, then write the review rubric (review_rubric.json) with evidence_put; the working agent cannot pass the review phase on a rubric it wrote itself. Texts over 256 KiB are cut (truncated: true); matchesLedger false means the file on disk is not the one the ledger recorded. It changes nothing.',
    'Refused with TASK_UNKNOWN when there is no such task.',
  ),
  input: z.strictObject({ taskId: arg.taskId }),
  output: z.object({
    task: taskOut,
    review: z
      .object({
        by: z.enum(['person', 'agent', 'either']),
        phase: z.string(),
        artifact: z.string(),
        of: z.string(),
      })
      .describe('the review rule: who may write the rubric (by), the phase and artifact, and the phase reviewed (of)'),
    implementers: z.array(z.string()).describe('the hands that worked the implement phase: none of them may review'),
    you: z.string().describe('your own hand (lease holder) in this MCP session'),
    artifacts: z.array(
      z.object({
        phase: z.string(),
        name: z.string(),
        path: z.string(),
        sha256: z.string(),
        producer: z.enum(['agent', 'autopilot']),
        seq: z.number().int().describe('the ledger entry that recorded this digest'),
        hand: z.string().describe('who recorded it: the lease holder of that entry'),
        role: z
          .string()
          .nullable()
          .describe('the role it was recorded in (reviewer, person), null for a working agent'),
        text: z.string().nullable(),
        truncated: z.boolean(),
        matchesLedger: z.boolean(),
      }),
    ),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run({ engine, actor }, args) {
    const r = await reviewPacket(engine, args.taskId);
    if (!r.ok) return r;
    const p = r.value;
    return ok({
      task: taskView(p.task),
      review: { ...p.rules },
      implementers: [...p.implementers],
      you: actor.holder ?? actor.id,
      artifacts: p.artifacts.map((a) => ({ ...a })),
    });
  },
  summary: (v) =>
    `${v.task.taskId} in ${v.task.phase}: ${plural(v.artifacts.length, 'artifact')} to review; implemented by ${v.implementers.join(', ') || 'nobody yet'}; you are ${v.you}`,
});
