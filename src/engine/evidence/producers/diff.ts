/** @module IMPLEMENT's evidence, produced from git: the task's diff and the files it touches. */
import { join } from 'node:path';
import type { Config } from '../../../core/config.ts';
import type { TaskState } from '../../../core/task.ts';
import { parseUnifiedDiff, type ChangedFile } from '../../../reports/diff.ts';
import { workingTreeDiff, EMPTY_TREE } from '../../repo/git.ts';
import { outputPaths } from '../../repo/outputs.ts';
import { readNoFollow } from '../../repo/files.ts';
import { sha256Hex } from '../../repo/files.ts';
import type { Engine } from '../../context.ts';
import { planCoverage } from '../../../core/contracts/plan-diff.ts';
import { readTaskPlan } from '../task-plan.ts';

export interface TaskDiff {
  readonly base: string;
  readonly patch: string;
  readonly sha256: string;
  readonly files: ChangedFile[];
  /** Tree id of the working tree the diff leads to, the state folder left out (with `opts.tree`). */
  readonly tree?: string;
}

/** The reports the configured test command writes (test report and coverage), as the config names them. */
export function testReportPaths(config: Config): string[] {
  const test = config.commands.test;
  if (!test) return [];
  return [test.junit, test.report?.path, test.lcov, test.coverage?.path].filter((p): p is string => p !== undefined);
}

/**
 * The task's diff from its base to the working tree. What the test command wrote (with `sandbox.mode: off`
 * its reports land in the work tree) is left out, so that a report never counts as a change of the task.
 */
export async function taskDiff(engine: Engine, state: TaskState, opts: { tree?: boolean } = {}): Promise<TaskDiff> {
  const base = state.baseCommit ?? EMPTY_TREE;
  const exclude = (await outputPaths(engine.layout.root, testReportPaths(engine.config))).map((o) => o.path);
  const { patch, tree } = await workingTreeDiff(engine.layout.root, base, engine.layout.stateDir, { ...opts, exclude });
  return { base, patch, sha256: sha256Hex(patch), files: parseUnifiedDiff(patch), ...(tree ? { tree } : {}) };
}

/** Paths PLAN's file_map.json names, or undefined when there is no readable file map. */
export function plannedPaths(engine: Engine, state: TaskState): Set<string> | undefined {
  const file = readNoFollow(
    join(engine.layout.evidenceDir, state.taskId, 'plan', 'file_map.json'),
    engine.config.limits.maxEvidenceBytes,
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
  engine: Engine,
  state: TaskState,
): Promise<{ files: { name: string; content: string }[]; diff: TaskDiff }> {
  const diff = await taskDiff(engine, state);
  const planned = plannedPaths(engine, state);
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
    // With a Plan contract, each changed file with the work items that name it; the key is absent without one.
    ...planMapping(
      engine,
      state,
      files.map((f) => f.path),
    ),
  };
  return {
    diff,
    files: [
      { name: 'git_diff.patch', content: diff.patch },
      { name: 'modified_files.json', content: JSON.stringify(modified, null, 2) + '\n' },
    ],
  };
}

/** The `plan` part of modified_files.json: the plan↔diff mapping, when the task has a Plan contract. */
function planMapping(engine: Engine, state: TaskState, paths: readonly string[]) {
  const held = readTaskPlan(engine, state, state.phase);
  if (!held) return {};
  const coverage = planCoverage(held.plan, paths);
  return {
    plan: {
      contract: held.path,
      files: coverage.files,
      unplanned: coverage.unplanned,
      unplannedFiles: held.rule.unplannedFiles ?? 'report',
    },
  };
}
