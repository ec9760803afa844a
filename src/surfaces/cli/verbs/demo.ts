/** @module `autopilot demo`: the whole process on a throw-away repository, told as a timeline. */
import pc from 'picocolors';
import { ErrorCode } from '../../../core/errors.ts';
import { runDemo } from '../../demo/run.ts';
import { done, type GlobalOptions, type VerbResult } from '../runtime.ts';

export async function demoVerb(opts: GlobalOptions & { dir?: string }): Promise<VerbResult> {
  const out = (line: string) => {
    if (!opts.json) process.stdout.write(`${line}\n`);
  };
  out(pc.bold('Autopilot demo: one task, nine phases, an agent that tries to cut corners\n'));
  const report = await runDemo({ ...(opts.dir ? { dir: opts.dir } : {}), log: out });
  if (!report.passed) {
    return {
      ok: false,
      error: {
        code: ErrorCode.INTERNAL,
        message: 'the demo did not go as scripted; see the timeline above',
        details: { steps: report.steps, ledger: report.ledger },
      },
    };
  }
  const cli = `node ${process.argv[1] ?? 'bin/autopilot.js'}`;
  const text = [
    '',
    pc.bold('Look around:'),
    `  repository   ${report.repo}`,
    `  ledger       ${report.repo}/.autopilot/autopilot.db`,
    `  evidence     ${report.repo}/.autopilot/evidence/${report.taskId}/`,
    `  try          ${cli} -C ${report.repo} ledger show --task ${report.taskId}`,
    `               ${cli} -C ${report.repo} ledger verify`,
    `               ${cli} -C ${report.repo} task status ${report.taskId}`,
    `  dashboard    ${cli} -C ${report.repo} serve`,
    `               then open the address it prints: the task's trace graph, evidence, metrics and ledger`,
  ].join('\n');
  return done({ repo: report.repo, taskId: report.taskId, steps: report.steps, ledger: report.ledger }, text);
}
