/**
 * @module The contract a task adopts at its start: the config's text, written beside
 * the task's evidence and recorded with its digest in the task_started entry, so
 * that the task is judged by the contract it ran under after the config changes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../../core/config.ts';
import { configKeysDiffering } from '../../core/config-diff.ts';
import type { TaskState } from '../../core/task.ts';
import { readNoFollow } from './files.ts';
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

/** Where version `version` of a task's contract is: `contract.yaml` as adopted at the start, `contract.<n>.yaml` after. */
export function contractVersionRel(taskId: string, version: number): string {
  return version <= 1 ? contractRel(taskId) : `evidence/${taskId}/contract.${version}.yaml`;
}

/** How the config loaded now differs from the contract a task adopted. */
export interface ContractChange {
  readonly adopted: string;
  readonly current: string;
  /** The dotted keys that differ; empty when the adopted contract's text could not be read to compare. */
  readonly keys: string[];
  /** Why `keys` is empty, when the contract's text could not be read. */
  readonly note?: string;
}

/**
 * The change from the contract `state` adopted to `config`, or undefined when there is none (or the task adopted
 * none: it started before tasks recorded their contract).
 */
export function contractChange(stateDir: string, config: Config, state: TaskState): ContractChange | undefined {
  const adopted = state.contract;
  if (!adopted) return undefined;
  const current = configDigest(config);
  if (adopted.digest === current) return undefined;
  const base = { adopted: adopted.digest, current };
  if (!adopted.path) return { ...base, keys: [], note: 'the task records no contract file' };
  const file = join(stateDir, adopted.path);
  const text = readNoFollow(file, 16 * 1024 * 1024);
  if (text.kind !== 'file') return { ...base, keys: [], note: `${adopted.path} is ${text.kind}` };
  try {
    return { ...base, keys: configKeysDiffering(parseConfigText(text.bytes.toString('utf8'), file), config) };
  } catch (err) {
    return { ...base, keys: [], note: `${adopted.path} does not load: ${(err as Error).message}` };
  }
}
