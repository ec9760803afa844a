/**
 * @module REVIEW's lint score, PR's CI results and MONITOR's smoke results, from configured commands, and MONITOR's
 * deployment status with its health checks.
 */
import type { NamedCommandSpec } from '../../../core/config.ts';
import { unconfiguredRecord } from '../../../core/waivers.ts';
import type { TaskState } from '../../../core/task.ts';
import { headCommit } from '../../repo/git.ts';
import type { RunResult } from '../../../ports/runner.ts';
import {
  couldNotStart,
  failure,
  outputTail,
  passed,
  runCommand,
  type CommandFailure,
  type CommandRecord,
} from './run-commands.ts';
import type { Engine } from '../../context.ts';
import { resolvePrMode } from '../../repo/forge.ts';
import { isForgeKind } from '../../../core/forge.ts';
import { produceForgeCi } from './ci-forge.ts';
import { probeHealth } from './health.ts';
import { readDeployments, releaseOfTask, type ReleaseCommit } from './deployments.ts';

export interface ProducedFiles {
  readonly files: { name: string; content: string }[];
  readonly commands: CommandRecord[];
}

const tail = (s: string, n = 4000) => (s.length > n ? `…${s.slice(-n)}` : s);

async function runAll(engine: Engine, specs: readonly NamedCommandSpec[]) {
  const results = [];
  const commands: CommandRecord[] = [];
  for (const spec of specs) {
    const { record, result } = await runCommand(engine, spec.name, spec);
    commands.push(record);
    results.push({ ...record, passed: passed(result), outputTail: tail(result.output) });
  }
  return { results, commands, passed: results.every((r) => r.passed) };
}

/**
 * Why the lint command failed: it could not start (`spawn`), it failed without a verdict on the code (`crash`:
 * killed, timed out, or an exit status of 2 and above, which eslint, ruff and golangci-lint use for their own
 * errors; cargo's 101 is clippy's verdict), or it found problems (`lint`). The linter's own last lines go with it.
 */
export function lintFailure(run: readonly string[], r: RunResult): CommandFailure {
  const said = outputTail(r.output);
  const withTail = said ? { outputTail: said } : {};
  const notStarted = couldNotStart(run, r);
  if (notStarted)
    return { kind: 'spawn', command: 'lint', message: `the lint command could not start: ${notStarted}`, ...withTail };
  if (r.timedOut || r.exitCode === null || (r.exitCode >= 2 && r.exitCode !== 101))
    return {
      kind: 'crash',
      command: 'lint',
      message: `the linter failed without a verdict on the code (${failure(r)})`,
      ...withTail,
    };
  return { kind: 'lint', command: 'lint', message: `the linter found problems (${failure(r)})`, ...withTail };
}

export async function produceReview(engine: Engine): Promise<ProducedFiles> {
  const lint = engine.config.commands.lint;
  if (!lint) {
    // Nothing ran, so nothing passed: the file says whether the config waives the check, and why.
    const doc = unconfiguredRecord(engine.config, 'lint');
    return { files: [{ name: 'code_quality_score.json', content: JSON.stringify(doc, null, 2) + '\n' }], commands: [] };
  }
  const { record, result } = await runCommand(engine, 'lint', lint);
  const doc = {
    configured: true,
    passed: passed(result),
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    outputTail: tail(result.output),
    ...(passed(result) ? {} : { failure: lintFailure(lint.run, result) }),
  };
  return {
    files: [{ name: 'code_quality_score.json', content: JSON.stringify(doc, null, 2) + '\n' }],
    commands: [record],
  };
}

/** PR's CI results: from the forge's checks when the PR went to a forge, else from the configured `commands.ci`. */
export async function producePr(engine: Engine, state: TaskState): Promise<ProducedFiles> {
  if (isForgeKind(await resolvePrMode(engine))) return { files: [await produceForgeCi(engine, state)], commands: [] };
  const specs = engine.config.commands.ci;
  const run = await runAll(engine, specs);
  const doc =
    specs.length > 0
      ? { configured: true, passed: run.passed, commands: run.results }
      : { ...unconfiguredRecord(engine.config, 'ci'), commands: [] };
  return { files: [{ name: 'ci_results.json', content: JSON.stringify(doc, null, 2) + '\n' }], commands: run.commands };
}

/**
 * MONITOR's smoke results and deployment status. The commit it looks at is the released one: with
 * `monitor.deployments`, the merge commit of the task's pull request (waited for, see deployments.ts); otherwise the
 * commit Autopilot pushed, or the repository's HEAD when nothing was pushed. The file says which, and why.
 */
export async function produceMonitor(engine: Engine, state: TaskState): Promise<ProducedFiles> {
  const specs = engine.config.commands.smoke;
  const run = await runAll(engine, specs);
  const configured = specs.length > 0;
  const smoke = configured
    ? { configured, passed: run.passed, commands: run.results }
    : { ...unconfiguredRecord(engine.config, 'smoke'), commands: [] };
  // The deployment is asked after the smoke commands: they may be what starts or warms it.
  const health = engine.config.monitor?.health ?? [];
  const verdict = health.length > 0 ? await probeHealth(health) : undefined;
  const spec = engine.config.monitor?.deployments;
  const outbox = await releaseOfTask(engine, state.taskId);
  const head = await headCommit(engine.layout.root);
  const read = spec
    ? await readDeployments(engine, spec, {
        taskId: state.taskId,
        phase: state.phase,
        ...(outbox.pull ? { pull: outbox.pull } : {}),
        commit: outbox.pushed?.commit ?? null,
      })
    : undefined;
  const release: ReleaseCommit = read
    ? read.release
    : outbox.pushed
      ? { kind: 'pushed', commit: outbox.pushed.commit, why: `the commit Autopilot pushed to ${outbox.pushed.remote}` }
      : { kind: 'head', commit: head ?? null, why: "the repository's HEAD (nothing was pushed)" };
  const deployed = read?.record;
  const parts = [verdict, deployed].filter((v) => v !== undefined);
  const deployment = {
    commit: release.commit,
    commitSource: {
      kind: release.kind,
      why: release.why,
      ...(release.pull !== undefined ? { pull: release.pull, url: release.url } : {}),
    },
    checkedAt: engine.clock.now().toISOString(),
    smokePassed: configured ? run.passed : null,
    ...(parts.length > 0
      ? {
          healthy: parts.every((v) => v.healthy),
          unhealthy: parts
            .map((v) => v.unhealthy)
            .filter(Boolean)
            .join(', '),
        }
      : {}),
    ...(verdict ? { health: verdict.checks } : {}),
    ...(deployed ? { deployments: deployed } : {}),
  };
  return {
    files: [
      { name: 'smoke_test_results.json', content: JSON.stringify(smoke, null, 2) + '\n' },
      { name: 'deployment_status.json', content: JSON.stringify(deployment, null, 2) + '\n' },
    ],
    commands: run.commands,
  };
}
