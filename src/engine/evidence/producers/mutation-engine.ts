/**
 * @module Which engine makes a VERIFY's mutants (`verify.mutation.engine`): StrykerJS for JavaScript/TypeScript
 * tested by vitest, jest or mocha, Autopilot's own line mutations otherwise, and Autopilot's own, with the reason
 * recorded, whenever Stryker cannot run.
 */
import type { Engine } from '../../context.ts';
import { runMutants, type MutationInput, type MutationReport } from './mutation.ts';
import { STRYKER_FILES, locateStryker, runStryker, strykerRunnerOf, type StrykerRunnerName } from './stryker.ts';

/** The engine a VERIFY uses, and why; `fallback` when the setting asked for Stryker and it cannot be had. */
export type EngineChoice =
  | { readonly engine: 'autopilot'; readonly reason?: string }
  | { readonly engine: 'stryker'; readonly runner: StrykerRunnerName; readonly reason: string };

/** The choice `verify.mutation.engine` makes for these changed lines and this test command. */
export function chooseMutationEngine(e: Engine, input: MutationInput): EngineChoice {
  const setting = e.config.verify.mutation.engine ?? 'auto';
  if (setting === 'autopilot') return { engine: 'autopilot', reason: 'verify.mutation.engine is autopilot' };
  // Nothing to mutate: Autopilot's run says so, whatever the engine.
  if (input.lines.length === 0) return { engine: 'autopilot' };
  const js = input.lines.filter((l) => STRYKER_FILES.test(l.file));
  const others = [...new Set(input.lines.filter((l) => !STRYKER_FILES.test(l.file)).map((l) => l.file))];
  const runner = strykerRunnerOf(input.test.run, e.layout.root);
  const asked = setting === 'stryker' ? 'verify.mutation.engine is stryker, but ' : '';
  const own = "Autopilot's own mutations instead";
  // Stryker is for JavaScript/TypeScript: elsewhere Autopilot's own mutations are simply the engine, nothing to explain.
  if (setting === 'auto' && js.length === 0) return { engine: 'autopilot' };
  if (!runner)
    return {
      engine: 'autopilot',
      reason: `${asked}the test command runs no test runner Stryker has a plugin for (vitest, jest, mocha): ${own}`,
    };
  if (js.length === 0)
    return {
      engine: 'autopilot',
      reason: `${asked}no changed line that the tests run is JavaScript or TypeScript: ${own}`,
    };
  if (setting === 'auto' && others.length > 0)
    return {
      engine: 'autopilot',
      reason: `changed lines outside JavaScript/TypeScript (${others.slice(0, 3).join(', ')}) are mutated too: ${own}, which cover every language`,
    };
  const left =
    others.length > 0
      ? `; lines of ${others.slice(0, 3).join(', ')} are not JavaScript/TypeScript and are not mutated`
      : '';
  return {
    engine: 'stryker',
    runner,
    reason: `${setting === 'stryker' ? 'verify.mutation.engine is stryker' : 'JavaScript/TypeScript'} tested by ${runner}${left}`,
  };
}

/** Runs the mutants of a VERIFY with the engine the config and the change call for. */
export async function runMutation(e: Engine, input: MutationInput): Promise<MutationReport> {
  if (!e.config.verify.mutation.enabled) return runMutants(e, input);
  const choice = chooseMutationEngine(e, input);
  if (choice.engine === 'autopilot') {
    const report = await runMutants(e, input);
    return choice.reason ? { ...report, engineReason: choice.reason } : report;
  }
  const install = locateStryker(e.layout.root, choice.runner);
  if (!install) {
    const report = await runMutants(e, input);
    return {
      ...report,
      engineReason: `Stryker is not installed: neither the repository nor Autopilot has @stryker-mutator/core with @stryker-mutator/${choice.runner}-runner (add both as dev dependencies); Autopilot's own mutations instead`,
    };
  }
  const outcome = await runStryker(e, input, choice.runner, install, choice.reason);
  if ('report' in outcome) return outcome.report;
  const report = await runMutants(e, { ...input, spentMs: outcome.spentMs });
  return { ...report, engineReason: `${outcome.failed}; Autopilot's own mutations instead` };
}
