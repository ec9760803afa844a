/**
 * @module The contract a task adopts at its start: the config's text, written beside
 * the task's evidence and recorded with its digest in the task_started entry, so
 * that the task is judged by the contract it ran under after the config changes.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { Config } from '../../core/config.ts';
import { configDigest } from './config-digest.ts';
import { parseConfigText } from './config-file.ts';

/** The file name of a task's contract, in its evidence folder beside the phase folders. */
export const CONTRACT_FILE = 'contract.yaml';

/** Where a task's contract is, relative to the state folder (as the ledger records it). */
export function contractRel(taskId: string): string {
  return `evidence/${taskId}/${CONTRACT_FILE}`;
}

/**
 * The text of the contract `config` is: the config file as it is, comments and all, when it is
 * that config (the usual case); else the config written out, which parses to the same digest.
 */
export function contractText(configFile: string, config: Config): string {
  try {
    const text = readFileSync(configFile, 'utf8');
    if (configDigest(parseConfigText(text, configFile)) === configDigest(config)) return text;
  } catch {
    // no file, or one changed into something else since the config was loaded: write the config out
  }
  return `# The config this task adopted (written out: the file was not this config when the task started).\n${stringify(config, { lineWidth: 0 })}`;
}
