/** @module Watching the process over time: `metrics`, `slo`, `alerts`. */
import type { Command } from 'commander';
import { example, type Act, type Opts } from './shared.ts';

const windowHelp = 'the time window ending now: 30m, 24h, 7d, 2w (default 7d)';

/** `autopilot metrics`: the contract's counters over a window, and the gates' rates against their baseline. */
export function metricsCommand(program: Command, act: Act): void {
  program
    .command('metrics')
    .description(
      "the contract's counters over a window, reconstructed from the ledger, by phase and code; the CI gate's per-gate counters from telemetry/metrics.jsonl; outcomes per prompt variant",
    )
    .option('--window <duration>', windowHelp)
    .option('--baseline <duration>', "the window before --window that the gates' rates are compared with (default 30d)")
    .addHelpText(
      'after',
      `
Per gate (g0 onboarding … g5 code owners and approvals), from the ledger: blocks (refusals a task met), would-block
(observe-mode policies), overridden (a person adopted a new contract or mode for the task before it left the phase,
or allowed a blocked tool call) and spurious (a failed VERIFY whose very tree a later run of the task passed);
false_positive_gate_rate = overridden / blocks, spurious_block_rate = spurious / blocks.

For personas with prompt variants (config: personas.variants), each variant's phase runs, first-pass gate rate
(runs left forward with no refused move before), backtracks, refusals and mean time in phase.
${example('autopilot metrics --window 24h\nautopilot metrics --window 7d --baseline 30d --json')}`,
    )
    .action(act(async (opts: Opts) => (await import('../verbs/metrics.ts')).metricsVerb(opts)));
}

/** `autopilot slo`: success rate, loop rate and tool MTTR against their goals. */
export function sloCommand(program: Command, act: Act): void {
  program
    .command('slo')
    .description('task success rate, loop rate and tool MTTR over a window, against their goals')
    .option('--window <duration>', windowHelp)
    .addHelpText(
      'after',
      `
task success rate = done / (done + aborted + stuck) of the outcomes dated in the window (goal ≥ 95%);
loop rate = share of the window's tasks that entered a phase more than slo.loopThreshold times (goal ≤ 2%);
tool MTTR = mean time from a denied tool call to the task's next recorded action (goal ≤ 30 s).
${example('autopilot slo --window 24h')}`,
    )
    .action(act(async (opts: Opts) => (await import('../verbs/metrics.ts')).sloVerb(opts)));
}

/** `autopilot alerts`: the config's alert rules, evaluated. */
export function alertsCommand(program: Command, act: Act): void {
  program
    .command('alerts')
    .description('evaluate the alert rules of the config (key: alerts); exit 2 when one fires')
    .addHelpText('after', example('autopilot alerts\nautopilot alerts --json || notify "autopilot alert"'))
    .action(act(async (opts: Opts) => (await import('../verbs/metrics.ts')).alertsVerb(opts)));
}
