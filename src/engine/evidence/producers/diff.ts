/** @module IMPLEMENT's evidence, produced from git: the task's diff and the files it touches. */
import { join } from 'node:path';
import type { TaskState } from '../../../core/task.ts';
import { parseUnifiedDiff, type ChangedFile } from '../../../reports/diff.ts';
import { workingTreeDiff, EMPTY_TREE } from '../../repo/git.ts';
import { readNoFollow } from '../../repo/files.ts';
import { sha256Hex } from '../../repo/files.ts';
import type { Engine } from '../../context.ts';

export interface TaskDiff {
  readonly base: string;
  readonly patch: string;
  readonly sha256: string;
  readonly files: ChangedFile[];
  /** Tree id of the working tree the diff leads to, the state folder left out (with `opts.tree`). */
  readonly tree?: string;
}

export async function taskDiff(e: Engine, state: TaskState, opts: { tree?: boolean } = {}): Promise<TaskDiff> {
  const base = state.baseCommit ?? EMPTY_TREE;
  const { patch, tree } = await workingTreeDiff(e.layout.root, base, e.layout.stateDir, opts);
  return { base, patch, sha256: sha256Hex(patch), files: parseUnifiedDiff(patch), ...(tree ? { tree } : {}) };
}

/** Paths PLAN's file_map.json names, or undefined when there is no readable file map. */
export function plannedPaths(e: Engine, state: TaskState): Set<string> | undefined {
  const file = readNoFollow(
    join(e.layout.evidenceDir, state.taskId, 'plan', 'file_map.json'),
    e.config.limits.maxEvidenceBytes,
  );
  if (file.kind !== 'file') return undefined;
  try {
    const doc = JSON.parse(file.bytes.toString('utf8')) as { files?: { path?: unknown }[] };
    return new Set((doc.files ?? []).map((f) => String(f.path ?? '').replace(/^\.\//, '')));
  } catch {
    return undefined;
  }
}

export async function produceImplement(
  e: Engine,
  state: TaskState,
): Promise<{ files: { name: string; content: string }[]; diff: TaskDiff }> {
  const diff = await taskDiff(e, state);
  const planned = plannedPaths(e, state);
  const files = diff.files.map((f) => ({
    path: f.path,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    binary: f.binary,
    inFileMap: planned ? planned.has(f.path) : null,
  }));
  const modified = {
    base: diff.base,
    diffSha256: diff.sha256,
    files,
    outsideFileMap: planned ? files.filter((f) => !f.inFileMap).map((f) => f.path) : null,
    fileMap: planned ? 'evidence/' + state.taskId + '/plan/file_map.json' : null,
  };
  return {
    diff,
    files: [
      { name: 'git_diff.patch', content: diff.patch },
      { name: 'modified_files.json', content: JSON.stringify(modified, null, 2) + '\n' },
    ],
  };
}
