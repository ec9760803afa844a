/**
 * @module MONITOR's deployments from the forge: the deployments of the commit the task released (the merge commit of
 * its pull request once merged), each environment's newest one, waited for while the pull request is not merged yet,
 * while one runs or while a named environment has none yet, with progress on stderr, then judged. A forge that cannot
 * be read is retried and then refused: it says nothing about the release, so it never reads as an unhealthy one.
 */
import { durationSeconds, type DeploymentsSpec } from '../../../core/config.ts';
import { judgeDeployments } from '../../../core/forge.ts';
import { AutopilotError, ErrorCode } from '../../../core/errors.ts';
import type { ForgeDeployment } from '../../../ports/forge.ts';
import { openForge } from '../../repo/forge.ts';
import { ForgeWait } from './forge-wait.ts';
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

/**
 * The commit MONITOR looks at, and why: the merge commit of the task's pull request (`merge`), the commit Autopilot
 * pushed in git-only mode or before any pull request was opened (`pushed`), or the repository's HEAD when nothing
 * was pushed (`head`, a `manual` PR).
 */
export interface ReleaseCommit {
  readonly kind: 'merge' | 'pushed' | 'head';
  readonly commit: string | null;
  /** The pull request, for `merge`. */
  readonly pull?: number;
  readonly url?: string;
  /** In words, for `deployment_status.json`: `merge commit of pull request #3`, `the commit pushed to origin`. */
  readonly why: string;
}

/** What the task's outbox recorded: the pull request it opened (or found) and the commit it pushed, newest of each. */
export async function releaseOfTask(
  engine: Engine,
  taskId: string,
): Promise<{ pull?: { number: number; url: string }; pushed?: { commit: string; remote: string } }> {
  const entries = await engine.store.entries({ taskId, kind: 'outbox', newestFirst: true });
  const done = entries.filter((e) => e.data['result'] === 'sent' || e.data['result'] === 'found');
  const opened = done.find((e) => e.data['action'] === 'open_pr' && typeof e.data['pull'] === 'number');
  const push = done.find((e) => e.data['action'] === 'push' && typeof e.data['commit'] === 'string');
  return {
    ...(opened ? { pull: { number: opened.data['pull'] as number, url: String(opened.data['url'] ?? '') } } : {}),
    ...(push ? { pushed: { commit: push.data['commit'] as string, remote: String(push.data['remote'] ?? '') } } : {}),
  };
}

export interface DeploymentsOptions {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly progress?: (line: string) => void;
}

/**
 * Asks the forge for the deployments of the released commit until every environment asked for has ended or `within`
 * has passed. With a pull request, the commit is its merge commit: an open one is waited for (within the same time),
 * then refused (EVIDENCE_MISSING), as is one closed without a merge, at once. No forge to ask (no token, a repository
 * that cannot be told) or one whose API has no deployments (Gitea) is a configuration error (CONFIG_INVALID). A forge
 * error is retried with backoff while it may pass (5xx, rate limits, no answer) and refused when it does not:
 * CONFIG_INVALID for a refused token (401, 403) or a repository or pull request it does not show (404),
 * EVIDENCE_INVALID when it still fails when the time is up. Each refusal is thrown, so that nothing is recorded as the
 * release's health.
 */
export async function readDeployments(
  engine: Engine,
  spec: DeploymentsSpec,
  target: {
    readonly taskId: string;
    readonly phase: string;
    readonly pull?: { number: number; url: string };
    readonly commit: string | null;
  },
  opts: DeploymentsOptions = {},
): Promise<{ record: DeploymentsRecord; release: ReleaseCommit }> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`autopilot: ${line}\n`));
  const withinMs = (durationSeconds(spec.within) ?? 0) * 1000;
  const pollMs = (spec.pollSeconds ?? 10) * 1000;
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
  const { taskId, phase, pull } = target;
  let release: ReleaseCommit | undefined = pull
    ? undefined
    : target.commit
      ? { kind: 'pushed', commit: target.commit, why: 'the commit Autopilot pushed (no pull request was opened)' }
      : undefined;
  if (!pull && !release)
    throw new AutopilotError(
      ErrorCode.EVIDENCE_MISSING,
      `${taskId} has no pull request and no pushed commit to look for a deployment of: run the outbox so that the branch is pushed and its pull request opened, then advance again`,
      { taskId, phase, reason: 'nothing released', remedy: { retry: 'advance' } },
    );
  const wait = new ForgeWait(withinMs, pollMs, sleep, progress);
  const ctx = { taskId, phase, forge: forge.kind, subject: `the release of ${taskId}`, about: 'the deployment' };
  for (;;) {
    const final = wait.final;
    try {
      if (!release) {
        const p = pull!;
        const merge = await forge.pullMerge(p.number);
        wait.answered();
        if (merge.state === 'merged' && merge.mergeCommitSha)
          release = {
            kind: 'merge',
            commit: merge.mergeCommitSha,
            pull: p.number,
            url: merge.url,
            why: `merge commit of pull request #${p.number}`,
          };
        else if (merge.state === 'closed')
          throw new AutopilotError(
            ErrorCode.EVIDENCE_MISSING,
            `pull request #${p.number} (${merge.url}) was closed without a merge, so nothing of ${taskId} was released: reopen and merge it, then advance again; or backtrack to rework the change`,
            { taskId, phase, reason: 'closed unmerged', pull: p.number, url: merge.url, remedy: { retry: 'advance' } },
          );
        else if (final)
          throw new AutopilotError(
            ErrorCode.EVIDENCE_MISSING,
            `pull request #${p.number} (${merge.url}) is not merged yet, so there is no release of ${taskId} to look at: merge it and advance again, or give the merge more time in monitor.deployments.within (now ${withinMs / 1000} s)`,
            {
              taskId,
              phase,
              reason: 'not merged',
              pull: p.number,
              url: merge.url,
              waitedSeconds: Math.round(wait.waited / 1000),
              remedy: { retry: 'advance' },
            },
          );
        else {
          progress(`waiting for pull request #${p.number} to be merged (${wait.clock()})`);
          await wait.pause();
          continue;
        }
      }
      const found: ForgeDeployment[] = await forge.deployments(release.commit!);
      wait.answered();
      const verdict = judgeDeployments(found, spec.environments, final);
      if (final || verdict.waiting.length === 0 || verdict.unhealthy)
        return {
          release,
          record: {
            commit: release.commit!,
            environments: spec.environments,
            healthy: verdict.healthy,
            unhealthy: verdict.unhealthy,
            forge: forge.kind,
            waitedSeconds: Math.round(wait.waited / 1000),
            deployments: found.map((d) => ({
              environment: d.environment,
              state: d.state,
              detail: d.detail,
              url: d.url,
            })),
          },
        };
      progress(
        `waiting for the deployment of ${release.commit!.slice(0, 12)} to ${verdict.waiting.join(', ')} (${wait.clock()})`,
      );
      await wait.pause();
    } catch (err) {
      await wait.retry(err, ctx);
    }
  }
}
