/**
 * @module What a phase's typed contracts are checked against, read from the repository: the task's base commit, its
 * diff's files, its Plan and the phase's file_map.json, each read only when a contract of the phase needs it.
 */
import { join } from 'node:path';
import type { ContractContext } from '../../core/contracts/repair.ts';
import type { TaskState } from '../../core/task.ts';
import { readNoFollow } from '../repo/files.ts';
import type { Engine } from '../context.ts';
import { phaseFolder } from './folder.ts';
import { taskDiff } from './producers/diff.ts';
import { readTaskPlan } from './task-plan.ts';

/** The file map a Plan's missing fileMap may be filled from, in the Plan's own phase. */
const FILE_MAP = 'file_map.json';

function phaseFileMap(engine: Engine, state: TaskState, phase: string): unknown[] | undefined {
  const folder = phaseFolder(engine.layout, state.taskId, phase);
  if (!folder.ok) return undefined;
  const file = readNoFollow(join(folder.value, FILE_MAP), engine.config.limits.maxEvidenceBytes);
  if (file.kind !== 'file') return undefined;
  try {
    const doc = JSON.parse(file.bytes.toString('utf8')) as { files?: unknown };
    return Array.isArray(doc.files) ? doc.files : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The context of `phase`'s contracts, or undefined when the phase has none and is not the implement phase of a task
 * with a Plan (whose gate maps the diff onto it).
 */
export async function gatherContractContext(
  engine: Engine,
  state: TaskState,
  phase: string,
): Promise<ContractContext | undefined> {
  const types = new Set((engine.config.evidence[phase] ?? []).flatMap((r) => (r.contract ? [r.contract] : [])));
  const held = readTaskPlan(engine, state, phase);
  const mapping = phase === engine.config.roles.implement && held !== undefined;
  if (types.size === 0 && !mapping) return undefined;
  const needsDiff = mapping || types.has('ChangeSet') || types.has('PRSummary');
  const diff = needsDiff ? await taskDiff(engine, state) : undefined;
  const fileMap = types.has('Plan') ? phaseFileMap(engine, state, phase) : undefined;
  return {
    ...(state.baseCommit ? { base: state.baseCommit } : {}),
    ...(diff ? { changedFiles: diff.files.map((f) => ({ path: f.path, status: f.status })) } : {}),
    ...(held ? { plan: held.plan } : {}),
    ...(fileMap ? { fileMap } : {}),
  };
}
