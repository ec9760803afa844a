/** @module REVIEW's lint score, PR's CI results and MONITOR's smoke results, from configured commands. */
import type { NamedCommandSpec } from '../../../core/config.ts';
import type { TaskState } from '../../../core/task.ts';
import { headCommit } from '../../repo/git.ts';
import { passed, runCommand, type CommandRecord } from './run-commands.ts';
import type { Engine } from '../../context.ts';

export interface ProducedFiles {
  readonly files: { name: string; content: string }[];
  readonly commands: CommandRecord[];
}

const tail = (s: string, n = 4000) => (s.length > n ? `…${s.slice(-n)}` : s);

async function runAll(e: Engine, specs: readonly NamedCommandSpec[]) {
  const results = [];
  const commands: CommandRecord[] = [];
  for (const spec of specs) {
    const { record, result } = await runCommand(e, spec.name, spec);
    commands.push(record);
    results.push({ ...record, passed: passed(result), outputTail: tail(result.output) });
  }
  return { results, commands, passed: results.every((r) => r.passed) };
}

export async function produceReview(e: Engine): Promise<ProducedFiles> {
  const lint = e.config.commands.lint;
  if (!lint) {
    const doc = { configured: false, passed: true, note: 'no lint command configured (commands.lint)' };
    return { files: [{ name: 'code_quality_score.json', content: JSON.stringify(doc, null, 2) + '\n' }], commands: [] };
  }
  const { record, result } = await runCommand(e, 'lint', lint);
  const doc = {
    configured: true,
    passed: passed(result),
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    outputTail: tail(result.output),
  };
  return {
    files: [{ name: 'code_quality_score.json', content: JSON.stringify(doc, null, 2) + '\n' }],
    commands: [record],
  };
}

export async function producePr(e: Engine): Promise<ProducedFiles> {
  const specs = e.config.commands.ci;
  const run = await runAll(e, specs);
  const doc = {
    configured: specs.length > 0,
    passed: run.passed,
    ...(specs.length === 0 ? { note: 'no CI commands configured (commands.ci)' } : {}),
    commands: run.results,
  };
  return { files: [{ name: 'ci_results.json', content: JSON.stringify(doc, null, 2) + '\n' }], commands: run.commands };
}

export async function produceMonitor(e: Engine, _state: TaskState): Promise<ProducedFiles> {
  const specs = e.config.commands.smoke;
  const run = await runAll(e, specs);
  const head = await headCommit(e.layout.root);
  const smoke = {
    configured: specs.length > 0,
    passed: run.passed,
    ...(specs.length === 0 ? { note: 'no smoke commands configured (commands.smoke)' } : {}),
    commands: run.results,
  };
  const deployment = { commit: head ?? null, checkedAt: e.clock.now().toISOString(), smokePassed: run.passed };
  return {
    files: [
      { name: 'smoke_test_results.json', content: JSON.stringify(smoke, null, 2) + '\n' },
      { name: 'deployment_status.json', content: JSON.stringify(deployment, null, 2) + '\n' },
    ],
    commands: run.commands,
  };
}
