/** @module The outbox's verbs: `outbox list|run|retry|drop`, the external side effects the process decided. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

/** `autopilot outbox …`: list what was decided, send what is due, and a person's retry or drop. */
export function outboxCommand(program: Command, act: Act): void {
  const outbox = program
    .command('outbox')
    .description(
      'the external side effects the process decided (the push of the task branch; with GitHub, the pull request, its evidence comment and commit status), sent by a dispatcher',
    )
    .addHelpText(
      'after',
      `
A move that decides an external side effect writes it as an outbox row in the same transaction as its ledger
entry, keyed <TASK>@<phase epoch>:<action>, so a row exists exactly when its decision is recorded. With
pr.mode: git in the config, entering PR decides a push of the task branch to pr.remote (default origin;
never the remote's default branch). \`outbox run\` sends what is due: it claims a row, checks whether the
remote already holds the commit (a run killed after pushing), pushes if not, and records the result as an
\`outbox\` ledger entry with PR's pushed_commit.json. A failure is retried with backoff (5 s, doubling, up to
6 attempts), then the row stops until a person retries or drops it.
With pr.mode: github, gitlab or gitea (or auto, and a remote on github.com, gitlab.com or a host named in
pr.forges), the recorded push decides open_pr: it waits (outcome "waiting", no attempt counted) until PR's
pr_template_filled.md is written, then opens the pull (merge) request, or updates the one already open for the
branch, and writes pr_url.txt from the forge's answer; that decides comment (the evidence summary, found again
by a hidden marker) and status (autopilot/evidence on the pushed commit). One run sends them all. The token is
read from AUTOPILOT_FORGE_TOKEN, else GITHUB_TOKEN, GITLAB_TOKEN or GITEA_TOKEN (the forge's own), in the
environment of this command, else from the forge-token file (mode 0600) in the per-user state folder.
States: pending, sending, failed, stopped, sent, dropped.`,
    );
  outbox
    .command('list')
    .description('list the rows, oldest first, with their state, attempts and last error')
    .option('--task <TASK>', "only this task's rows")
    .option(
      '--state <states>',
      'only rows in these states, comma-separated (pending,sending,failed,stopped,sent,dropped)',
    )
    .addHelpText('after', example('autopilot outbox list\nautopilot outbox list --state failed,stopped --json'))
    .action(act(async (opts: Opts) => (await import('../verbs/outbox.ts')).outboxList(opts)));
  outbox
    .command('run')
    .description('send every due row once and record each result; exits 2 when a row failed or stopped')
    .option('--key <KEY>', 'only this row')
    .addHelpText(
      'after',
      `
\`autopilot serve\` and the hook daemon send due rows by themselves; this verb is
for a repository where neither runs, and for a timer or a script. Each row is
claimed before it is sent, so it never goes out twice, whoever runs.
${example('GITHUB_TOKEN=… autopilot outbox run\nautopilot outbox run --key T-1@42:open_pr --json')}`,
    )
    .action(act(async (opts: Opts) => (await import('../verbs/outbox.ts')).outboxRun(opts)));
  for (const op of ['retry', 'drop'] as const) {
    outbox
      .command(`${op} <KEY>`)
      .description(
        op === 'retry'
          ? "put a failed, stopped or dropped row back in line, its attempts reset (a person's command)"
          : "give up a row that was not sent; it never will be (a person's command)",
      )
      .requiredOption('--reason <text>', 'why, recorded in the ledger with your name')
      .addHelpText(
        'after',
        example(
          `autopilot outbox ${op} T-1@42:push --reason "${op === 'retry' ? 'the remote is back' : 'pushed by hand'}"`,
        ),
      )
      .action(
        act(async (key: string, opts: Opts) =>
          (await import('../verbs/outbox.ts')).outboxOperate(op, key, opts as Opts & { reason: string }),
        ),
      );
  }
}
