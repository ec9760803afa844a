/**
 * @module MONITOR's deployments from the forge: the deployments of the task's head commit, each environment's newest
 * one, waited for while one runs or a named environment has none yet, with progress on stderr, then judged.
 */
import { durationSeconds, type DeploymentsSpec } from '../../../core/config.ts';
import { judgeDeployments } from '../../../core/forge.ts';
import { AutopilotError, ErrorCode } from '../../../core/errors.ts';
import type { ForgeDeployment } from '../../../ports/forge.ts';
import { openForge } from '../../repo/forge.ts';
import type { Engine } from '../../context.ts';

/** What `deployment_status.json` records of the deployments. */
export interface DeploymentsRecord {
  readonly healthy: boolean;
  /** `environment (why)` of each failed, missing or unfinished deployment; '' when all succeeded. */
  readonly unhealthy: string;
  readonly forge: string | null;
  readonly commit: string;
  readonly environments: readonly string[];
  readonly waitedSeconds: number;
  readonly deployments: readonly { environment: string; state: string; detail: string; url: string | null }[];
}

export interface DeploymentsOptions {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly progress?: (line: string) => void;
}

/**
 * Asks the forge for the deployments of `commit` until every environment asked for has ended or `within` has passed.
 * A forge that cannot be reached or refused the request is unhealthy, and says why; no forge to ask (no token, a
 * repository that cannot be told) or one whose API has no deployments (Gitea, found by `pr.mode: auto`) is a
 * configuration error, thrown as its refusal (CONFIG_INVALID).
 */
export async function readDeployments(
  engine: Engine,
  spec: DeploymentsSpec,
  commit: string,
  opts: DeploymentsOptions = {},
): Promise<DeploymentsRecord> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`autopilot: ${line}\n`));
  const withinMs = (durationSeconds(spec.within) ?? 0) * 1000;
  const pollMs = (spec.pollSeconds ?? 10) * 1000;
  const base = { commit, environments: spec.environments };
  const opened = await openForge(engine);
  // No forge to ask (no token, no repository) is the configuration's problem, not the deployment's: refused, so that
  // it does not read as an unhealthy release.
  if (!opened.ok) throw new AutopilotError(opened.error.code, opened.error.message, opened.error.details);
  const forge = opened.value;
  if (!forge.deployments)
    throw new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `monitor.deployments: the remote is on ${forge.kind}, whose API has no deployments; use monitor.health with the deployment's health URL instead`,
      { key: 'monitor.deployments', reason: 'no deployments API', forge: forge.kind },
    );
  let waited = 0;
  for (;;) {
    let found: ForgeDeployment[];
    try {
      found = await forge.deployments(commit);
    } catch (err) {
      return {
        ...base,
        healthy: false,
        unhealthy: (err as Error).message,
        forge: forge.kind,
        waitedSeconds: Math.round(waited / 1000),
        deployments: [],
      };
    }
    const final = waited >= withinMs;
    const verdict = judgeDeployments(found, spec.environments, final);
    if (final || verdict.waiting.length === 0 || verdict.unhealthy)
      return {
        ...base,
        healthy: verdict.healthy,
        unhealthy: verdict.unhealthy,
        forge: forge.kind,
        waitedSeconds: Math.round(waited / 1000),
        deployments: found.map((d) => ({ environment: d.environment, state: d.state, detail: d.detail, url: d.url })),
      };
    progress(
      `waiting for the deployment of ${commit.slice(0, 12)} to ${verdict.waiting.join(', ')} (${Math.round(waited / 1000)} s of ${withinMs / 1000} s)`,
    );
    const step = Math.min(pollMs, withinMs - waited);
    await sleep(step);
    waited += step;
  }
}
