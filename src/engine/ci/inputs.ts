/**
 * @module What the gate takes from outside the branch. A branch carries whatever its author committed, the agent's
 * own config, keys and workflow among them, so the gate trusts only: the config committed on the base branch, configs
 * a person adopted for a task with a passkey (a verified decision in a bundle), and the gate's workflow as the base
 * branch has it. A task started under any other config, a config changed on the branch without a person's adoption,
 * and a changed gate workflow fail the gate.
 */
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { configDigest } from '../repo/config-digest.ts';
import { parseConfigText } from '../repo/config-file.ts';
import { git, isAncestor } from '../repo/git.ts';
import { CONFIG_DIR, CONFIG_FILE, GATE_WORKFLOW_FILES } from '../repo/layout.ts';
import { readCommitted } from './committed.ts';
import type { CiProblem } from './report.ts';

const CONFIG_PATH = `${CONFIG_DIR}/${CONFIG_FILE}`;

/** The base branch's config at the merge-base, or null when the base has none (the branch installs Autopilot). */
export interface BaseConfig {
  readonly commit: string;
  readonly config: Config;
  readonly digest: string;
}

/** Reads the config committed at `commit`; null when there is none, a problem when it does not load. */
export async function configAt(root: string, commit: string): Promise<BaseConfig | null | CiProblem> {
  const [blob] = await readCommitted(root, commit, [CONFIG_PATH]);
  if (blob?.kind !== 'file') return null;
  try {
    const config = parseConfigText(blob.bytes.toString('utf8'), CONFIG_PATH);
    return { commit, config, digest: configDigest(config) };
  } catch (err) {
    if (!(err instanceof AutopilotError)) throw err;
    return {
      taskId: null,
      check: 'inputs',
      code: ErrorCode.CONFIG_INVALID,
      file: CONFIG_PATH,
      reason: `the config committed at ${commit.slice(0, 12)} on the base branch does not load here: ${err.message}`,
    };
  }
}

/** A config digest the gate trusts, and why. */
export interface TrustedConfig {
  readonly digest: string;
  /** `base`: committed on the base branch; `adopted`: a person adopted it for a task (entry `seq`). */
  readonly source: 'base' | 'adopted';
  readonly commit?: string;
  readonly taskId?: string;
  readonly seq?: number;
}

/**
 * The configs a person adopted with a verified decision: `contract_adopted` entries by a person whose decision check
 * found nothing wrong (`refused` holds the seqs of entries the decision check flagged).
 */
export function adoptedByPeople(entries: readonly LedgerEntry[], refused: ReadonlySet<number>): TrustedConfig[] {
  const out: TrustedConfig[] = [];
  for (const x of entries) {
    if (String(x.kind) !== 'contract_adopted' || !x.actor.startsWith('person:') || refused.has(x.seq)) continue;
    const digest = x.data['configDigest'];
    if (typeof digest === 'string') out.push({ digest, source: 'adopted', taskId: x.taskId ?? '', seq: x.seq });
  }
  return out;
}

/**
 * The base-branch config a task must have started under: the one at the task's base commit when that commit is on
 * the base branch (a long-lived branch may have started its task before the base moved on), else the merge-base's.
 */
export async function baseConfigFor(
  root: string,
  base: BaseConfig,
  started: LedgerEntry,
): Promise<BaseConfig | null | CiProblem> {
  const commit = started.data['baseCommit'];
  if (typeof commit !== 'string' || commit === base.commit) return base;
  if (!(await isAncestor(root, commit, base.commit))) return base;
  return configAt(root, commit);
}

/** The problem of a task started under a config nobody outside the branch vouches for; null when it is trusted. */
export function untrustedStart(
  taskId: string,
  started: LedgerEntry,
  bundle: string,
  startedUnder: string,
  base: BaseConfig,
  trusted: readonly TrustedConfig[],
): CiProblem | null {
  if (startedUnder === base.digest || trusted.some((t) => t.digest === startedUnder)) return null;
  return {
    taskId,
    check: 'inputs',
    code: ErrorCode.CONFIG_CHANGED,
    seq: started.seq,
    file: bundle,
    reason: `${taskId} was started under a config (digest ${startedUnder.slice(0, 12)}…) that is not the base branch's (${base.digest.slice(0, 12)}… at ${base.commit.slice(0, 12)}) and that no person adopted: the gate takes the config from the base branch. Put the base branch's ${CONFIG_PATH} back and take the task through again, or have a person adopt the new config for the task (the dashboard's approval panel)`,
  };
}

/** The config at HEAD, when the branch changed it and no person adopted the change for one of its tasks. */
export function untrustedHeadConfig(
  head: BaseConfig,
  base: BaseConfig,
  trusted: readonly TrustedConfig[],
): CiProblem | null {
  if (head.digest === base.digest || trusted.some((t) => t.digest === head.digest)) return null;
  return {
    taskId: null,
    check: 'inputs',
    code: ErrorCode.CONFIG_CHANGED,
    file: CONFIG_PATH,
    reason: `the branch changes ${CONFIG_PATH} (digest ${base.digest.slice(0, 12)}… on the base branch, ${head.digest.slice(0, 12)}… at HEAD) and no person adopted the new config for a task: every task after the merge would start under it. Put the base branch's config back, or have a person adopt it for a task of this branch (the dashboard's approval panel)`,
  };
}

/** The gate's own workflow files the branch changed, added or deleted, each a problem: they change on the base branch. */
export async function changedWorkflows(root: string, mergeBase: string, head: string): Promise<CiProblem[]> {
  const diff = await git(root, [
    'diff',
    '--name-only',
    '--no-renames',
    '-z',
    `${mergeBase}..${head}`,
    '--',
    ...GATE_WORKFLOW_FILES,
  ]);
  if (diff.code !== 0) throw new Error(`git diff of the gate's workflow failed: ${diff.stderr.trim()}`);
  return diff.stdout
    .split('\0')
    .filter(Boolean)
    .map((file) => ({
      taskId: null,
      check: 'inputs' as const,
      code: ErrorCode.CONFIG_CHANGED,
      file,
      reason: `the branch changes the gate's own workflow (${file}): a branch could switch its gate off or weaken it, so the workflow changes only on the base branch. Land this change on its own, reviewed and merged by a person, without the other work`,
    }));
}
