/**
 * @module Use case: send a task back to an earlier phase. The evidence of that
 * phase and every later one is moved aside into the task's archive (kept for
 * audit, recorded in the ledger with its digests; see evidence/archive.ts) so
 * that each phase must be passed again.
 */
import type { Lease } from '../../core/lease.ts';
import { guardEscalation } from '../approvals/hold.ts';
import { renameSync, rmSync } from 'node:fs';
import { ok, type Result } from '../../core/errors.ts';
import {
  decideBacktrack,
  refusePhaseUnknown,
  stalePhases,
  type ArchivedArtifact,
  type TaskState,
} from '../../core/task.ts';
import { normalizePhase } from '../../core/phases.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import { guardLease, holderOf, moveLease } from './leases.ts';
import { guardNoMove } from './move-claim.ts';
import { archiveDir, archivePlan, linkAside, settleArchive, tidyArchive } from '../evidence/archive.ts';
import { Counter } from '../../ports/events.ts';
import { checkDrift, guardDrift } from '../drift/baseline.ts';
import { phasePromptFor, promptEvent, recordedPrompt } from '../drift/persona.ts';
import { guardContract } from './contract.ts';
import type { Actor, Engine } from '../context.ts';
import { loadTask } from '../ledger/load-task.ts';
import { guardRoleRecorded } from '../evidence/role.ts';

export interface BacktrackRequest {
  readonly taskId: string;
  readonly to: string;
  readonly reason: string;
  readonly token?: number;
  /**
   * The ledger seq of the person's request for changes this backtrack carries out: it goes where the person said,
   * whoever holds the task's lease.
   */
  readonly decidedBy?: number;
}

export interface BacktrackOutcome {
  readonly task: TaskState;
  readonly entry: LedgerEntry;
  readonly from: string;
  readonly to: string;
  readonly archived: readonly ArchivedArtifact[];
}

export async function backtrack(
  engine: Engine,
  actor: Actor,
  req: BacktrackRequest,
): Promise<Result<BacktrackOutcome>> {
  const startMs = Date.now();
  const role = await guardRoleRecorded(engine, actor, 'backtrack', req.taskId, req.to);
  if (!role.ok) return role;
  const wanted = normalizePhase(engine.config.phases, req.to);
  const attestation = wanted ? await checkDrift(engine, wanted) : null;
  const result = await engine.store.transact(async (tx): Promise<Result<BacktrackOutcome>> => {
    const loaded = await loadTask(tx, req.taskId);
    if (!loaded.ok) return loaded;
    const state = loaded.value;
    const contract = await guardContract(engine, tx, state, actor, { action: 'backtrack', to: req.to }, startMs);
    if (!contract.ok) return contract;
    const to = normalizePhase(engine.config.phases, req.to);
    const decision = to
      ? decideBacktrack(state, to, req.reason, engine.config)
      : refusePhaseUnknown(req.to, engine.config);
    if (!decision.ok) {
      return {
        ok: false,
        error: await recordRefusal(
          engine,
          tx,
          state,
          actor,
          { action: 'backtrack', to: to ?? req.to },
          decision.error,
          startMs,
        ),
      };
    }
    const target = decision.value.to as string;
    const decided =
      req.decidedBy !== undefined ? await personsRequest(engine, state, req.decidedBy, target) : undefined;
    // The lease moves with the task: the holder's when a person sent it back, else checked as for any move.
    let lease: Lease | null = decided ? ((await tx.getLease(state.taskId)) ?? null) : null;
    if (!decided) {
      const escalation = await guardEscalation(engine, tx, state, actor, { action: 'backtrack', to: target }, startMs);
      if (!escalation.ok) return escalation;
      const guarded = await guardLease(engine, tx, state, actor, 'backtrack', req.token, startMs);
      if (!guarded.ok) return guarded;
      lease = guarded.value;
    }
    // A move running out of the current phase (its producers writing that phase's evidence) finishes first.
    const running = await guardNoMove(engine, tx, state, actor, { action: 'backtrack', to: target }, startMs);
    if (!running.ok) return running;
    if (attestation) {
      const drift = await guardDrift(engine, tx, state, actor, 'backtrack', target, attestation, startMs);
      if (!drift.ok) return drift;
    }
    // What an earlier backtrack left half done: its live files once it committed, its archive if it did not.
    tidyArchive(engine.layout, state);
    const moves = archivePlan(engine.layout, state, stalePhases(engine.config, state.phase, target));
    if (!moves.ok) return moves;
    const renamed: { from: string; to: string }[] = [];
    try {
      for (const m of moves.value.dirs) renamed.push(...linkAside(m.from, m.to));
      const entry = await append(engine, tx, {
        taskId: state.taskId,
        kind: 'backtrack',
        fromPhase: state.phase,
        toPhase: target,
        actor: actor.id,
        artifacts: moves.value.artifacts,
        data: {
          reason: req.reason.slice(0, 2000),
          archived: moves.value.archived,
          stale: stalePhases(engine.config, state.phase, target),
          holder: holderOf(actor),
          ...(decided ? { decision: decided.seq, by: decided.data['by'] } : {}),
          // What the agent is told in the phase it is sent back to, as a forward move records it.
          prompt: recordedPrompt(engine, phasePromptFor(engine, target, state)),
        },
      });
      await moveLease(tx, lease, target);
      const task = (await tx.getTask(state.taskId)) ?? state;
      return ok({ task, entry, from: state.phase, to: target, archived: moves.value.archived });
    } catch (err) {
      for (const m of renamed.reverse()) renameSync(m.to, m.from);
      rmSync(archiveDir(engine.layout, state.taskId, state.counts.backtracks + 1), { recursive: true, force: true });
      throw err;
    }
  });
  if (result.ok) {
    // The entry naming the archived copies has committed: the live ones can go.
    settleArchive(engine.layout, result.value.task);
    const base = {
      taskId: req.taskId,
      startMs,
      endMs: Date.now(),
      actor: actor.id,
      ...(actor.sessionId ? { sessionId: actor.sessionId } : {}),
    };
    engine.sink.emit({
      ...base,
      type: 'transition',
      kind: 'backtrack',
      from: result.value.from,
      to: result.value.to,
      result: 'ok',
      seq: result.value.entry.seq,
      ...promptEvent(result.value.entry.data),
    });
    engine.sink.emit({
      ...base,
      type: 'counter',
      name: Counter.phase_backtracks,
      value: 1,
      attributes: { from: result.value.from, to: result.value.to },
    });
  }
  return result;
}

/** The person's request for changes `seq`, when it is one made in this phase visit that sends the task to `to`. */
async function personsRequest(
  engine: Engine,
  state: TaskState,
  seq: number,
  to: string,
): Promise<LedgerEntry | undefined> {
  const [x] = await engine.store.entries({ taskId: state.taskId, kind: 'approval', fromSeq: seq, limit: 1 });
  const ok =
    x?.seq === seq &&
    x.seq >= state.phaseEpoch &&
    x.data['action'] === 'changes_requested' &&
    x.data['backtrackTo'] === to &&
    String(x.data['by'] ?? '').startsWith('person:');
  return ok ? x : undefined;
}
