/**
 * @module The verb table: every verb of the command line with the function that adds it to the program, in
 * the order `autopilot --help` lists them. Each registration imports its verb's code lazily, when it runs.
 */
import type { Command } from 'commander';
import type { Act } from './shared.ts';
import { demoCommand, doctorCommand, initCommand, redteamCommand } from './setup.ts';
import {
  advanceCommand,
  backtrackCommand,
  evidenceCommand,
  guardCommand,
  leaseCommand,
  taskCommand,
  verifyCommand,
} from './task.ts';
import { approveCommand, rejectCommand } from './decisions.ts';
import { attestCommand, gateCommand, ledgerCommand, storeCommand } from './record.ts';
import { execCommand, hookCommand, mcpCommand, serveCommand } from './connect.ts';
import { alertsCommand, metricsCommand, sloCommand } from './metrics.ts';
import { outboxCommand } from './outbox.ts';
import { policyCommand } from './policy.ts';
import { atlasCommand } from './atlas.ts';
import { advisoriesCommand } from './advisories.ts';

/** A top-level verb (or group of verbs) and the function that adds it, with its options and help, to the program. */
export interface Verb {
  readonly name: string;
  readonly register: (program: Command, act: Act) => void;
}

export const VERBS: readonly Verb[] = [
  { name: 'init', register: initCommand },
  { name: 'task', register: taskCommand },
  { name: 'advance', register: advanceCommand },
  { name: 'backtrack', register: backtrackCommand },
  { name: 'evidence', register: evidenceCommand },
  { name: 'verify', register: verifyCommand },
  { name: 'guard', register: guardCommand },
  { name: 'policy', register: policyCommand },
  { name: 'approve', register: approveCommand },
  { name: 'reject', register: rejectCommand },
  { name: 'lease', register: leaseCommand },
  { name: 'attest', register: attestCommand },
  { name: 'ledger', register: ledgerCommand },
  { name: 'store', register: storeCommand },
  { name: 'outbox', register: outboxCommand },
  { name: 'gate', register: gateCommand },
  { name: 'atlas', register: atlasCommand },
  { name: 'advisories', register: advisoriesCommand },
  { name: 'hook', register: hookCommand },
  { name: 'exec', register: execCommand },
  { name: 'doctor', register: doctorCommand },
  { name: 'mcp', register: mcpCommand },
  { name: 'serve', register: serveCommand },
  { name: 'metrics', register: metricsCommand },
  { name: 'slo', register: sloCommand },
  { name: 'alerts', register: alertsCommand },
  { name: 'demo', register: demoCommand },
  { name: 'redteam', register: redteamCommand },
];

/** Adds every verb of the table to the program, checking that each registration added the verb it names. */
export function registerVerbs(program: Command, act: Act, verbs: readonly Verb[] = VERBS): void {
  for (const verb of verbs) {
    verb.register(program, act);
    const added = program.commands.at(-1)?.name();
    // A registration that adds another verb, or none, is a bug of this table: fail at once, in every test.
    if (added !== verb.name) throw new Error(`the registration of ${verb.name} added ${added ?? 'nothing'}`);
  }
}
