/** @module `autopilot demo`: the whole process on a throw-away repository, told as a timeline. */
import pc from 'picocolors';
import { ErrorCode } from '../../../core/errors.ts';
import { shellQuote } from '../../../engine/setup/agent-wiring.ts';
import { runDemo } from '../../demo/run.ts';
import { autopilotBin } from '../../hooks/launcher.ts';
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
  // Commands that run as printed: this Node and the bin script this process runs as (from the sources, the
  // development entry that runs them through tsx; Node 20 cannot run a .ts file by itself).
  const cli = (...args: string[]) => [process.execPath, autopilotBin(), '-C', report.repo, ...args];
  const tryCommands = {
    ledgerShow: cli('ledger', 'show', '--task', report.taskId),
    ledgerVerify: cli('ledger', 'verify'),
    taskStatus: cli('task', 'status', report.taskId),
    serve: cli('serve'),
  };
  const line = (argv: string[]) => argv.map(shellQuote).join(' ');
  const text = [
    '',
    pc.bold('Look around:'),
    `  repository   ${report.repo}`,
    `  pull request ${report.pullRequest.url} (on the demo's local forge, gone when the demo ends)`,
    `  ledger       ${report.repo}/.autopilot/autopilot.db`,
    `  evidence     ${report.repo}/.autopilot/evidence/${report.taskId}/`,
    `  try          ${line(tryCommands.ledgerShow)}`,
    `               ${line(tryCommands.ledgerVerify)}`,
    `               ${line(tryCommands.taskStatus)}`,
    `  dashboard    ${line(tryCommands.serve)}`,
    `               then open the address it prints: the task's trace graph, evidence, metrics and ledger`,
  ].join('\n');
  return done(
    {
      repo: report.repo,
      taskId: report.taskId,
      steps: report.steps,
      ledger: report.ledger,
      approval: report.approval,
      pullRequest: report.pullRequest,
      try: tryCommands,
    },
    text,
  );
}
