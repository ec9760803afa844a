/** @module A person's decisions from a terminal: `approve` and `reject`, which point to the dashboard's passkeys. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** The reason, the port and the note on passkeys that `approve` and `reject` share. */
const decisionOptions = (cmd: Command) =>
  cmd
    .requiredOption('--reason <text>', 'why; the agent sees it')
    .option('--port <port>', 'the port autopilot serve listens on, for the decision URL (default 4400)')
    .addHelpText(
      'after',
      `
A person's decision is a WebAuthn (passkey) assertion over the decision (task,
phase, diff digest, note), made in the dashboard: a terminal cannot make one,
and no token, flag or variable stands in for it. This verb checks the task,
prints the URL of its decision page and exits 2 (APPROVAL_REQUIRED), recording
nothing. Run \`autopilot serve\`, register a passkey once with the one-time code
it prints, then decide on the Approvals page.

A backtrack proposed by an unhealthy MONITOR (see \`autopilot task status\`)
is decided the same way: requesting changes to the proposed phase sends the
task back; approving declines the proposal and the task stays in MONITOR.`,
    );

/** `autopilot approve`: where a person approves (the dashboard). */
export function approveCommand(program: Command, act: Act): void {
  decisionOptions(
    program
      .command('approve <TASK>')
      .description('where a person approves a move that policy sends to a person: the dashboard, with a passkey')
      .option(
        '--adopt-contract',
        "where a person adopts the config as it is now as the task's contract (after CONFIG_CHANGED): the dashboard, with a passkey",
      )
      .option(
        '--change-modes',
        "where a person changes the mode of a gate or policy for a running task (the config changed only gates: or the policies' modes, after CONFIG_CHANGED): the dashboard, with a passkey",
      )
      .option(
        '--allow-gate-workflow',
        "where a person allows the gate's own workflow as the task changed it (the CI gate otherwise fails the branch with CONFIG_CHANGED): the dashboard, with a passkey",
      )
      .addHelpText(
        'after',
        example(
          'autopilot approve T-1 --reason "migration reviewed with DBA"\nautopilot approve T-1 --adopt-contract --reason "lint added to the contract"\nautopilot approve T-1 --change-modes --reason "g5 observes while the owners are away"\nautopilot approve T-1 --allow-gate-workflow --reason "gate moved to Node 22, reviewed"',
        ),
      ),
  ).action(
    act(async (id: string, opts: Opts) =>
      (await import('../verbs/approve.ts')).approveVerb(id, opts as Opts & { reason: string }),
    ),
  );
}

/** `autopilot reject`: where a person requests changes, escalates or aborts (the dashboard). */
export function rejectCommand(program: Command, act: Act): void {
  decisionOptions(
    program
      .command('reject <TASK>')
      .description('where a person requests changes, escalates or aborts: the dashboard, with a passkey')
      .option('--to <phase>', 'with a change request: the phase the agent must go back to')
      .option('--escalate', 'pass it up: the task stays waiting, flagged')
      .option('--abort', 'stop the task for good')
      .addHelpText(
        'after',
        example(
          'autopilot reject T-1 --to IMPLEMENT --reason "handle the empty list"\nautopilot reject T-1 --abort --reason "out of scope"',
        ),
      ),
  ).action(
    act(async (id: string, opts: Opts) =>
      (await import('../verbs/approve.ts')).rejectVerb(id, opts as Opts & { reason: string }),
    ),
  );
}
