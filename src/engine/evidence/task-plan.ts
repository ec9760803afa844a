/** @module The task's Plan contract: where the config keeps it, and the task's copy of it, read and checked. */
import { join } from 'node:path';
import type { ArtifactRule, Config } from '../../core/config.ts';
import { planSchema, type Plan } from '../../core/contracts/schemas.ts';
import { phaseIndex } from '../../core/phases.ts';
import type { TaskState } from '../../core/task.ts';
import { evidenceRel } from '../repo/layout.ts';
import { readNoFollow } from '../repo/files.ts';
import type { Engine } from '../context.ts';

/** The artifact rule whose contract is Plan in a phase before `phase` (the latest), with its phase. */
export function planRuleBefore(config: Config, phase: string): { phase: string; rule: ArtifactRule } | undefined {
  const here = phaseIndex(config.phases, phase);
  for (const p of config.phases.slice(0, Math.max(here, 0)).reverse()) {
    const rule = (config.evidence[p] ?? []).find((r) => r.contract === 'Plan');
    if (rule) return { phase: p, rule };
  }
  return undefined;
}

/**
 * The task's Plan from the phase before `phase` that holds it, when the ledger names the file and it meets its
 * contract; a plan that does not was refused at its own gate, so nothing is mapped onto it.
 */
export function readTaskPlan(
  engine: Engine,
  state: TaskState,
  phase: string,
): { plan: Plan; path: string; rule: ArtifactRule } | undefined {
  const held = planRuleBefore(engine.config, phase);
  if (!held) return undefined;
  const path = evidenceRel(state.taskId, held.phase, held.rule.name);
  if (!state.artifacts[path]) return undefined;
  const file = readNoFollow(join(engine.layout.stateDir, path), engine.config.limits.maxEvidenceBytes);
  if (file.kind !== 'file') return undefined;
  try {
    const parsed = planSchema.safeParse(JSON.parse(file.bytes.toString('utf8')));
    return parsed.success ? { plan: parsed.data, path, rule: held.rule } : undefined;
  } catch {
    return undefined;
  }
}
