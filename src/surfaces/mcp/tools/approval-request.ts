/** @module MCP tool `approval_request`: ask a person to approve; it records the request, and nothing here can grant it. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { requestApproval } from '../../../engine/approvals/request.ts';
import { arg, defineTool, describeTool } from '../tool.ts';

export const approvalRequestTool = defineTool({
  name: 'approval_request',
  title: 'Request a human approval',
  description: describeTool(
    "Records a request for a person's approval in the ledger: for entering a phase the policy guards (`to`), or for a tool call that tool_check answered with ask (`tool` and `input`). It does not approve anything: a person decides in the dashboard, signing with their passkey, and no MCP tool can.",
    'Call it when a refusal tells you to ask for approval; then continue with other work or wait, and check again later. Asking again in the same phase visit appends nothing and returns where the request stands (requested, approved or escalated).',
    'Refused with APPROVAL_REQUIRED when a person requested changes (backtrack as the message says first), TASK_UNKNOWN, TASK_DONE, PHASE_UNKNOWN, USAGE (no reason).',
  ),
  input: z.strictObject({
    taskId: arg.taskId,
    reason: arg.reason.describe('Why the approval is needed, for the person who decides.'),
    to: arg.phase.optional().describe('The phase the task needs to enter, when the approval is for a move.'),
    tool: z.string().min(1).max(500).optional().describe('The tool call that needs approval: its name.'),
    input: z
      .union([z.record(z.string(), z.unknown()), z.string()])
      .optional()
      .describe('The tool call that needs approval: its input, an object or a JSON string of one.'),
  }),
  output: z.object({
    taskId: z.string(),
    status: z
      .enum(['requested', 'approved', 'escalated'])
      .describe("where the request stands: a person's decision is never made here"),
    created: z
      .boolean()
      .describe('false when a request or decision of this phase visit stood already and nothing was recorded'),
    phase: z.string().describe('the phase the task was in'),
    to: z.string().nullable(),
    seq: z.number().int().describe('the ledger entry of the request, or of the standing request or decision'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ engine, actor }, args) {
    const r = await requestApproval(engine, actor, {
      taskId: args.taskId,
      reason: args.reason,
      ...(args.to !== undefined ? { to: args.to } : {}),
      ...(args.tool !== undefined ? { tool: args.tool } : {}),
      ...(args.input !== undefined ? { input: args.input } : {}),
    });
    if (!r.ok) return r;
    const { entry, status, created } = r.value;
    return ok({
      taskId: args.taskId,
      status,
      created,
      phase: entry.fromPhase ?? '',
      to: entry.toPhase,
      seq: entry.seq,
    });
  },
  summary: (v) =>
    v.status === 'requested'
      ? `approval ${v.created ? 'requested' : 'already requested'} for ${v.taskId} (ledger entry ${v.seq}); a person decides, you cannot approve it yourself`
      : `${v.taskId}: a person's decision stands in this phase: ${v.status} (ledger entry ${v.seq})`,
});
