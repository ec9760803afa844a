/**
 * @module The plan↔diff check: each file the task's diff changes, mapped to the work items of the task's Plan that
 * name it (its file map and its tests to add); a file no item names is unplanned.
 */
import type { Plan } from './schemas.ts';

/** How the task's diff maps onto its plan. */
export interface PlanCoverage {
  /** Each changed file with the ids of the work items that name it, in the plan's order (empty: unplanned). */
  readonly files: readonly { readonly path: string; readonly planItems: readonly string[] }[];
  /** The changed files no work item names. */
  readonly unplanned: readonly string[];
}

/** Maps each changed path to the work items of `plan` that name it. */
export function planCoverage(plan: Plan, changedPaths: readonly string[]): PlanCoverage {
  const items = new Map<string, string[]>();
  const note = (path: string, item: string) => {
    const list = items.get(path) ?? [];
    if (!list.includes(item)) list.push(item);
    items.set(path, list);
  };
  for (const f of plan.fileMap) note(f.path, f.item);
  for (const t of plan.testsToAdd) note(t.path, t.item);
  const files = changedPaths.map((path) => ({ path, planItems: items.get(path) ?? [] }));
  return { files, unplanned: files.filter((f) => f.planItems.length === 0).map((f) => f.path) };
}
