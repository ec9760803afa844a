/** @module MCP tool `lease_release`: give up this session's lease on a task. */
import * as z from 'zod';
import { arg, defineTool, describeTool } from '../tool.ts';
import { leaseResult, leaseSummary, runLease } from './lease.ts';

export const leaseReleaseTool = defineTool({
  name: 'lease_release',
  title: 'Release the lease',
  description: describeTool(
    'Releases the lease this MCP session holds on a task, so another agent can take it at once instead of waiting for it to expire. The token is not reused: the next holder gets a larger one.',
    'Call it when you stop working on a task, or hand it to another agent.',
    'Refused with LEASE_REQUIRED when you hold no live lease, LEASE_HELD when another session holds it, LEASE_FENCED when `token` is stale, TASK_DONE, TASK_UNKNOWN.',
  ),
  input: z.strictObject({ taskId: arg.taskId, token: arg.token.optional() }),
  output: leaseResult,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  run: (ctx, args) => runLease(ctx, 'release', args),
  summary: leaseSummary,
});
