/**
 * @module A task's evidence as the browser lists it: every artifact the ledger
 * names (live and archived by a backtrack) and any file of a phase folder it
 * does not name yet, each with its digest, its producer and whether the file
 * still matches the ledger.
 */
import { join } from 'node:path';
import type { LedgerEntry, Producer } from '../../../core/ledger.ts';
import type { TaskState } from '../../../core/task.ts';
import { phaseDir } from '../../../core/phases.ts';
import { handOf, roleOf, type Role } from '../../../core/review.ts';
import { listFolder, readNoFollow } from '../../../engine/repo/files.ts';
import { phaseFolder } from '../../../engine/evidence/folder.ts';
import type { Engine } from '../../../engine/context.ts';
import { ok, type Result } from '../../../core/errors.ts';
import { listTasks, taskEntries, type TaskList, type TaskListPage, type TaskSummary } from './tasks.ts';

/**
 * `changed`: differs from the digest the ledger recorded, in a phase that was
 * passed (sealed): tampering. `edited`: differs, in the current phase of an
 * active task, which the agent is still writing: the gate records the file as
 * it is when the phase is passed.
 */
export type ArtifactState = 'matches' | 'changed' | 'edited' | 'missing' | 'unrecorded';

export interface ArtifactInfo {
  /** Relative to the state folder: `evidence/T-1/spec/spec.md`. */
  readonly path: string;
  readonly name: string;
  /** The phase folder (lower case). */
  readonly phase: string;
  /** The backtrack round that archived it (`.stale/<n>/`); null for live evidence. */
  readonly staleRound: number | null;
  readonly producer: Producer | null;
  /** The digest the ledger recorded; null when it records none. */
  readonly sha256: string | null;
  /** The entry that recorded the digest. */
  readonly seq: number | null;
  /** The digest of the file as it is now; null when it cannot be read. */
  readonly actualSha256: string | null;
  readonly bytes: number | null;
  readonly state: ArtifactState;
  /** Who wrote it, as the entry that recorded it says: its hand and role (null: a working agent); null if unrecorded. */
  readonly by: WrittenBy | null;
}

/** The hand behind an artifact: a working agent's holder, a reviewer session's, or a person's `person:<name>`. */
export interface WrittenBy {
  readonly hand: string;
  readonly role: Role | null;
}

const MAX_READ = 256 * 1024 * 1024;

function inspect(engine: Engine, path: string): { sha256: string | null; bytes: number | null; content?: Buffer } {
  const file = readNoFollow(
    join(engine.layout.stateDir, path),
    Math.max(engine.config.limits.maxEvidenceBytes, MAX_READ),
  );
  return file.kind === 'file'
    ? { sha256: file.sha256, bytes: file.bytes.length, content: file.bytes }
    : { sha256: null, bytes: null };
}

function parts(path: string): { name: string; phase: string; staleRound: number | null } {
  const segs = path.split('/');
  const name = segs.at(-1) ?? path;
  const phase = segs.at(-2) ?? '';
  const stale = segs.indexOf('.stale');
  return { name, phase, staleRound: stale >= 0 ? Number(segs[stale + 1]) : null };
}

/** Every artifact of a task, in process order: live phases first, then archived rounds. */
export function taskArtifacts(engine: Engine, task: TaskState, entries: readonly LedgerEntry[]): ArtifactInfo[] {
  const bySeq = new Map(entries.map((x) => [x.seq, x]));
  const writer = (seq: number | undefined): WrittenBy | null => {
    const x = seq === undefined ? undefined : bySeq.get(seq);
    return x ? { hand: handOf(x), role: roleOf(x) } : null;
  };
  const recorded = new Map<string, { sha256: string; producer: Producer; seq: number }>();
  for (const x of entries)
    for (const a of x.artifacts) recorded.set(a.path, { sha256: a.sha256, producer: a.producer, seq: x.seq });
  const out: ArtifactInfo[] = [];
  const seen = new Set<string>();
  const open = task.status === 'active' ? `evidence/${task.taskId}/${phaseDir(task.phase)}/` : null;
  const push = (path: string, rec: { sha256: string; producer: Producer; seq: number } | undefined) => {
    if (seen.has(path)) return;
    seen.add(path);
    const now = inspect(engine, path);
    const differs: ArtifactState = open && path.startsWith(open) ? 'edited' : 'changed';
    const state: ArtifactState = !rec
      ? 'unrecorded'
      : now.sha256 === null
        ? 'missing'
        : now.sha256 === rec.sha256
          ? 'matches'
          : differs;
    out.push({
      path,
      ...parts(path),
      producer: rec?.producer ?? null,
      sha256: rec?.sha256 ?? null,
      seq: rec?.seq ?? null,
      actualSha256: now.sha256,
      bytes: now.bytes,
      state,
      by: writer(rec?.seq),
    });
  };
  for (const phase of engine.config.phases) {
    const prefix = `evidence/${task.taskId}/${phaseDir(phase)}/`;
    for (const [path, a] of Object.entries(task.artifacts)
      .filter(([p]) => p.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1)))
      push(path, a);
    const folder = phaseFolder(engine.layout, task.taskId, phase);
    if (folder.ok) for (const name of listFolder(folder.value)) push(`${prefix}${name}`, undefined);
  }
  const stale = [...recorded.entries()].filter(([p]) => p.startsWith(`evidence/${task.taskId}/.stale/`));
  stale.sort(([a], [b]) => {
    const ra = parts(a).staleRound ?? 0;
    const rb = parts(b).staleRound ?? 0;
    return (
      ra - rb ||
      engine.config.phases.findIndex((p) => phaseDir(p) === parts(a).phase) -
        engine.config.phases.findIndex((p) => phaseDir(p) === parts(b).phase) ||
      (a < b ? -1 : 1)
    );
  });
  for (const [path, rec] of stale) push(path, rec);
  return out;
}

export interface ArtifactContent {
  readonly info: ArtifactInfo;
  /** The text; null when the file is missing or not UTF-8 text. */
  readonly text: string | null;
}

/** Reads one artifact the task lists; undefined for any other path (nothing outside the list is served). */
export function readArtifact(
  engine: Engine,
  task: TaskState,
  entries: readonly LedgerEntry[],
  path: string,
): ArtifactContent | undefined {
  const info = taskArtifacts(engine, task, entries).find((a) => a.path === path);
  if (!info) return undefined;
  const now = inspect(engine, path);
  if (!now.content) return { info, text: null };
  const text = new TextDecoder('utf-8', { fatal: false }).decode(now.content);
  return { info, text: text.includes('\u0000') ? null : text };
}

/** A task of the evidence index: its summary and its artifacts. */
export interface EvidenceRow {
  readonly summary: TaskSummary;
  readonly artifacts: readonly ArtifactInfo[];
}

/** A page of the evidence index: the task list's page (same order and pager) with each task's artifacts. */
export async function evidenceIndex(
  engine: Engine,
  page: TaskListPage,
): Promise<Result<{ readonly list: TaskList; readonly rows: readonly EvidenceRow[] }>> {
  const found = await listTasks(engine, {}, page);
  if (!found.ok) return found;
  const rows = await Promise.all(
    found.value.tasks.map(async (summary) => {
      const task = await engine.store.getTask(summary.taskId);
      return { summary, artifacts: task ? taskArtifacts(engine, task, await taskEntries(engine, task.taskId)) : [] };
    }),
  );
  return ok({ list: found.value, rows });
}
