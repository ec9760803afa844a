/** @module `autopilot lease acquire|renew|release <TASK> [--phase P] [--holder ID] [--ttl SECONDS]`. */
import { leaseOp } from '../../../engine/task/leases.ts';
import { done, intOption, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';

export async function leaseVerb(
  op: 'acquire' | 'renew' | 'release',
  taskId: string,
  opts: GlobalOptions & { phase?: string; ttl?: string; token?: string },
): Promise<VerbResult> {
  const ttlSeconds = intOption(opts.ttl, 'ttl');
  const token = intOption(opts.token, 'token');
  return withEngine(opts, async (engine, actor) => {
    const phase = opts.phase?.toUpperCase();
    const r = await leaseOp(engine, actor, op, {
      taskId,
      ...(phase ? { phase } : {}),
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      ...(token !== undefined ? { token } : {}),
    });
    if (!r.ok) return r;
    const { lease, change } = r.value;
    const text =
      change === 'released'
        ? `released the lease on ${taskId} (token ${lease.token})`
        : `${change} the lease on ${taskId} (${lease.phase}) for ${lease.holder}: token ${lease.token}, until ${lease.expiresAt}`;
    return done({ lease, change }, text);
  });
}
