/** @module `autopilot advance <TASK> [--to PHASE]` and `autopilot backtrack <TASK> --to PHASE --reason TEXT`. */
import { advance } from '../../../engine/task/advance.ts';
import { backtrack } from '../../../engine/task/backtrack.ts';
import { done, intOption, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { formatTask } from '../format.ts';
import { plural } from '../../../core/phrasing.ts';

export async function advanceVerb(
  taskId: string,
  opts: GlobalOptions & { to?: string; summary?: string; token?: string },
): Promise<VerbResult> {
  const token = intOption(opts.token, 'token');
  return withEngine(opts, async (engine, actor) => {
    const r = await advance(engine, actor, {
      taskId,
      ...(opts.to !== undefined ? { to: opts.to } : {}),
      ...(opts.summary ? { summary: opts.summary } : {}),
      ...(token !== undefined ? { token } : {}),
    });
    if (!r.ok) return r;
    const { task, from, to, entry, attestation, outbox } = r.value;
    const pushed = outbox
      ? `\nthe push of this branch is in the outbox as ${outbox}: autopilot outbox run sends it and records pushed_commit.json`
      : '';
    const next = to
      ? `Next: ${engine.config.evidence[to]?.map((a) => a.name).join(', ') || 'no evidence'} for ${to}, then: autopilot advance ${taskId}`
      : 'The task is done.';
    const bundle = !attestation
      ? ''
      : attestation.ok
        ? `\nattestation bundle ${attestation.value.path} (entries ${attestation.value.fromSeq}–${attestation.value.toSeq}): commit it with the work`
        : `\nthe attestation bundle was not written: ${attestation.error.message}`;
    return done(
      {
        task,
        from,
        to,
        seq: entry.seq,
        hash: entry.hash,
        artifacts: entry.artifacts,
        ...(attestation ? { attestation: attestation.ok ? attestation.value : { error: attestation.error } } : {}),
        ...(outbox ? { outbox } : {}),
      },
      `${from} → ${to ?? 'DONE'} (ledger entry ${entry.seq}, ${plural(entry.artifacts.length, 'artifact')} recorded)\n${formatTask(task, engine.config.phases)}\n${next}${bundle}${pushed}`,
    );
  });
}

export async function backtrackVerb(
  taskId: string,
  opts: GlobalOptions & { to: string; reason: string; token?: string },
): Promise<VerbResult> {
  const token = intOption(opts.token, 'token');
  return withEngine(opts, async (engine, actor) => {
    const r = await backtrack(engine, actor, {
      taskId,
      to: opts.to,
      reason: opts.reason,
      ...(token !== undefined ? { token } : {}),
    });
    if (!r.ok) return r;
    const { task, from, to, entry, archived } = r.value;
    return done(
      { task, from, to, seq: entry.seq, archived },
      `${from} ↩ ${to} (ledger entry ${entry.seq}); ${archived.length} stale artifacts moved aside and kept for audit\n${formatTask(task, engine.config.phases)}\nEvery phase from ${to} on must be passed again with fresh evidence.`,
    );
  });
}
