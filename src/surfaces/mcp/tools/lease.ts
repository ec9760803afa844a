/** @module What the three lease tools share: the call into the engine and the result. */
import * as z from 'zod';
import { ok, type Result } from '../../../core/errors.ts';
import { leaseOp } from '../../../engine/task/leases.ts';
import { leaseOut, leaseView, type ToolContext } from '../tool.ts';

export const leaseResult = z.object({
  lease: leaseOut,
  change: z
    .enum(['acquired', 'renewed', 'reclaimed', 'takeover', 'released', 'moved'])
    .describe('what happened to the lease'),
});

export type LeaseResult = z.output<typeof leaseResult>;

export async function runLease(
  { engine, actor }: ToolContext,
  op: 'acquire' | 'renew' | 'release',
  args: { taskId: string; phase?: string | undefined; ttlSeconds?: number | undefined; token?: number | undefined },
): Promise<Result<LeaseResult>> {
  const phase = args.phase === undefined ? undefined : args.phase.trim().toUpperCase();
  const r = await leaseOp(engine, actor, op, {
    taskId: args.taskId,
    ...(phase !== undefined ? { phase } : {}),
    ...(args.ttlSeconds !== undefined ? { ttlSeconds: args.ttlSeconds } : {}),
    ...(args.token !== undefined ? { token: args.token } : {}),
  });
  if (!r.ok) return r;
  return ok({ lease: leaseView(r.value.lease), change: r.value.change });
}

export function leaseSummary(v: LeaseResult): string {
  return v.change === 'released'
    ? `released the lease on ${v.lease.taskId} (token ${v.lease.token})`
    : `${v.change} the lease on ${v.lease.taskId} (${v.lease.phase}) for ${v.lease.holder}: token ${v.lease.token}, until ${v.lease.expiresAt}`;
}

export const ttlSeconds = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600)
  .describe("How long the lease lasts, in seconds; the repository's leases.ttlSeconds (300 by default) when left out.");
