/** @module MCP tool `tool_check`: would this tool call be allowed in the task's phase? */
import * as z from 'zod';
import { ErrorCode, ok, refuse } from '../../../core/errors.ts';
import { guardRefusalDetails, guardToolCall, type GuardRequest } from '../../../engine/task/guard.ts';
import { defineTool, describeTool } from '../tool.ts';

const CLIENTS = ['claude', 'codex', 'cursor', 'mcp', 'generic'] as const satisfies readonly GuardRequest['client'][];

export const toolCheckTool = defineTool({
  name: 'tool_check',
  title: 'Check a tool call',
  description: describeTool(
    "Decides whether a tool call is allowed in the task's current phase, as Autopilot's hooks would: no source edits before IMPLEMENT, no `git push` before PR, and so on. Answers allow with the capabilities the call needs; a denied call (or one a person must approve) is refused, and recorded in the ledger.",
    'Call it before a tool call you are unsure of, with the tool name and input exactly as you would send them (e.g. tool "Bash", input {"command": "git push origin main"}; tool "Edit", input {"file_path": "src/app.ts"}).',
    'Refused with TOOL_NOT_ALLOWED_IN_PHASE: details.decision is deny (the reason says in which phase the call is allowed) or ask (call approval_request and wait for a person); TOOL_NOT_ALLOWED_FOR_PERSONA: the phase allows the call but the persona it runs with does not (details.allowed lists what it may use; recorded as a violation); TASK_UNKNOWN.',
  ),
  input: z.strictObject({
    taskId: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('The task the call belongs to; the only active task when left out.'),
    tool: z
      .string()
      .min(1)
      .max(500)
      .describe('The tool name: Bash, Edit, Write, shell, apply_patch, mcp__server__tool, …'),
    input: z
      .union([z.record(z.string(), z.unknown()), z.string()])
      .describe(
        'The tool\'s input, as the agent would send it: an object (e.g. {"command": "npm test"}), or a JSON string of one.',
      ),
    client: z
      .enum(CLIENTS)
      .optional()
      .describe('Whose tool names these are: claude, codex, cursor, mcp or generic (the default).'),
  }),
  output: z.object({
    decision: z.literal('allow'),
    reason: z.string(),
    capabilities: z
      .array(z.string())
      .describe('what the call needs, e.g. read, write:source, exec:test, net, vcs:push'),
    phase: z.string().describe('the phase the call was judged in'),
    taskId: z.string().nullable(),
    note: z.string().optional().describe('why the call was judged by the first phase (no task, or several)'),
    policy: z
      .object({ ids: z.array(z.string()), verdict: z.string(), digest: z.string() })
      .optional()
      .describe('the policies that allowed the call (Cedar policy ids) and the digest of the policy set'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ engine, actor }, args) {
    const r = await guardToolCall(engine, actor, {
      ...(args.taskId !== undefined ? { taskId: args.taskId } : {}),
      client: args.client ?? 'generic',
      tool: args.tool,
      input: args.input,
    });
    if (!r.ok) return r;
    const g = r.value;
    if (g.decision !== 'allow') {
      const reason =
        g.decision === 'ask'
          ? `${g.reason}: call approval_request with the reason, and wait for a person's decision`
          : g.reason;
      return refuse(g.code ?? ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE, reason, guardRefusalDetails(g, args.tool));
    }
    return ok({
      decision: 'allow' as const,
      reason: g.reason,
      capabilities: [...g.capabilities],
      phase: g.phase,
      taskId: g.taskId,
      ...(g.note ? { note: g.note } : {}),
      policy: { ids: [...g.policy.ids], verdict: g.policy.verdict, digest: g.policy.digest },
    });
  },
  summary: (v) => `allow ${v.phase}: ${v.reason}`,
});
