/** @module MCP tool `lease_renew`: extend this session's lease on a task. */
import * as z from 'zod';
import { arg, defineTool, describeTool } from '../tool.ts';
import { leaseResult, leaseSummary, runLease, ttlSeconds } from './lease.ts';

export const leaseRenewTool = defineTool({
  name: 'lease_renew',
  title: 'Renew the lease',
  description: describeTool(
    'Extends the lease this MCP session holds on a task, keeping its token.',
    'Call it during a long stretch without changes (a long build, reading code) so the lease does not expire and pass to another agent.',
    'Refused with LEASE_REQUIRED when you hold no live lease (take one with lease_acquire), LEASE_HELD when another session holds it, LEASE_FENCED when `token` is stale (someone else held the task since: re-read it with task_status), ESCALATED (a person escalated the task: stop and wait for a person), ABORTED, TASK_DONE, TASK_UNKNOWN.',
  ),
  input: z.strictObject({ taskId: arg.taskId, ttlSeconds: ttlSeconds.optional(), token: arg.token.optional() }),
  output: leaseResult,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: (ctx, args) => runLease(ctx, 'renew', args),
  summary: leaseSummary,
});
