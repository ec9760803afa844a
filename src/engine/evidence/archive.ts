/**
 * @module The archive of evidence a backtrack made stale: `evidence/<T>/.stale/<n>/<phase>/`.
 *
 * A backtrack spans the file system and the store, and a process can die between
 * them. So the files are first hard-linked into the archive (the live ones stay
 * where the ledger still names them), the entry that names the archived copies
 * commits, and only then are the live ones removed. A process killed before the
 * commit leaves an archive no entry names, which the next backtrack drops; one
 * killed after it leaves live files that are links to their archived copies,
 * which {@link settleArchive} removes before the evidence is read again. Both are
 * settled ({@link tidyArchive}) before the task's evidence is written again.
 */
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { ok } from '../../core/errors.ts';
import type { ArchivedArtifact, TaskState } from '../../core/task.ts';
import { phaseDir } from '../../core/phases.ts';
import type { ArtifactRef } from '../../core/ledger.ts';
import { listFolder, readNoFollow } from '../repo/files.ts';
import type { Layout } from '../repo/layout.ts';
import { phaseFolder } from './folder.ts';

/** The archive folder of the task's n-th backtrack. */
export function archiveDir(layout: Layout, taskId: string, n: number): string {
  return join(layout.evidenceDir, taskId, '.stale', String(n));
}

/**
 * Puts a phase folder's entries into its archive folder: regular files as hard links (the
 * live file stays until the backtrack has committed), anything else renamed, as are files
 * where the file system has no hard links. Returns the renames, to undo on failure.
 */
export function linkAside(from: string, to: string): { from: string; to: string }[] {
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
        if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? ''))
          throw err;
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
export function archivePlan(layout: Layout, state: TaskState, phases: string[]) {
  const n = state.counts.backtracks + 1;
  const dirs: { from: string; to: string }[] = [];
  const archived: ArchivedArtifact[] = [];
  const artifacts: ArtifactRef[] = [];
  for (const phase of phases) {
    const folder = phaseFolder(layout, state.taskId, phase);
    if (!folder.ok) return folder;
    if (!existsSync(folder.value)) continue;
    const toDir = join(archiveDir(layout, state.taskId, n), phaseDir(phase));
    dirs.push({ from: folder.value, to: toDir });
    for (const name of listFolder(folder.value)) {
      const from = `evidence/${state.taskId}/${phaseDir(phase)}/${name}`;
      const to = `evidence/${state.taskId}/.stale/${n}/${phaseDir(phase)}/${name}`;
      archived.push({ from, to });
      const file = readNoFollow(join(folder.value, name), 256 * 1024 * 1024);
      if (file.kind === 'file')
        artifacts.push({ path: to, sha256: file.sha256, producer: state.artifacts[from]?.producer ?? 'agent' });
    }
  }
  return ok({ dirs, archived, artifacts });
}
