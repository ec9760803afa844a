/** @module MCP tool `lease_acquire`: take the lease on a task's current phase for this session. */
import * as z from 'zod';
import { arg, defineTool, describeTool } from '../tool.ts';
import { leaseResult, leaseSummary, runLease, ttlSeconds } from './lease.ts';

export const leaseAcquireTool = defineTool({
  name: 'lease_acquire',
  title: 'Acquire the lease',
  description: describeTool(
    "Takes the lease on the task's current phase for this MCP session, so that no other agent works on the same task meanwhile; returns the fencing token. Taking it again while you hold it renews it.",
    'Call it to claim a task before a long stretch of work, or when the repository sets leases.mode to explicit (changes are then refused with LEASE_REQUIRED until you hold it); otherwise every change you make takes and renews the lease by itself.',
    'Refused with LEASE_HELD when another session holds a live lease (work on another task or wait for it to expire), PHASE_SKIP when `phase` is not the current phase, ESCALATED (a person escalated the task: stop and wait for a person), ABORTED, TASK_DONE, TASK_UNKNOWN.',
  ),
  input: z.strictObject({
    taskId: arg.taskId,
    phase: arg.phase.optional().describe("The phase to lease; must be the task's current phase."),
    ttlSeconds: ttlSeconds.optional(),
  }),
  output: leaseResult,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: (ctx, args) => runLease(ctx, 'acquire', args),
  summary: leaseSummary,
});
