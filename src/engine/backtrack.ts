/**
 * @module Use case: send a task back to an earlier phase. The evidence of that
 * phase and every later one is moved aside (kept for audit, recorded in the
 * ledger with its digests) so that each phase must be passed again.
 *
 * The move spans the file system and the store, and a process can die between
 * them. So the files are first hard-linked into the archive (the live ones stay
 * where the ledger still names them), the entry that names the archived copies
 * commits, and only then are the live ones removed. A process killed before the
 * commit leaves an archive no entry names, which the next backtrack drops; one
 * killed after it leaves live files that are links to their archived copies,
 * which {@link settleArchive} removes before the evidence is read again. Both are
 * settled ({@link tidyArchive}) before the task's evidence is written again.
 */
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
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
import type { Layout } from './layout.ts';
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
    // What an earlier backtrack left half done: its live files once it committed, its archive if it did not.
    tidyArchive(e.layout, state);
    const moves = archivePlan(e, state, stalePhases(e.config, state.phase, target));
    if (!moves.ok) return moves;
    const renamed: { from: string; to: string }[] = [];
    try {
      for (const m of moves.value.dirs) renamed.push(...linkAside(m.from, m.to));
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
      for (const m of renamed.reverse()) renameSync(m.to, m.from);
      rmSync(archiveDir(e.layout, state.taskId, state.counts.backtracks + 1), { recursive: true, force: true });
      throw err;
    }
  });
  if (result.ok) {
    // The entry naming the archived copies has committed: the live ones can go.
    settleArchive(e.layout, result.value.task);
    const base = { taskId: req.taskId, startMs, endMs: Date.now(), actor: actor.id, ...(actor.sessionId ? { sessionId: actor.sessionId } : {}) };
    e.sink.emit({ ...base, type: 'transition', kind: 'backtrack', from: result.value.from, to: result.value.to, result: 'ok', seq: result.value.entry.seq });
    e.sink.emit({ ...base, type: 'counter', name: Counter.phase_backtracks, value: 1, attributes: { from: result.value.from, to: result.value.to } });
  }
  return result;
}

function archiveDir(layout: Layout, taskId: string, n: number): string {
  return join(layout.evidenceDir, taskId, '.stale', String(n));
}

/**
 * Puts a phase folder's entries into its archive folder: regular files as hard links (the
 * live file stays until the backtrack has committed), anything else renamed, as are files
 * where the file system has no hard links. Returns the renames, to undo on failure.
 */
function linkAside(from: string, to: string): { from: string; to: string }[] {
  mkdirSync(to, { recursive: true });
  const renamed: { from: string; to: string }[] = [];
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    if (lstatSync(src).isFile()) {
      try {
        linkSync(src, dst);
        continue;
      } catch (err) {
        if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
    }
    renameSync(src, dst);
    renamed.push({ from: src, to: dst });
  }
  return renamed;
}

/**
 * Finishes the task's last backtrack on disk: removes each live file that is still a hard
 * link to its archived copy (left when a process died between the commit and the removal),
 * then the phase folders left empty. Cheap when there is nothing to do; run before evidence is read.
 */
export function settleArchive(layout: Layout, state: TaskState): void {
  const n = state.counts.backtracks;
  if (n === 0) return;
  const archive = archiveDir(layout, state.taskId, n);
  let phases: string[];
  try {
    phases = readdirSync(archive);
  } catch {
    return;
  }
  for (const phase of phases) {
    const live = join(layout.evidenceDir, state.taskId, phase);
    let names: string[];
    try {
      names = readdirSync(join(archive, phase));
    } catch {
      continue;
    }
    for (const name of names) {
      const kept = inode(join(archive, phase, name));
      if (kept !== null && inode(join(live, name)) === kept) unlinkSync(join(live, name));
    }
    try {
      rmdirSync(live);
    } catch {
      // not empty (new evidence, hidden temp files) or already gone
    }
  }
}

/**
 * Settles what an earlier backtrack of the task left half done: its live files once it
 * committed ({@link settleArchive}), its archive if it did not. Call it only while holding
 * the store's write lock (inside `transact`), where no other backtrack can be archiving,
 * and before the phase folder's files are replaced: an uncommitted archive holds links
 * to the live files, and a replaced one would leave its old version there, named by nothing.
 */
export function tidyArchive(layout: Layout, state: TaskState): void {
  settleArchive(layout, state);
  dropUncommittedArchive(layout, state);
}

/**
 * Undoes the archive of a backtrack that never committed (the one numbered one more
 * than the backtracks the ledger holds): a file whose live copy is gone is put back,
 * the rest (links to live files) dropped with the folder. Under the write lock only.
 */
export function dropUncommittedArchive(layout: Layout, state: TaskState): void {
  const taskId = state.taskId;
  const archive = archiveDir(layout, taskId, state.counts.backtracks + 1);
  if (!existsSync(archive)) return;
  for (const phase of readdirSync(archive)) {
    for (const name of readdirSync(join(archive, phase))) {
      const live = join(layout.evidenceDir, taskId, phase, name);
      if (inode(live) !== null) continue;
      mkdirSync(join(layout.evidenceDir, taskId, phase), { recursive: true });
      renameSync(join(archive, phase, name), live);
    }
  }
  rmSync(archive, { recursive: true, force: true });
}

function inode(path: string): string | null {
  try {
    const st = lstatSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
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
    const toDir = join(archiveDir(e.layout, state.taskId, n), phaseDir(phase));
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
