/**
 * @module Use case: send a task back to an earlier phase. The evidence of that
 * phase and every later one is moved aside (kept for audit, recorded in the
 * ledger with its digests) so that each phase must be passed again.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, ok, refuse, type Result } from '../core/errors.ts';
import { decideBacktrack, refusePhaseUnknown, stalePhases, type ArchivedArtifact, type TaskState } from '../core/task.ts';
import { normalizePhase, phaseDir } from '../core/phases.ts';
import type { ArtifactRef, LedgerEntry } from '../core/ledger.ts';
import { append, recordRefusal } from './record.ts';
import { guardLease, moveLease } from './leases.ts';
import { listFolder, phaseFolder, readNoFollow } from './evidence-files.ts';
import { Counter } from '../ports/events.ts';
import { checkAttestation, guardDrift } from './attest.ts';
import type { Actor, Engine } from './context.ts';

export interface BacktrackRequest {
  readonly taskId: string;
  readonly to: string;
  readonly reason: string;
  readonly token?: number;
}

export interface BacktrackOutcome {
  readonly task: TaskState;
  readonly entry: LedgerEntry;
  readonly from: string;
  readonly to: string;
  readonly archived: readonly ArchivedArtifact[];
}

export async function backtrack(e: Engine, actor: Actor, req: BacktrackRequest): Promise<Result<BacktrackOutcome>> {
  const startMs = Date.now();
  const wanted = normalizePhase(e.config.phases, req.to);
  const attestation = wanted ? await checkAttestation(e, wanted) : null;
  const result = await e.store.transact(async (tx): Promise<Result<BacktrackOutcome>> => {
    const state = await tx.getTask(req.taskId);
    if (!state) return refuse(ErrorCode.TASK_UNKNOWN, `no task ${req.taskId}; list tasks with: autopilot task list`, { taskId: req.taskId });
    const to = normalizePhase(e.config.phases, req.to);
    const decision = to ? decideBacktrack(state, to, req.reason, e.config) : refusePhaseUnknown(req.to, e.config);
    if (!decision.ok) {
      return { ok: false, error: await recordRefusal(e, tx, state, actor, { action: 'backtrack', to: to ?? req.to }, decision.error, startMs) };
    }
    const lease = await guardLease(e, tx, state, actor, 'backtrack', req.token, startMs);
    if (!lease.ok) return lease;
    const target = decision.value.to as string;
    if (attestation) {
      const drift = await guardDrift(e, tx, state, actor, 'backtrack', target, attestation, startMs);
      if (!drift.ok) return drift;
    }
    const moves = archivePlan(e, state, stalePhases(e.config, state.phase, target));
    if (!moves.ok) return moves;
    const done: { from: string; to: string }[] = [];
    try {
      for (const m of moves.value.dirs) {
        mkdirSync(join(m.to, '..'), { recursive: true });
        renameSync(m.from, m.to);
        done.push(m);
      }
      const entry = await append(e, tx, {
        taskId: state.taskId,
        kind: 'backtrack',
        fromPhase: state.phase,
        toPhase: target,
        actor: actor.id,
        artifacts: moves.value.artifacts,
        data: { reason: req.reason.slice(0, 2000), archived: moves.value.archived, stale: stalePhases(e.config, state.phase, target) },
      });
      await moveLease(tx, lease.value, target);
      const task = (await tx.getTask(state.taskId)) ?? state;
      return ok({ task, entry, from: state.phase, to: target, archived: moves.value.archived });
    } catch (err) {
      for (const m of done.reverse()) renameSync(m.to, m.from);
      throw err;
    }
  });
  if (result.ok) {
    const base = { taskId: req.taskId, startMs, endMs: Date.now(), actor: actor.id, ...(actor.sessionId ? { sessionId: actor.sessionId } : {}) };
    e.sink.emit({ ...base, type: 'transition', kind: 'backtrack', from: result.value.from, to: result.value.to, result: 'ok', seq: result.value.entry.seq });
    e.sink.emit({ ...base, type: 'counter', name: Counter.phase_backtracks, value: 1, attributes: { from: result.value.from, to: result.value.to } });
  }
  return result;
}

/** Where each stale phase folder goes: `evidence/<T>/.stale/<n>/<phase>/`, n counting backtracks. */
function archivePlan(e: Engine, state: TaskState, phases: string[]) {
  const n = state.counts.backtracks + 1;
  const dirs: { from: string; to: string }[] = [];
  const archived: ArchivedArtifact[] = [];
  const artifacts: ArtifactRef[] = [];
  for (const phase of phases) {
    const folder = phaseFolder(e.layout, state.taskId, phase);
    if (!folder.ok) return folder;
    if (!existsSync(folder.value)) continue;
    const toDir = join(e.layout.evidenceDir, state.taskId, '.stale', String(n), phaseDir(phase));
    dirs.push({ from: folder.value, to: toDir });
    for (const name of listFolder(folder.value)) {
      const from = `evidence/${state.taskId}/${phaseDir(phase)}/${name}`;
      const to = `evidence/${state.taskId}/.stale/${n}/${phaseDir(phase)}/${name}`;
      archived.push({ from, to });
      const file = readNoFollow(join(folder.value, name), 256 * 1024 * 1024);
      if (file.kind === 'file') artifacts.push({ path: to, sha256: file.sha256, producer: state.artifacts[from]?.producer ?? 'agent' });
    }
  }
  return ok({ dirs, archived, artifacts });
}
