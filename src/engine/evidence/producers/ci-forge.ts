/**
 * @module PR's `ci_results.json` from the forge: the check runs and commit statuses of the pull request's head commit,
 * waited for until every required check has finished or the configured time is up, with progress on stderr. A forge
 * that cannot be read, or checks still running when the time is up, refuse the move: neither says CI is red.
 */
import { join } from 'node:path';
import { judgeChecks } from '../../../core/forge.ts';
import { AutopilotError, ErrorCode } from '../../../core/errors.ts';
import type { TaskState } from '../../../core/task.ts';
import type { ForgeCheck, ForgePull } from '../../../ports/forge.ts';
import { PUSHED_COMMIT } from '../../../core/config.ts';
import { readNoFollow } from '../../repo/files.ts';
import { openForge } from '../../repo/forge.ts';
import { phaseFolder } from '../folder.ts';
import { ForgeWait } from './forge-wait.ts';
import type { Engine } from '../../context.ts';

/** Default wait for the checks, and time between two looks. */
const DEFAULT_TIMEOUT_S = 600;
const DEFAULT_POLL_S = 15;

/** The file, and what a person reads when it says no. */
export interface ForgeCi {
  readonly name: 'ci_results.json';
  readonly content: string;
}

const file = (doc: Record<string, unknown>): ForgeCi => ({
  name: 'ci_results.json',
  content: `${JSON.stringify(doc, null, 2)}\n`,
});

/** What could not be read becomes a red result that says why, never a pass. */
const unreadable = (why: string): ForgeCi =>
  file({ configured: true, source: 'forge', passed: false, redChecks: why, checks: [] });

/**
 * Reads the checks of the PR's head commit: the branch from `pushed_commit.json` (Autopilot's own record), the PR
 * open on it, its head commit. Waits while a check runs or a required one has not reported, up to
 * `pr.ciTimeoutSeconds`, asking every `pr.ciPollSeconds`; then judges (see core/forge.ts judgeChecks): a red check, or
 * a required one that never reported, is a red result. Thrown, so that no result is written: a check still running
 * when the time is up (EVIDENCE_MISSING, the checks named), and a forge that cannot be read, after retries of what may
 * pass (see forge-wait.ts).
 */
export async function produceForgeCi(
  engine: Engine,
  state: TaskState,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  progress: (line: string) => void = (line) => process.stderr.write(`autopilot: ${line}\n`),
): Promise<ForgeCi> {
  const { taskId, phase } = state;
  const folder = phaseFolder(engine.layout, taskId, phase);
  const read = folder.ok ? readNoFollow(join(folder.value, PUSHED_COMMIT), 1024 * 1024) : null;
  if (read?.kind !== 'file') return unreadable(`no ${PUSHED_COMMIT} yet: run the outbox so that the branch is pushed`);
  let branch: string;
  let pushed: string;
  try {
    const doc = JSON.parse(read.bytes.toString('utf8')) as { branch?: unknown; commit?: unknown };
    branch = String(doc.branch ?? '');
    pushed = String(doc.commit ?? '');
  } catch {
    return unreadable(`${PUSHED_COMMIT} is not JSON`);
  }
  const opened = await openForge(engine);
  if (!opened.ok) return unreadable(opened.error.message);
  const forge = opened.value;
  const required = engine.config.pr?.requiredChecks ?? [];
  const timeoutMs = (engine.config.pr?.ciTimeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000;
  const pollMs = (engine.config.pr?.ciPollSeconds ?? DEFAULT_POLL_S) * 1000;
  const wait = new ForgeWait(timeoutMs, pollMs, sleep, progress);
  const ctx = { taskId, phase, forge: forge.kind, subject: `the CI checks of ${taskId}`, about: 'CI' };
  let pull: ForgePull | null | undefined;
  for (;;) {
    try {
      if (pull === undefined) {
        pull = await forge.findOpenPull(branch);
        wait.answered();
        if (!pull) return unreadable(`no open pull request for ${branch}: run the outbox so that it is opened`);
      }
      // GitLab names a merge request's head commit only once it has looked at it; until then it is the pushed one.
      const head = pull!.headSha || pushed;
      const final = wait.final;
      const checks = await forge.checks(head);
      wait.answered();
      const verdict = judgeChecks(checks, required, final);
      const running = checks.filter((c) => c.state === 'pending');
      if (final && running.length > 0 && !checks.some((c) => c.state === 'failure'))
        throw new AutopilotError(
          ErrorCode.EVIDENCE_MISSING,
          `CI has not finished on ${pull!.url} (commit ${head.slice(0, 12)}): ${running.map((c) => `${c.name} (still ${c.detail})`).join(', ')} after ${timeoutMs / 1000} s of waiting; wait for ${running.length > 1 ? 'them' : 'it'} to finish and advance again, or give CI more time in pr.ciTimeoutSeconds`,
          {
            taskId,
            phase,
            reason: 'checks still running',
            running: running.map((c) => c.name),
            pull: pull!.number,
            url: pull!.url,
            commit: head,
            waitedSeconds: Math.round(wait.waited / 1000),
            remedy: { retry: 'advance' },
          },
        );
      if (final || verdict.waiting.length === 0 || verdict.redChecks)
        return file({
          configured: true,
          source: 'forge',
          forge: forge.kind,
          pull: pull!.number,
          url: pull!.url,
          commit: head,
          required,
          passed: verdict.passed,
          redChecks: verdict.redChecks,
          waitedSeconds: Math.round(wait.waited / 1000),
          checks: checks.map((c: ForgeCheck) => ({
            name: c.name,
            kind: c.kind,
            state: c.state,
            detail: c.detail,
            url: c.url,
          })),
        });
      progress(`waiting for ${verdict.waiting.join(', ')} on ${pull!.url} (${wait.clock()})`);
      await wait.pause();
    } catch (err) {
      await wait.retry(err, ctx);
    }
  }
}
