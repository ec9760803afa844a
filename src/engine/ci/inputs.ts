/**
 * @module What the gate takes from outside the branch. A branch carries whatever its author committed, the agent's
 * own config, keys and workflow among them, so the gate trusts only: the config committed on the base branch, configs
 * a person adopted for a task with a passkey (a verified decision in a bundle), and the gate's workflow as the base
 * branch has it, or as a person allowed it with a passkey registered under a key the base branch trusts. A task
 * started under any other config, a config changed on the branch without a person's adoption, and a gate workflow
 * changed without a person's allowance at exactly the branch's content fail the gate.
 */
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { configDigest } from '../repo/config-digest.ts';
import { parseConfigText } from '../repo/config-file.ts';
import { withCommittedPolicies } from './policy-sim.ts';
import { git, isAncestor } from '../repo/git.ts';
import { CONFIG_DIR, CONFIG_FILE, GATE_WORKFLOW_FILES } from '../repo/layout.ts';
import { readCommitted } from './committed.ts';
import { proofOf } from '../ledger/passkeys.ts';
import type { AllowedGateInput, CiProblem } from './report.ts';

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
    // The policy files committed beside it are part of the config (and its digest), as the loader reads them.
    const config = await withCommittedPolicies(root, commit, parseConfigText(blob.bytes.toString('utf8'), CONFIG_PATH));
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

/** A person's allowance of gate files as recorded, before the gate compares it with the branch. */
export interface GateInputAllowance extends AllowedGateInput {
  /** The key that signed the registration of the passkey it was made with. */
  readonly keyId: string;
}

/**
 * The gate files people allowed: `gate_inputs_adopted` entries by a person whose decision check found nothing wrong
 * (`refused` holds the seqs of entries the decision check flagged), one allowance per file.
 */
export function gateInputsAllowedByPeople(
  entries: readonly LedgerEntry[],
  refused: ReadonlySet<number>,
): GateInputAllowance[] {
  const out: GateInputAllowance[] = [];
  for (const x of entries) {
    if (String(x.kind) !== 'gate_inputs_adopted' || !x.actor.startsWith('person:') || refused.has(x.seq)) continue;
    const keyId = String((proofOf(x)?.registration as Partial<LedgerEntry> | undefined)?.keyId ?? '');
    const inputs = Array.isArray(x.data['inputs']) ? (x.data['inputs'] as { path?: unknown; sha256?: unknown }[]) : [];
    for (const i of inputs) {
      if (typeof i.path !== 'string' || typeof i.sha256 !== 'string') continue;
      out.push({ file: i.path, sha256: i.sha256, taskId: x.taskId ?? '', seq: x.seq, by: x.actor, keyId });
    }
  }
  return out;
}

/**
 * The gate's own workflow files the branch changed, added or deleted: each a problem unless a person allowed the
 * file at exactly its content at HEAD, with a passkey registered under a key in `trustedKeys` (the CI variable's
 * keys, or the keys committed on the base branch): the branch's own keys could register a passkey of its own making.
 */
export async function changedWorkflows(
  root: string,
  mergeBase: string,
  head: string,
  allowances: readonly GateInputAllowance[],
  trustedKeys: ReadonlySet<string>,
): Promise<{ problems: CiProblem[]; allowed: AllowedGateInput[] }> {
  const diff = await git(root, [
    'diff',
    '--name-status',
    '--no-renames',
    '-z',
    `${mergeBase}..${head}`,
    '--',
    ...GATE_WORKFLOW_FILES,
  ]);
  if (diff.code !== 0) throw new Error(`git diff of the gate's workflow failed: ${diff.stderr.trim()}`);
  const fields = diff.stdout.split('\0').filter(Boolean);
  const changed: { file: string; deleted: boolean }[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2)
    changed.push({ file: fields[i + 1]!, deleted: fields[i]!.startsWith('D') });
  const blobs = await readCommitted(
    root,
    head,
    changed.map((c) => c.file),
  );
  const problems: CiProblem[] = [];
  const allowed: AllowedGateInput[] = [];
  changed.forEach(({ file, deleted }, i) => {
    const blob = blobs[i];
    const sha256 = !deleted && blob?.kind === 'file' ? blob.sha256 : null;
    const mine = allowances.filter((a) => a.file === file);
    const ok = sha256 ? mine.find((a) => a.sha256 === sha256 && trustedKeys.has(a.keyId)) : undefined;
    if (ok) {
      const { keyId: _keyId, ...shown } = ok;
      allowed.push(shown);
      return;
    }
    const why = !sha256
      ? 'a deleted workflow cannot be allowed; '
      : mine.some((a) => a.sha256 === sha256)
        ? `a person allowed it (entry ${mine.find((a) => a.sha256 === sha256)!.seq}), but with a passkey registered under key ${mine.find((a) => a.sha256 === sha256)!.keyId || '(none)'}, which is neither a trusted key nor committed on the base branch; `
        : mine.length
          ? `a person allowed other content of it (sha256 ${mine.map((a) => `${a.sha256.slice(0, 12)}…`).join(', ')}, entry ${mine.map((a) => a.seq).join(', ')}), not the branch's (sha256 ${sha256.slice(0, 12)}…); `
          : '';
    problems.push({
      taskId: null,
      check: 'inputs' as const,
      code: ErrorCode.CONFIG_CHANGED,
      file,
      reason: `the branch changes the gate's own workflow (${file}): a branch could switch its gate off or weaken it, so the workflow changes on the base branch, or with a person's allowance of exactly this content. ${why}Land this change on its own, reviewed and merged by a person, or have a person allow it for a task of this branch (the dashboard's approval panel, "Allow the gate workflow")`,
    });
  });
  return { problems, allowed };
}
